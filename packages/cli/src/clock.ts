import { setTimeout as delay } from 'node:timers/promises';

/** Time as the waiting loops see it; tests may pass their own. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : {}),
};

/** Exponential backoff with ±20 % jitter: `base · 2^(n-1)`, at most `max` (ms). */
export function backoffMs(n: number, base: number, max: number): number {
  return Math.round(Math.min(max, base * 2 ** Math.max(0, n - 1)) * (0.8 + Math.random() * 0.4));
}
