import { describe, expect, it } from 'vitest';
import { startTestStack } from '../test/helpers.js';
import { intentStepSchema, intentViewSchema, previewViewSchema, TERMINAL_STATUSES } from './schemas.js';

interface JsonSchema {
  $ref?: string;
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: string[];
  anyOf?: JsonSchema[];
}

/** The CLI's loose schemas read a subset of the API's answers: every field they read must be in the API's OpenAPI document, with the API requiring what the CLI requires. */
describe('the CLI’s schemas against the API’s OpenAPI document', () => {
  it('Intent, its steps and the preview have every field the CLI reads', async () => {
    const stack = await startTestStack();
    const doc = (await (await fetch(`${stack.apiUrl}/openapi.json`)).json()) as { components: { schemas: Record<string, JsonSchema> }; paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: JsonSchema }> }> }>> };
    const resolve = (s: JsonSchema | undefined): JsonSchema => {
      if (s?.$ref) return resolve(doc.components.schemas[s.$ref.split('/').pop()!]);
      const nonNull = s?.anyOf?.find((x) => x.type !== 'null');
      return nonNull ? resolve(nonNull) : (s ?? {});
    };
    const check = (api: JsonSchema, cli: { shape: Record<string, { safeParse(v: unknown): { success: boolean } }> }, what: string) => {
      for (const field of Object.keys(cli.shape)) expect(Object.keys(api.properties ?? {}), `${what}.${field}`).toContain(field);
      const cliRequired = Object.entries(cli.shape)
        .filter(([, s]) => !s.safeParse(undefined).success)
        .map(([k]) => k);
      for (const field of cliRequired) expect(api.required ?? [], `${what}.${field} required`).toContain(field);
    };

    const intent = resolve(doc.components.schemas.Intent);
    check(intent, intentViewSchema, 'Intent');
    check(resolve(intent.properties!.steps!.items), intentStepSchema, 'Intent.steps[]');
    expect(resolve(intent.properties!.status).enum).toEqual(expect.arrayContaining([...TERMINAL_STATUSES]));

    const preview = resolve(doc.paths['/v1/previews']!.get!.responses['200']!.content['application/json']!.schema);
    check(preview, previewViewSchema, 'Preview');
    expect(resolve(preview.properties!.intent).properties).toHaveProperty('secrets');
  });
});
