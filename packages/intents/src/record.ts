import { z } from 'zod';
import { intentKindSchema } from './catalog.js';

export const intentStatusSchema = z.enum(['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled']);
export type IntentStatus = z.infer<typeof intentStatusSchema>;

export const terminalStatuses = ['succeeded', 'failed', 'cancelled'] as const satisfies readonly IntentStatus[];
export type TerminalStatus = (typeof terminalStatuses)[number];
export const isTerminalStatus = (s: IntentStatus): s is TerminalStatus => (terminalStatuses as readonly string[]).includes(s);

export const stepStatusSchema = z.enum(['pending', 'running', 'waiting', 'succeeded', 'failed', 'skipped']);

/** Why an intent (or one step) failed, in words a team can act on. */
export const intentErrorSchema = z.object({
  /** Stable machine code, e.g. `neon_conflict`, `neon_operation_failed`, `retries_exhausted`. */
  code: z.string(),
  message: z.string(),
  /** Neon's `request_id` of the call that failed, for Neon support. */
  neonRequestId: z.string().optional(),
  /** The HTTP status Neon answered, when the failure came from Neon. */
  neonStatus: z.number().int().optional(),
});
export type IntentError = z.infer<typeof intentErrorSchema>;

export const intentStepSchema = z.object({
  name: z.string(),
  status: stepStatusSchema,
  attempts: z.number().int().min(0),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  /** The last error of this step (also when a retry then succeeded). */
  error: intentErrorSchema.optional(),
});
export type IntentStep = z.infer<typeof intentStepSchema>;

/** One intent as stored and as `GET /v1/intents/:id` shows it (secrets are kept apart). */
export const intentRecordSchema = z.object({
  id: z.string(),
  teamId: z.string(),
  kind: intentKindSchema,
  params: z.record(z.string(), z.unknown()),
  status: intentStatusSchema,
  steps: z.array(intentStepSchema),
  /** Every Neon operation id the intent started, in order. */
  operationIds: z.array(z.string()),
  /** The public result, once succeeded. */
  result: z.record(z.string(), z.unknown()).optional(),
  /** True when a sealed secret part of the result exists (see IntentStore.getSecrets). */
  hasSecrets: z.boolean(),
  error: intentErrorSchema.optional(),
  /** Set by `POST /v1/intents/:id/cancel` while the intent runs; the worker stops at the next step. */
  cancelRequested: z.boolean(),
  idempotencyKey: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
export type IntentRecord = z.infer<typeof intentRecordSchema>;
