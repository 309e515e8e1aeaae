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
