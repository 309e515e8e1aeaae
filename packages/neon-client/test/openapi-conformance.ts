/**
 * Checks a recorded request against Neon's OpenAPI document itself (not the
 * generated types): the method and path template exist, every query parameter
 * is declared, required parameters are present, path and query values match
 * their schemas, and the JSON body validates against the requestBody schema.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { RecordedRequest } from './fake-fetch.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonObject;
}

export interface ConformanceResult {
  /** `METHOD /template` of the matched operation, or undefined. */
  operation: string | undefined;
  operationId: string | undefined;
  problems: string[];
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** OpenAPI 3.0 `nullable: true` → JSON Schema `anyOf [null, schema]`, everywhere. */
function convertNullable(node: Json): Json {
  if (Array.isArray(node)) return node.map(convertNullable);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(node)) if (k !== 'nullable') out[k] = convertNullable(v);
  return node.nullable === true ? { anyOf: [{ type: 'null' }, out] } : out;
}

/** Rewrites local refs (`#/components/...`) to refs into the registered document. */
function pointIntoDoc(node: Json): Json {
  if (Array.isArray(node)) return node.map(pointIntoDoc);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `neon${v}` : pointIntoDoc(v);
  return out;
}

function createAjv(doc: Json, coerce: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, coerceTypes: coerce ? 'array' : false });
  const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
  addFormats(ajv);
  // OpenAPI numeric/binary formats that JSON Schema does not define.
  for (const f of ['int', 'int32', 'int64', 'uint64', 'double', 'float', 'binary']) ajv.addFormat(f, true);
  ajv.addSchema(doc as JsonObject, 'neon');
  return ajv;
}

export function loadNeonDocument(): JsonObject {
  return JSON.parse(readFileSync(new URL('../openapi/v2.json', import.meta.url), 'utf8')) as JsonObject;
}

export function createConformanceChecker(rawDoc: JsonObject = loadNeonDocument(), basePath = '/api/v2') {
  const doc = convertNullable(rawDoc) as JsonObject;
  const bodyAjv = createAjv(doc, false);
  const paramAjv = createAjv(doc, true);
  const paths = doc.paths as Record<string, JsonObject>;
  const cache = new Map<string, ValidateFunction>();

  function validator(ajv: Ajv, schema: Json, key: string): ValidateFunction {
    const cacheKey = `${ajv === bodyAjv ? 'b' : 'p'}:${key}`;
    let fn = cache.get(cacheKey);
    if (!fn) {
      fn = ajv.compile(pointIntoDoc(schema) as JsonObject);
      cache.set(cacheKey, fn);
    }
    return fn;
  }

  function resolve<T>(node: Json | undefined): T | undefined {
    let current = node;
    for (let i = 0; i < 5 && isObject(current) && typeof current.$ref === 'string'; i++) {
      const parts = current.$ref.replace(/^#\//, '').split('/');
      let target: Json | undefined = doc;
      for (const part of parts) target = isObject(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
      current = target;
    }
    return current as T | undefined;
  }

  function matchTemplate(method: string, pathname: string): { template: string; params: Record<string, string> } | undefined {
    const candidates: { template: string; params: Record<string, string>; placeholders: number }[] = [];
    for (const template of Object.keys(paths)) {
      if (!isObject(paths[template]?.[method])) continue;
      const names: string[] = [];
      const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      const m = new RegExp(`^${pattern}$`).exec(pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? '');
      });
      candidates.push({ template, params, placeholders: names.length });
    }
    // A literal segment beats a placeholder (`/projects/shared` vs `/projects/{project_id}`).
    candidates.sort((a, b) => a.placeholders - b.placeholders);
    return candidates[0];
  }

  function errorsText(fn: ValidateFunction): string {
    return (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ');
  }

  function check(req: RecordedRequest): ConformanceResult {
    const problems: string[] = [];
    const method = req.method.toLowerCase();
    if (!req.url.pathname.startsWith(basePath)) problems.push(`path ${req.url.pathname} is not under ${basePath}`);
    const pathname = req.url.pathname.slice(basePath.length);
    const match = matchTemplate(method, pathname);
    if (!match) return { operation: undefined, operationId: undefined, problems: [...problems, `no operation ${req.method} ${pathname} in the document`] };
    const pathItem = paths[match.template] as JsonObject;
    const op = pathItem[method] as JsonObject;
    const operation = `${req.method} ${match.template}`;

    // Parameters: path-level ones, overridden by operation-level ones of the same name and place.
    const params = new Map<string, Parameter>();
    for (const raw of [...((pathItem.parameters as Json[] | undefined) ?? []), ...((op.parameters as Json[] | undefined) ?? [])]) {
      const p = resolve<Parameter>(raw);
      if (p) params.set(`${p.in}:${p.name}`, p);
    }

    for (const [name, value] of Object.entries(match.params)) {
      const p = params.get(`path:${name}`);
      if (value === '') problems.push(`path parameter ${name} is empty`);
      if (p?.schema && !validator(paramAjv, p.schema, `${operation}:path:${name}`)(value)) {
        problems.push(`path parameter ${name}=${value} does not match its schema`);
      }
    }
    for (const p of params.values()) {
      if (p.in === 'path' && !(p.name in match.params)) problems.push(`declared path parameter ${p.name} not in template`);
    }

    const query = new Map<string, string[]>();
    req.url.searchParams.forEach((value, key) => query.set(key, [...(query.get(key) ?? []), value]));
    for (const [name, values] of query) {
      const p = params.get(`query:${name}`);
      if (!p) {
        problems.push(`query parameter ${name} is not declared for ${operation}`);
        continue;
      }
      const schema = resolve<JsonObject>(p.schema);
      const isArray = schema?.type === 'array';
      if (!isArray && values.length > 1) problems.push(`query parameter ${name} sent ${values.length} times`);
      if (p.schema) {
        // Wrapped in an object so that coercion ("5" → 5, "a" → ["a"]) can replace the value.
        const data = { v: isArray ? [...values] : values[0] };
        const wrapper = validator(paramAjv, { type: 'object', properties: { v: p.schema } }, `${operation}:queryw:${name}`);
        if (!wrapper(data)) problems.push(`query parameter ${name}=${values.join(',')} does not match its schema: ${errorsText(wrapper)}`);
      }
    }
    for (const p of params.values()) {
      if (p.in === 'query' && p.required && !query.has(p.name)) problems.push(`required query parameter ${p.name} missing`);
    }

    const requestBody = resolve<JsonObject>(op.requestBody);
    const jsonSchema = isObject(requestBody?.content) ? (requestBody.content['application/json'] as JsonObject | undefined)?.schema : undefined;
    if (req.rawBody !== undefined) {
      if (!requestBody) problems.push(`${operation} takes no request body`);
      else if (jsonSchema === undefined) problems.push(`${operation} takes no JSON body`);
      else {
        const fn = validator(bodyAjv, jsonSchema, `${operation}:body`);
        if (!fn(req.body)) problems.push(`body does not match the requestBody schema: ${errorsText(fn)}`);
      }
      if (req.headers['content-type'] !== 'application/json') problems.push('body sent without Content-Type: application/json');
    } else if (requestBody?.required === true) {
      problems.push(`${operation} requires a request body`);
    }
    return { operation, operationId: typeof op.operationId === 'string' ? op.operationId : undefined, problems };
  }

  /** The documented example of the success response, when the document has one. */
  function exampleResponse(operation: string): { status: number; body: Json } | undefined {
    const [m = '', template = ''] = operation.split(' ');
    const op = paths[template]?.[m.toLowerCase()];
    if (!isObject(op) || !isObject(op.responses)) return undefined;
    for (const status of ['200', '201', '202']) {
      const response = resolve<JsonObject>(op.responses[status]);
      const media = isObject(response?.content) ? response.content['application/json'] : undefined;
      if (isObject(media) && media.example !== undefined) return { status: Number(status), body: media.example };
    }
    return undefined;
  }

  return { check, exampleResponse };
}
