/**
 * How long batches of Neon operations take, learned in this process from what Neon reports
 * (`total_duration_ms` of finished operations), so that the first poll can be scheduled
 * for when the operations are expected to be done instead of on a fixed doubling schedule.
 *
 * A batch is keyed by its actions (a `branch.create` with an endpoint is
 * `create_branch+start_compute`), because Neon runs a mutation's operations one after
 * another and each reports its duration from the batch's creation. The estimate is the 75th
 * percentile of the last `window` samples: robust to one slow outlier, and a little late
 * rather than early (an early poll costs a call, a late one costs latency).
 *
 * It is only a hint (a wrong one costs a poll or a few hundred milliseconds, never
 * correctness). This class holds the samples in memory (one process); `SharedOperationTimings`
 * (`shared-operation-timings.ts`) shares them through Redis and uses this class as its cache.
 */
export interface OperationTimingsOptions {
  /** Samples kept per batch kind. Default 16. */
  window?: number;
  /** Batch kinds remembered (oldest forgotten first). Default 256. */
  maxKeys?: number;
}

/** Where the engine gets and records batch durations (this class, or the Redis-backed one). */
export interface OperationTimingsSource {
  /** Records that a batch of kind `key` took `durationMs`; never throws, never waits. */
  observe(key: string, durationMs: number): void;
  /** The expected duration of a batch of kind `key` in ms, or undefined when unknown. */
  expectedMs(key: string): number | undefined | Promise<number | undefined>;
}

export class OperationTimings implements OperationTimingsSource {
  private readonly samples = new Map<string, number[]>();
  private readonly window: number;
  private readonly maxKeys: number;

  constructor(options: OperationTimingsOptions = {}) {
    this.window = options.window ?? 16;
    this.maxKeys = options.maxKeys ?? 256;
  }

  /** The key of a batch: its actions, sorted (the action enum grows: any string). */
  static keyOf(actions: readonly string[]): string {
    return [...actions].sort().join('+');
  }

  /** Records that a batch of kind `key` took `durationMs` from creation until its last operation ended. */
  observe(key: string, durationMs: number): void {
    if (!Number.isFinite(durationMs) || durationMs < 0) return;
    let list = this.samples.get(key);
    if (!list) {
      if (this.samples.size >= this.maxKeys) {
        const oldest = this.samples.keys().next().value;
        if (oldest !== undefined) this.samples.delete(oldest);
      }
      list = [];
      this.samples.set(key, list);
    }
    list.push(durationMs);
    if (list.length > this.window) list.shift();
  }

  /**
   * Replaces the samples of `key` (oldest first; the last `window` are kept), e.g. with those
   * read from a shared store. An empty list leaves what is known.
   */
  replace(key: string, samples: readonly number[]): void {
    const valid = samples.filter((ms) => Number.isFinite(ms) && ms >= 0).slice(-this.window);
    if (valid.length === 0) return;
    if (!this.samples.has(key) && this.samples.size >= this.maxKeys) {
      const oldest = this.samples.keys().next().value;
      if (oldest !== undefined) this.samples.delete(oldest);
    }
    this.samples.set(key, valid);
  }

  /** The expected duration of a batch of kind `key` in ms, or undefined when none was seen yet. */
  expectedMs(key: string): number | undefined {
    const list = this.samples.get(key);
    if (!list || list.length === 0) return undefined;
    const sorted = [...list].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(0.75 * sorted.length) - 1)];
  }
}
