import { intentKindSchema, intentRecordSchema, intentStatusSchema } from '@neonops/intents';
import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, problemSchema } from '../errors.js';

/** A problem response (RFC 9457) in the OpenAPI document and for serialization. */
export function problem(description: string) {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } };
}

/** Problem responses every authenticated route may give. */
export const commonProblems = {
  400: problem('Invalid input; `errors` names each field'),
  401: problem('Missing or invalid bearer token'),
  '4xx': problem('Other client errors'),
  503: problem('Redis or Neon unavailable; retry later (see Retry-After)'),
  '5xx': problem('Server error; details are logged, not sent'),
};

/** An intent as the API returns it; `secrets` only on `GET /v1/intents/:id`, for the owning team. */
export const intentViewSchema = intentRecordSchema
  .extend({
    secrets: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Opened secrets of the result (passwords, connection URIs, keys); only on GET /v1/intents/:id'),
    partial: z
      .literal(true)
      .optional()
      .describe(
        'Served from the durable history, which only saw the intent’s end event (its record had expired first): team, kind, status and times are known; params, steps and result are empty',
      ),
  })
  .meta({ id: 'Intent' });

export const intentIdParamsSchema = z.strictObject({ id: z.string().min(1).max(64) });

/** `?wait=<seconds>`: a long-poll, answered as soon as the intent is finished or when the wait ends. */
export const intentWaitQuerySchema = z.strictObject({
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(60)
    .optional()
    .describe('Seconds (0–60) to wait for the intent to finish before answering with its current state'),
});

export const listIntentsQuerySchema = z.strictObject({
  status: intentStatusSchema.optional(),
  kind: intentKindSchema.optional(),
  cursor: z.string().min(1).max(64).optional().describe('`nextCursor` of the previous page'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const intentListSchema = z.object({
  items: z.array(intentViewSchema),
  nextCursor: z.string().optional().describe('Pass as `cursor` for the next page; absent on the last page'),
});

export const idempotencyHeadersSchema = z.looseObject({
  'idempotency-key': z
    .string()
    .min(1)
    .max(257)
    .optional()
    .describe('1–255 characters (bare or as a quoted sf-string); repeats of the same request return the first answer for 24 h'),
});
