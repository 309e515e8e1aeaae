export interface WaitUntilOptions {
  /** Give up after this long, in ms. Default 10000. */
  timeoutMs?: number;
  /** Pause between probes, in ms. Default 20. */
  intervalMs?: number;
  /** Says what was awaited, for the error when the deadline passes. */
  what?: string | (() => string);
}

/**
 * Probes a condition until it holds, within a deadline: for state that offers no event to
 * wait on (a record's status in Redis, a process's port). Resolves with the probe's first
 * value that is neither `undefined` nor `false`; the deadline only bounds a broken run, no
 * assertion depends on how long it took.
 */
export async function waitUntil<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, options: WaitUntilOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const what = typeof options.what === 'function' ? options.what() : (options.what ?? 'condition');
      throw new Error(`${what} not reached within ${options.timeoutMs ?? 10_000} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}
