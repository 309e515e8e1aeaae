/** Settings of the operation poll schedule (part of the engine settings). */
export interface PollScheduleSettings {
  /** First delay when nothing is known about the operations' duration, in ms; doubles per poll. Default 200. */
  pollInitialMs: number;
  /** Largest delay between two polls once the expected end has passed (and of the doubling schedule), in ms. Default 5000. */
  pollMaxMs: number;
  /**
   * Interval of the quick polls around the expected end, in ms: a quarter of the expected
   * duration, at least `pollInitialMs`, at most this (and `pollMaxMs`). Default 250.
   */
  pollNearMs: number;
  /** Added to the expected end so that the first poll finds the operations done, in ms. Default 50. */
  pollMarginMs: number;
  /** Longest wait until an expected end (a bound on a wild estimate), in ms. Default 300000. */
  pollExpectMaxMs: number;
}

export interface PollState {
  /** Polls so far that found operations pending. */
  polls: number;
  /** Time since the operations were created (ms), when known. */
  elapsedMs: number | undefined;
  /** Expected duration of the batch (ms), when learned (see `OperationTimings`). */
  expectedMs: number | undefined;
}

/**
 * Delay before the next poll of pending operations:
 * - nothing learned yet: `pollInitialMs`, doubling per poll, at most `pollMaxMs`;
 * - before the expected end: wait until it (plus a small margin), so that one poll usually suffices;
 * - after it: poll quickly (`pollNearMs`), backing off to a quarter of the overdue time, at most `pollMaxMs`.
 */
export function nextPollDelay(state: PollState, s: PollScheduleSettings): number {
  if (state.expectedMs === undefined || state.elapsedMs === undefined) {
    return Math.min(s.pollMaxMs, s.pollInitialMs * 2 ** Math.min(state.polls, 20));
  }
  const remaining = state.expectedMs - state.elapsedMs;
  if (remaining > 0) return Math.round(Math.min(s.pollExpectMaxMs, remaining + s.pollMarginMs));
  const near = Math.min(s.pollNearMs, s.pollMaxMs, Math.max(s.pollInitialMs, state.expectedMs / 4));
  return Math.round(Math.min(s.pollMaxMs, Math.max(near, -remaining / 4)));
}

export interface BatchProgress {
  /** Operations in the batch (its actions: the wait's key, split). */
  size: number;
  /** Of them, still pending after the last poll. */
  pending: number;
  /** The latest end among the finished ones, in ms from the batch's creation, when any finished. */
  doneMs: number | undefined;
  /** Time since the batch's creation, in ms. */
  elapsedMs: number;
}

/**
 * When a batch found pending past its expected end is likely done, from its own progress:
 * Neon runs a batch's operations one after another, so when `d` of `n` took `doneMs`, the
 * whole batch takes about `doneMs × n / d`; when none finished yet after `elapsedMs`, the
 * first alone takes longer than that, and the batch about `elapsedMs × n`. Undefined when the
 * batch says nothing new (a single operation still running, or an estimate already past).
 * This turns a prior that was too short into one more poll, not a series of quick ones.
 */
export function progressEstimateMs(p: BatchProgress): number | undefined {
  const done = p.size - p.pending;
  if (p.pending <= 0 || p.size <= 0) return undefined;
  const estimate = done > 0 && p.doneMs !== undefined ? (p.doneMs * p.size) / done : p.size > 1 ? p.elapsedMs * p.size : undefined;
  return estimate !== undefined && estimate > p.elapsedMs ? Math.round(estimate) : undefined;
}
