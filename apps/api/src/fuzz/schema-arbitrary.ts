import fc from 'fast-check';

/** A JSON Schema node of our OpenAPI 3.1 document (as zod writes it). */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

/** Strings that have broken parsers, logs, URLs and databases somewhere. */
export const hostileStrings: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u001b[31mred',
  'line\r\nInjected: header',
  '../../etc/passwd',
  '%2e%2e%2f',
  '%00',
  '__proto__',
  'constructor',
  'prototype',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '{"a":',
  '\ud800',
  '😀'.repeat(40),
  'x'.repeat(5000),
  '-1',
  '1e309',
  'NaN',
  'null',
  'true',
  'int_00000000000000000000000000',
  'http://169.254.169.254/latest/meta-data',
  'http://u:p@[::a9fe:a9fe]/',
];

/** Values of the wrong shape for almost any field. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...hostileStrings),
  fc.constantFrom(null, true, false, 0, -1, 1.5, Number.MAX_SAFE_INTEGER, [], {}, { __proto__: { polluted: true } }, [[[[[]]]]]),
  fc.jsonValue({ maxDepth: 3 }),
);

export class SchemaArbitraries {
  constructor(private readonly components: Record<string, JsonSchema>) {}

  private resolve(schema: JsonSchema): JsonSchema {
    let current = schema;
    for (let i = 0; current.$ref && i < 10; i++) {
      const name = current.$ref.split('/').pop() ?? '';
      current = this.components[name] ?? {};
    }
    return current;
  }

  /** Values the schema accepts (best effort: patterns and formats are honoured where fast-check can). */
  valid(input: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
    const schema = this.resolve(input);
    if (schema.const !== undefined) return fc.constant(schema.const);
    if (schema.enum) return fc.constantFrom(...schema.enum);
    const variants = schema.oneOf ?? schema.anyOf;
    if (variants && variants.length > 0) return fc.oneof(...variants.map((v) => this.valid(v, depth + 1)));
    if (schema.allOf && schema.allOf.length > 0) return this.valid(schema.allOf[0] ?? {}, depth + 1);
    const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
    switch (type) {
      case 'string':
        return this.string(schema);
      case 'integer':
        return fc.integer({ min: Math.ceil(schema.minimum ?? (schema.exclusiveMinimum ?? -1e6) + 1), max: Math.floor(schema.maximum ?? (schema.exclusiveMaximum ?? 1e6) - 1) });
      case 'number':
        return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array': {
        if (depth > 6) return fc.constant([]);
        const min = schema.minItems ?? 0;
        return fc.array(this.valid(schema.items ?? {}, depth + 1), { minLength: min, maxLength: Math.min(schema.maxItems ?? min + 3, min + 3) });
      }
      case 'object': {
        if (depth > 6) return fc.constant({});
        const properties = schema.properties ?? {};
        const required = new Set(schema.required ?? []);
        const shape: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [key, sub] of Object.entries(properties)) shape[key] = this.valid(sub, depth + 1);
        return fc.record(shape, { requiredKeys: Object.keys(properties).filter((k) => required.has(k)) });
      }
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  }

  private string(schema: JsonSchema): fc.Arbitrary<string> {
    if (schema.format === 'date-time') return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    if (schema.format === 'uri') return fc.webUrl({ validSchemes: ['https'] });
    if (schema.format === 'email') return fc.emailAddress();
    const minLength = schema.minLength ?? 0;
    const maxLength = Math.min(schema.maxLength ?? 40, minLength + 40);
    if (schema.pattern) {
      return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= minLength && s.length <= (schema.maxLength ?? Infinity));
    }
    return fc.string({ minLength, maxLength, unit: 'grapheme' });
  }

  /** Values the schema (most likely) refuses: the wrong type, a field missing or hostile, an unknown field. */
  invalid(input: JsonSchema): fc.Arbitrary<unknown> {
    const schema = this.resolve(input);
    const base = this.valid(schema);
    return fc.oneof(
      hostileValue,
      base.chain((value) => {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return fc.constant(value);
        const keys = Object.keys(value);
        return fc.oneof(
          // A field dropped.
          keys.length === 0 ? fc.constant(value) : fc.constantFrom(...keys).map((k) => Object.fromEntries(Object.entries(value).filter(([key]) => key !== k))),
          // A field made hostile.
          keys.length === 0 ? fc.constant(value) : fc.tuple(fc.constantFrom(...keys), hostileValue).map(([k, v]) => ({ ...value, [k]: v })),
          // An unknown field (also a prototype-polluting one).
          // (a computed key defines an own property, even `__proto__`, and JSON keeps it)
          fc.tuple(fc.constantFrom('extra', '__proto__', 'constructor', 'teamId', 'admin'), hostileValue).map(([k, v]) => ({ ...value, [k]: v })),
        );
      }),
    );
  }
}
