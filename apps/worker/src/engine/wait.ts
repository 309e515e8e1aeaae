/** Retry delay after the n-th retryable failure (1-based): exponential with full jitter above half. */
export function retryDelay(retry: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(retry - 1, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Delay before trying a locked project again: short (the holder releases the lock as soon
 * as its operations are terminal), growing a little with each wait, jittered so that the
 * waiting intents do not all come back at once.
 */
export function lockRetryDelay(waits: number, random: () => number, minMs = 100, maxMs = 2000): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(waits, 10));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
