import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { OperationTimings, type OperationTimingsSource } from './operation-timings.js';

export interface SharedOperationTimingsOptions {
  /** The service key prefix; samples live in `${prefix}optimings:${batch key}`. */
  prefix: string;
  /** Samples kept per batch kind (in Redis and in memory). Default 16. */
  window?: number;
  /** Batch kinds remembered in memory (oldest forgotten first). Default 256. */
  maxKeys?: number;
  /** TTL of a batch kind's list in seconds, refreshed on every write. Default 604800 (7 days). */
  ttlSeconds?: number;
  /** A batch kind's samples are read again from Redis at most this often, in ms. Default 60000. */
  refreshMs?: number;
  /** Longest wait for a read from Redis before the answer is "unknown", in ms. Default 250. */
  loadTimeoutMs?: number;
  /** Where failed reads and writes are logged (at debug). Default: nowhere. */
  logger?: Logger;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
}

/**
 * Learned batch durations shared by every worker process through Redis, so that a fresh
 * process (after a deploy or a crash) schedules its first polls at the expected end instead
 * of on the doubling schedule.
 *
 * - `observe` records in memory at once and appends to the kind's capped list in Redis
 *   (LPUSH + LTRIM + EXPIRE), fire-and-forget: a failed write is logged at debug and only
 *   costs the other processes a hint.
 * - `expectedMs` answers from memory (an `OperationTimings`, which also does the p75 math).
 *   A kind not read from Redis for `refreshMs` is read again: when memory knows it, in the
 *   background (the answer does not wait); when not, the answer waits for that one read (at
 *   most `loadTimeoutMs`). So a poll decision costs a Redis round trip at most once per kind
 *   per `refreshMs`, and processes converge on the same estimate.
 */
export class SharedOperationTimings implements OperationTimingsSource {
  private readonly memory: OperationTimings;
  /** When each kind was last read from Redis (or the read failed), by this process's clock. */
  private readonly loadedAt = new Map<string, number>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly prefix: string;
  private readonly window: number;
  private readonly maxKeys: number;
  private readonly ttlSeconds: number;
  private readonly refreshMs: number;
  private readonly loadTimeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly options: SharedOperationTimingsOptions,
  ) {
    this.prefix = options.prefix;
    this.window = options.window ?? 16;
    this.maxKeys = options.maxKeys ?? 256;
    this.ttlSeconds = options.ttlSeconds ?? 7 * 86_400;
    this.refreshMs = options.refreshMs ?? 60_000;
    this.loadTimeoutMs = options.loadTimeoutMs ?? 250;
    this.now = options.now ?? Date.now;
    this.memory = new OperationTimings({ window: this.window, maxKeys: this.maxKeys });
  }

  /** The Redis key of a batch kind's samples (newest first). */
  redisKey(key: string): string {
    return `${this.prefix}optimings:${key}`;
  }

  observe(key: string, durationMs: number): void {
    if (!Number.isFinite(durationMs) || durationMs < 0) return;
    this.memory.observe(key, durationMs);
    const k = this.redisKey(key);
    try {
      this.redis
        .multi()
        .lpush(k, Math.round(durationMs))
        .ltrim(k, 0, this.window - 1)
        .expire(k, this.ttlSeconds)
        .exec()
        .catch((err: unknown) => this.debug(err, key, 'could not share an operation timing'));
    } catch (err) {
      // A closed connection may throw at once rather than reject: still only a hint.
      this.debug(err, key, 'could not share an operation timing');
    }
  }

  expectedMs(key: string): number | undefined | Promise<number | undefined> {
    const known = this.memory.expectedMs(key);
    const loadedAt = this.loadedAt.get(key);
    if (loadedAt !== undefined && this.now() - loadedAt < this.refreshMs) return known;
    const loading = this.load(key);
    if (known !== undefined) return known;
    return loading.then(() => this.memory.expectedMs(key));
  }

  /** Reads a kind's samples from Redis into memory; one read per kind at a time; never rejects. */
  private load(key: string): Promise<void> {
    const running = this.loading.get(key);
    if (running) return running;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.loadTimeoutMs} ms`)), this.loadTimeoutMs);
      timer.unref();
    });
    const read = (async () => this.redis.lrange(this.redisKey(key), 0, this.window - 1))();
    const done = Promise.race([read, timeout])
      .then((values) => {
        // Redis holds them newest first; memory wants oldest first.
        this.memory.replace(key, values.map(Number).reverse());
      })
      .catch((err: unknown) => this.debug(err, key, 'could not read shared operation timings'))
      .finally(() => {
        clearTimeout(timer);
        // Also after a failure: a Redis outage must not cost a wait on every poll decision.
        this.markLoaded(key);
        this.loading.delete(key);
      });
    read.catch(() => undefined);
    this.loading.set(key, done);
    return done;
  }

  private markLoaded(key: string): void {
    this.loadedAt.delete(key);
    if (this.loadedAt.size >= this.maxKeys) {
      const oldest = this.loadedAt.keys().next().value;
      if (oldest !== undefined) this.loadedAt.delete(oldest);
    }
    this.loadedAt.set(key, this.now());
  }

  private debug(err: unknown, key: string, message: string): void {
    this.options.logger?.debug({ err: { message: err instanceof Error ? err.message : String(err) }, batch: key }, message);
  }
}
