import type { Operation } from '@neonops/neon-client';

/** How long an intent waits on a batch of Neon operations before it gives up on them. */
export interface OperationDeadlineSettings {
  /**
   * Shortest time, in ms from the operations' creation, that an intent waits for them to
   * end; a batch whose kind is known to take longer gets 4 × its expected duration
   * (see {@link operationDeadline}). Past it the intent fails with `neon_operation_stuck`
   * and frees its project. Default 900000 (15 min).
   */
  operationDeadlineMs: number;
}

/** A learned duration is a 75th percentile: four times it is well past a slow but healthy run. */
const EXPECTED_FACTOR = 4;

/**
 * The deadline of a batch: `max(operationDeadlineMs, 4 × expectedMs)` when the batch's kind
 * was learned, else `operationDeadlineMs`. A Neon operation that never ends would otherwise
 * keep its project locked (and the intent waiting) forever.
 */
export function operationDeadline(expectedMs: number | undefined, settings: OperationDeadlineSettings): number {
  const learned = expectedMs === undefined || !Number.isFinite(expectedMs) ? 0 : EXPECTED_FACTOR * expectedMs;
  return Math.max(settings.operationDeadlineMs, learned);
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The failure text: which operations, doing what, for how long. */
export function stuckMessage(pending: readonly Operation[], elapsedMs: number, deadlineMs: number): string {
  const list = pending.map((op) => `${op.id} (${String(op.action)}, ${String(op.status)})`).join(', ');
  const noun = pending.length === 1 ? 'operation' : 'operations';
  return `Neon ${noun} ${list} not finished after ${seconds(elapsedMs)} (deadline ${seconds(deadlineMs)}); gave up waiting and released the project`;
}
