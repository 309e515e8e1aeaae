import { createdResourceSchema, intentErrorSchema, intentJobDataSchema } from '@neonops/intents';
import { z } from 'zod';

/**
 * Progress of an intent, saved in the job's data after every step (`job.updateData`), so
 * that a retry or another worker resumes where the last attempt stopped. It holds ids,
 * names and counters only — never a secret (dashboards show job data).
 */
export const checkpointSchema = z.object({
  /** Index of the step to run next (steps before it succeeded or were skipped). */
  step: z.number().int().min(0),
  /** The step whose mutation was started and not yet recorded as done: reconcile before repeating it. */
  mutationStarted: z.object({ step: z.number().int(), at: z.string() }).optional(),
  /** Operations of the current step still to wait for, and what the poll schedule needs (see `poll-schedule.ts`). */
  wait: z
    .object({
      operationIds: z.array(z.string()),
      /** Polls so far that found operations pending. */
      polls: z.number().int().min(0),
      /** The batch's kind (its actions) whose duration is learned; absent in checkpoints of older workers. */
      key: z.string().optional(),
      /** When the operations were created, in epoch ms of this worker's clock (from Neon's durations). */
      startedAt: z.number().optional(),
      /** The latest end among the batch's finished operations, in ms from its creation (for `progressEstimateMs`). */
      doneMs: z.number().optional(),
    })
    .optional(),
  /** The kind's state: created resource ids, names. */
  state: z.record(z.string(), z.unknown()),
  /** Every Neon operation id the intent started. */
  operationIds: z.array(z.string()),
  /**
   * Every resource the intent created, in order of creation (mirrored to the record's
   * `resources`); what an undo deletes. Absent in checkpoints of older workers.
   */
  resources: z.array(createdResourceSchema).default([]),
  /**
   * Set once the intent failed or was cancelled and is deleting what it created: the undo
   * steps run after the kind's steps (from `from`, the kind's step count then), like them.
   */
  undo: z
    .object({
      /** How the intent ended; it ends so once the undo is done. */
      after: z.enum(['failed', 'cancelled']),
      /** The intent's error (the original one: it stays, whatever the undo meets). */
      error: intentErrorSchema,
      /** Index of the first undo step in the step list. */
      from: z.number().int().min(0),
      /** The undo steps, in order: each deletes `resources[targets[0]]`, and with it the others in `targets`. */
      plan: z.array(z.object({ name: z.string(), targets: z.array(z.number().int().min(0)).min(1) })),
    })
    .optional(),
  /** Retryable failures so far (own retry counter, independent of BullMQ attempts). */
  retries: z.number().int().min(0),
  /** Times the intent found its project locked by another intent. */
  lockWaits: z.number().int().min(0),
  /**
   * The project-lock token of the run that saved this checkpoint, while it held the lock
   * (e.g. across a wait on operations). The next run takes the lock over from exactly this
   * token and then saves its own (see `engine/run-lock.ts`). Not a secret: it only fences.
   */
  lockToken: z.string().optional(),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

export const workerJobDataSchema = intentJobDataSchema.extend({ checkpoint: checkpointSchema.optional() });
export type WorkerJobData = z.infer<typeof workerJobDataSchema>;

export function initialCheckpoint(state: Record<string, unknown>): Checkpoint {
  return { step: 0, state, operationIds: [], resources: [], retries: 0, lockWaits: 0 };
}
