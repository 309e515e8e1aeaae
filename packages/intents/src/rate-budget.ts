import { taggedPrefix } from './keyspace.js';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisScript } from './redis-script.js';
import type { RateBudget } from '@neonops/neon-client';

export interface RedisRateBudgetOptions {
  /** Key prefix; every worker process that shares the Neon account must use the same one. */
  prefix: string;
  /** Requests per rolling minute for the whole account. Default 700 (Neon's limit). */
  perMinute?: number;
  /** Requests per rolling second per route (method + path template). Default 40 (Neon's limit). */
  perRoutePerSecond?: number;
  /**
   * Added to each window, in ms, so that network and event-loop jitter between our admission
   * and Neon's count cannot squeeze one request too many into Neon's window (a busy process
   * can send a request a few hundred ms after it was admitted, and a busy server counts a
   * backlog of arrivals at once). The per-route second is widened most: its limit is a burst
   * allowance, and 40 per 2 s is still above the account's 700/min, so the margin costs no
   * sustained throughput. Default `{ minute: 2000, second: 1000 }`.
   */
  marginMs?: { minute: number; second: number };
  /** Pause for everyone after a 429 without `Retry-After`, in ms. Default 1000. */
  defaultPauseMs?: number;
  /** After a 429 the limits shrink to this share for `shrinkForMs`. Default 0.8. */
  shrinkFactor?: number;
  /** How long limits stay shrunk after a 429, in ms. Default 60000. */
  shrinkForMs?: number;
  /** Longest single wait between tries, in ms (a wait is re-evaluated after it). Default 1000. */
  maxWaitStepMs?: number;
  /**
   * Longest total wait of one `acquire`, in ms; then it throws {@link RateBudgetTimeoutError}
   * (a retryable error: the job backs off and frees its slot). Default 60000.
   */
  maxWaitMs?: number;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
  /** Sleep; injectable for tests. Default a timer that rejects when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

// Both scripts keep their Lua in ./commands (the sliding-window logs, the 429 pause and shrink).
const ACQUIRE = RedisScript.load(new URL('./commands/rate-budget-acquire-4.lua', import.meta.url));
const RATE_LIMITED = RedisScript.load(new URL('./commands/rate-budget-limited-2.lua', import.meta.url));

/** The budget stayed exhausted for longer than `maxWaitMs`. */
export class RateBudgetTimeoutError extends Error {
  readonly code = 'rate_budget_timeout';
  constructor(waitedMs: number) {
    super(`The shared Neon rate budget had no room for ${waitedMs} ms`);
    this.name = 'RateBudgetTimeoutError';
  }
}

/** Waiting for the budget was aborted by the caller's signal. */
export class RateBudgetAbortedError extends Error {
  readonly code = 'rate_budget_aborted';
  constructor(cause?: unknown) {
    super('Waiting for the Neon rate budget was aborted', { cause });
    this.name = 'RateBudgetAbortedError';
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new RateBudgetAbortedError(signal.reason));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new RateBudgetAbortedError(signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The Neon rate budget shared by every worker process through Redis (the client's
 * `RateBudget`): at most `perMinute` requests per rolling minute for the account and
 * `perRoutePerSecond` per route and rolling second. `acquire` asks one Lua script, which
 * either admits the request or says how long to wait; the caller waits (at most
 * `maxWaitStepMs` at a time) and asks again. A 429 from Neon pauses everyone for
 * `Retry-After` (or `defaultPauseMs`) and shrinks the limits for a while.
 */
export class RedisRateBudget implements RateBudget {
  private readonly perMinute: number;
  private readonly perRoutePerSecond: number;
  private readonly margin: { minute: number; second: number };
  private readonly defaultPauseMs: number;
  private readonly shrinkFactor: number;
  private readonly shrinkForMs: number;
  private readonly maxWaitStepMs: number;
  private readonly maxWaitMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly prefix: string;

  /** Requests admitted and waits taken by this process, for metrics and tests. */
  readonly stats = { admitted: 0, waits: 0, rateLimited: 0 };

  constructor(
    private readonly redis: Redis,
    options: RedisRateBudgetOptions,
  ) {
    // One slot for the budget's keys (`<prefix>{neon-rate}:…`): its scripts read and write them together.
    this.prefix = taggedPrefix(options.prefix, 'neon-rate');
    this.perMinute = options.perMinute ?? 700;
    this.perRoutePerSecond = options.perRoutePerSecond ?? 40;
    this.margin = options.marginMs ?? { minute: 2000, second: 1000 };
    this.defaultPauseMs = options.defaultPauseMs ?? 1000;
    this.shrinkFactor = options.shrinkFactor ?? 0.8;
    this.shrinkForMs = options.shrinkForMs ?? 60_000;
    this.maxWaitStepMs = options.maxWaitStepMs ?? 1000;
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
  }

  /** Milliseconds to wait before a request on `route` may go (0: admitted now, and counted). */
  async tryAcquire(route: string): Promise<number> {
    const wait = await ACQUIRE.run(
      this.redis,
      [`${this.prefix}minute`, `${this.prefix}route:${route}`, `${this.prefix}pause`, `${this.prefix}shrink`],
      [String(this.perMinute), String(this.perRoutePerSecond), String(60_000 + this.margin.minute), String(1000 + this.margin.second), randomUUID()],
    );
    return Number(wait);
  }

  async acquire(request: { method: string; route: string; signal?: AbortSignal }): Promise<void> {
    const route = request.route.startsWith(request.method.toUpperCase()) ? request.route : `${request.method.toUpperCase()} ${request.route}`;
    const started = this.now();
    for (;;) {
      if (request.signal?.aborted) throw new RateBudgetAbortedError(request.signal.reason);
      const wait = await this.tryAcquire(route);
      if (wait <= 0) {
        this.stats.admitted++;
        return;
      }
      const waited = this.now() - started;
      if (waited >= this.maxWaitMs) throw new RateBudgetTimeoutError(waited);
      this.stats.waits++;
      // A little jitter so that waiting workers do not all come back in the same millisecond.
      await this.sleep(Math.min(wait, this.maxWaitStepMs) + Math.floor(Math.random() * 10), request.signal);
    }
  }

  /**
   * The account budget now (for metrics): requests admitted in the last rolling minute by
   * every worker sharing the prefix, the minute's capacity (shrunk after a 429) and whether
   * a 429 pause holds everyone. Read-only.
   */
  async usage(): Promise<{ used: number; capacity: number; paused: boolean }> {
    const since = this.now() - 60_000;
    const [[, used], [, factor], [, pause]] = (await this.redis
      .multi()
      .zcount(`${this.prefix}minute`, `(${since}`, '+inf')
      .get(`${this.prefix}shrink`)
      .pttl(`${this.prefix}pause`)
      .exec()) as [[null, number], [null, string | null], [null, number]];
    return { used: Number(used), capacity: Math.max(1, Math.floor(this.perMinute * Number(factor ?? '1'))), paused: Number(pause) > 0 };
  }

  async onRateLimited(request: { method: string; route: string; retryAfterMs?: number }): Promise<void> {
    this.stats.rateLimited++;
    const pauseMs = Math.max(1, Math.round(request.retryAfterMs ?? this.defaultPauseMs));
    await RATE_LIMITED.run(this.redis, [`${this.prefix}pause`, `${this.prefix}shrink`], [String(pauseMs), String(this.shrinkFactor), String(this.shrinkForMs)]);
  }
}
