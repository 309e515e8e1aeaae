import { z } from 'zod';
import { intentKindSchema } from '../catalog.js';
import { corePrefix } from '../keyspace.js';
import { terminalStatuses } from '../record.js';

/**
 * The outbox: one Redis stream per deployment to which every state change that others must
 * hear about is written *in the same script* as the change itself (today: an intent
 * reaching a terminal status, written by the store's `finish`). Consumers read it through
 * their own consumer group (webhooks, and later the durable history), at least once, and
 * are idempotent by event; readers that only follow along (long-poll, SSE) read it without
 * a group. The stream is trimmed to what every group has acknowledged (`trimOutbox`).
 */
export function outboxKey(prefix: string): string {
  return `${corePrefix(prefix)}outbox`;
}

/** `intent.finished`: an intent reached `succeeded`, `failed` or `cancelled`. */
export const intentFinishedEventSchema = z.object({
  type: z.literal('intent.finished'),
  intentId: z.string(),
  teamId: z.string(),
  kind: intentKindSchema,
  status: z.enum(terminalStatuses),
  /** When the intent finished (ISO 8601). */
  at: z.string(),
});
export type IntentFinishedEvent = z.infer<typeof intentFinishedEventSchema>;

/**
 * `usage.threshold_crossed`: a team's month-to-date spend reached a threshold of its budget
 * (written by the worker's budget watch, once per team, period and threshold, in the same
 * script as the mark that says so: see `ThresholdMarks`). Numbers travel as stream strings.
 */
export const usageThresholdCrossedEventSchema = z.object({
  type: z.literal('usage.threshold_crossed'),
  teamId: z.string(),
  /** The budget month, `YYYY-MM` (UTC). */
  period: z.string().regex(/^\d{4}-\d{2}$/),
  /** The threshold crossed, in percent of the budget's amount. */
  threshold: z.coerce.number().int().positive(),
  /** `usd` or `cu_hours`. */
  unit: z.enum(['usd', 'cu_hours']),
  /** The budget's amount for the month, in `unit`. */
  amount: z.coerce.number(),
  /** The month-to-date spend when the crossing was seen, in `unit`. */
  spent: z.coerce.number(),
  /** When the crossing was seen (ISO 8601). */
  at: z.string(),
});
export type UsageThresholdCrossedEvent = z.infer<typeof usageThresholdCrossedEventSchema>;

/** Every event the outbox carries; consumers ignore (and acknowledge) the types they do not handle. */
export const outboxEventSchema = z.discriminatedUnion('type', [intentFinishedEventSchema, usageThresholdCrossedEventSchema]);
export type OutboxEvent = z.infer<typeof outboxEventSchema>;

/** One stream entry: its id (the event's id for idempotent consumers) and the event, or why it could not be read. */
export type OutboxEntry = { id: string; event: OutboxEvent } | { id: string; event?: undefined; invalid: string };

/** Turns a raw stream entry (`[id, [field, value, ...]]`) into an {@link OutboxEntry}. */
export function parseOutboxEntry(id: string, flat: readonly string[]): OutboxEntry {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
  const parsed = outboxEventSchema.safeParse(fields);
  return parsed.success ? { id, event: parsed.data } : { id, invalid: parsed.error.message };
}

/** Compares two stream ids (`<ms>-<seq>`). */
export function compareStreamIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am === bm ? as - bs : am - bm;
}
