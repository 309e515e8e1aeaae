import { MAX_WAIT_SECONDS } from './client/api.js';
import { backoffMs, systemClock, type Clock } from './clock.js';

/** How a wait ended: with the awaited value, or at the deadline with the last value seen. */
export type WaitOutcome<T> = { done: true; value: T } | { done: false; last: T | undefined };

export interface LongPollOptions<T> {
  /** Give up at this time (ms since the epoch, on `clock`). */
  deadline: number;
  /** Told every value the API answered (progress output). */
  onValue?: (value: T) => void;
  clock?: Clock;
}

/** The answer of one long-poll: a value, or `undefined` when the thing does not exist yet. */
export type PollOnce<T> = (waitSeconds: number, signal: AbortSignal) => Promise<T | undefined>;

/** Why a poll's request was cut: the overall deadline passed. */
class DeadlineReached extends Error {}

/**
 * Long-polls until `isDone` holds or the deadline passes: each request asks the API to hold
 * its answer up to 60 s (never past the deadline), so a waiting client sends about one
 * request a minute. An answer that is not done and came back early (a server without
 * long-poll, or a thing that does not exist yet) is followed by a pause of 1 s growing to
 * 5 s, so the loop never spins. Errors of the request (after the client's own retries) end
 * the wait.
 */
export async function longPollUntil<T>(poll: PollOnce<T>, isDone: (value: T) => boolean, options: LongPollOptions<T>): Promise<WaitOutcome<T>> {
  const clock = options.clock ?? systemClock;
  let last: T | undefined;
  let early = 0;
  for (;;) {
    const remaining = options.deadline - clock.now();
    if (remaining <= 0) return { done: false, last };
    const waitSeconds = Math.min(MAX_WAIT_SECONDS, Math.max(1, Math.ceil(remaining / 1000)));
    const cut = new AbortController();
    // A request still out when the deadline passes (a long-poll's wait is rounded up to whole seconds, a slow network) is cut there.
    const timer = setTimeout(() => cut.abort(new DeadlineReached('deadline')), remaining);
    const started = clock.now();
    let value: T | undefined;
    try {
      value = await poll(waitSeconds, cut.signal);
    } catch (error) {
      if (cut.signal.aborted) return { done: false, last };
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (value !== undefined) {
      last = value;
      options.onValue?.(value);
      if (isDone(value)) return { done: true, value };
    }
    const heldMs = clock.now() - started;
    if (heldMs >= Math.min(1000, waitSeconds * 1000)) {
      early = 0;
      continue;
    }
    early++;
    const pause = Math.min(backoffMs(early, 1000, 5000), Math.max(0, options.deadline - clock.now()));
    await clock.sleep(pause);
  }
}
