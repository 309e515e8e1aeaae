import { z } from 'zod';
import { intentKindSchema, type IntentKind } from './catalog.js';
import { newIntentId } from './ids.js';

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
  /** Neon's `request_id` of each change this step made that Neon accepted (for the audit and Neon support). */
  neonRequestIds: z.array(z.string()).optional(),
});
export type IntentStep = z.infer<typeof intentStepSchema>;

/**
 * A Neon resource an intent created, by ids and names only (never a secret), listed as soon
 * as the intent learns it. `deletedAt` is set when the intent's undo deleted it (or it went
 * with the project or branch it was in). A project's own default branch, compute, database
 * and role, and what `branch.create` makes on its new branch, go with their container.
 */
export const createdResourceSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('project'), projectId: z.string(), deletedAt: z.string().optional() }),
  z.object({ type: z.literal('branch'), projectId: z.string(), branchId: z.string(), deletedAt: z.string().optional() }),
  z.object({ type: z.literal('endpoint'), projectId: z.string(), branchId: z.string(), endpointId: z.string(), deletedAt: z.string().optional() }),
  z.object({ type: z.literal('database'), projectId: z.string(), branchId: z.string(), name: z.string(), deletedAt: z.string().optional() }),
  z.object({ type: z.literal('role'), projectId: z.string(), branchId: z.string(), name: z.string(), deletedAt: z.string().optional() }),
  z.object({ type: z.literal('api_key'), keyId: z.number().int(), name: z.string(), deletedAt: z.string().optional() }),
]);
export type CreatedResource = z.infer<typeof createdResourceSchema>;

/**
 * What happened to an intent's resources after it failed or was cancelled (see the kinds'
 * `onFailure` param). Absent when the intent succeeded or created nothing.
 */
export const intentUndoSchema = z.object({
  /**
   * `running`: undo steps are deleting the resources; `done`: every one was deleted;
   * `incomplete`: the undo stopped (see `error`), the resources without `deletedAt` are left
   * behind; `kept`: `onFailure: "keep"`, nothing was deleted.
   */
  status: z.enum(['running', 'done', 'incomplete', 'kept']),
  /** How the intent ended before the undo: its final status is this one, or `failed` when the undo is incomplete. */
  after: z.enum(['failed', 'cancelled']),
  /** One sentence saying what was deleted, kept or left behind. */
  note: z.string(),
  /** Why the undo stopped, when `incomplete` (the intent's `error` stays the original one). */
  error: intentErrorSchema.optional(),
});
export type IntentUndo = z.infer<typeof intentUndoSchema>;

/**
 * Who submitted an intent, for the audit: a team's token (`token`, its id — never the
 * secret), a hook source (`source`), or one of the worker's producers acting for the team
 * (`schedule`, `budget`, `quota`, with the schedule's or producer's id).
 */
export const intentActorSchema = z.object({
  type: z.enum(['token', 'source', 'schedule', 'budget', 'quota']),
  id: z.string(),
});
export type IntentActor = z.infer<typeof intentActorSchema>;

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
  /** Every Neon resource the intent created, in order of creation; absent until it created one. */
  resources: z.array(createdResourceSchema).optional(),
  /** What was done with `resources` after a failure or cancel; absent otherwise. */
  undo: intentUndoSchema.optional(),
  /** The public result, once succeeded. */
  result: z.record(z.string(), z.unknown()).optional(),
  /** True when a sealed secret part of the result exists (see IntentStore.getSecrets). */
  hasSecrets: z.boolean(),
  error: intentErrorSchema.optional(),
  /** Set by `POST /v1/intents/:id/cancel` while the intent runs; the worker stops at the next step. */
  cancelRequested: z.boolean(),
  idempotencyKey: z.string().optional(),
  /** Who submitted it (absent on intents stored before actors were recorded). */
  actor: intentActorSchema.optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
export type IntentRecord = z.infer<typeof intentRecordSchema>;

/** What makes a new intent's record; the rest starts empty (see `queuedIntentRecord`). */
export interface NewIntentFields {
  teamId: string;
  kind: IntentKind;
  /** The kind's params, already parsed with its schema. */
  params: Record<string, unknown>;
  /** When it was submitted (`createdAt`, `updatedAt` and the id's time). Default now. */
  at?: Date;
  /** Default a new id of `at`. */
  id?: string;
  /** Absent (or undefined): none. */
  idempotencyKey?: string | undefined;
  /** Absent (or undefined): none. */
  actor?: IntentActor | undefined;
}

/**
 * A new intent's record as it is stored: queued, no step run, no operation, no result,
 * nothing secret. The one place that says what a fresh record holds (the submitter, the
 * producers that store with a dedupe key themselves, test and bench fixtures).
 */
export function queuedIntentRecord(fields: NewIntentFields): IntentRecord {
  const at = fields.at ?? new Date();
  const iso = at.toISOString();
  return {
    id: fields.id ?? newIntentId(at),
    teamId: fields.teamId,
    kind: fields.kind,
    params: fields.params,
    status: 'queued',
    steps: [],
    operationIds: [],
    hasSecrets: false,
    cancelRequested: false,
    ...(fields.idempotencyKey === undefined ? {} : { idempotencyKey: fields.idempotencyKey }),
    ...(fields.actor === undefined ? {} : { actor: fields.actor }),
    createdAt: iso,
    updatedAt: iso,
  };
}
