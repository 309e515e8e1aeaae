import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * Validates response bodies against Neon's OpenAPI document (the whole document is added to
 * ajv once; responses are checked through JSON pointers into it). OpenAPI 3.0's `nullable` is
 * understood by ajv; OpenAPI-only keywords (`example`, `x-*`, …) are ignored.
 */
type OpenApiDoc = {
  paths: Record<string, Record<string, { responses?: Record<string, { $ref?: string; content?: Record<string, unknown> }> }>>;
  components: { responses: Record<string, { content?: Record<string, unknown> }> };
};

const docUrl = new URL('../../node_modules/@neonops/neon-client/openapi/v2.json', import.meta.url);
const doc = JSON.parse(readFileSync(docUrl, 'utf8')) as OpenApiDoc;

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

const ajv = new Ajv({ strict: false, allErrors: true, discriminator: false });
addFormats(ajv);
const INT_RANGES: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  int: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
for (const [name, [min, max]] of Object.entries(INT_RANGES)) {
  ajv.addFormat(name, { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= min && n <= max });
}
ajv.addFormat('double', { type: 'number', validate: () => true });
ajv.addFormat('binary', () => true);
ajv.addSchema(doc, 'neon');

const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

interface Template {
  template: string;
  regex: RegExp;
  params: number;
}

const templates: Template[] = Object.keys(doc.paths).map((template) => ({
  template,
  regex: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
  params: (template.match(/\{/g) ?? []).length,
}));

/** The document's path template for a concrete path (`/projects/x/branches` → `/projects/{project_id}/branches`). */
export function templateFor(method: string, path: string): string | undefined {
  const bare = path.split('?')[0] ?? path;
  const candidates = templates
    .filter((t) => t.regex.test(bare) && doc.paths[t.template]?.[method.toLowerCase()] !== undefined)
    .sort((a, b) => a.params - b.params);
  return candidates[0]?.template;
}

const cache = new Map<string, ValidateFunction>();

function validatorFor(method: string, template: string, status: number): { validate?: ValidateFunction; declared: string } {
  const op = doc.paths[template]?.[method.toLowerCase()];
  if (!op?.responses) throw new Error(`${method} ${template} is not in Neon's OpenAPI document`);
  const declared = op.responses[String(status)] ? String(status) : 'default';
  const response = op.responses[declared];
  if (!response) throw new Error(`${method} ${template}: status ${status} is not declared and there is no default response`);
  let pointer: string;
  let content: Record<string, unknown> | undefined;
  if (response.$ref) {
    const name = response.$ref.split('/').pop() ?? '';
    pointer = `neon#/components/responses/${escape(name)}`;
    content = doc.components.responses[name]?.content;
  } else {
    pointer = `neon#/paths/${escape(template)}/${method.toLowerCase()}/responses/${declared}`;
    content = response.content;
  }
  if (!content?.['application/json']) return { declared };
  const key = `${pointer}/content`;
  let validate = cache.get(key);
  if (!validate) {
    validate = ajv.compile({ $ref: `${pointer}/content/application~1json/schema` });
    cache.set(key, validate);
  }
  return { validate, declared };
}

export class ConformanceError extends Error {
  override readonly name = 'ConformanceError';
}

/**
 * Throws a {@link ConformanceError} naming the operation and each bad field when `body` does
 * not match the document's schema for `method path` and `status` (or its `default` response).
 */
export function assertConforms(method: string, path: string, status: number, body: unknown): void {
  const template = templateFor(method, path);
  if (!template) throw new ConformanceError(`${method} ${path} matches no path in Neon's OpenAPI document`);
  const { validate, declared } = validatorFor(method, template, status);
  if (!validate) {
    if (body !== undefined && body !== '') {
      throw new ConformanceError(`${method} ${template} → ${status}: the document declares no JSON body, but one was sent`);
    }
    return;
  }
  if (validate(body)) return;
  const problems = (validate.errors ?? [])
    .slice(0, 8)
    .map((e) => `field ${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);
  throw new ConformanceError(`${method} ${template} → ${status} (schema of response "${declared}") does not match Neon's OpenAPI document:\n  ${problems.join('\n  ')}`);
}
