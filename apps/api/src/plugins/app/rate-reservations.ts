import { RedisScript } from '@neonops/intents';
import type { Redis } from 'ioredis';

const RESERVE = RedisScript.load(new URL('../../commands/rate-reserve-1.lua', import.meta.url));

/** One key's window as this replica holds it. */
interface Window {
  /** Local time at which the window ends (never after Redis's: measured from the reservation's send). */
  endsAt: number;
  /** Requests reserved in Redis and not used yet here. */
  tokens: number;
  /** The window's count in Redis after this replica's last reservation. */
  countAfter: number;
  /** Redis granted nothing: the window is spent, answered here until it ends. */
  spent: boolean;
  /** The reservation in flight, shared by every request that waits for tokens. */
  pending?: Promise<void>;
  /** Requests waiting for `pending` now: the next reservation asks for them too (one round trip for a burst). */
  waiting: number;
}

export interface RateReservationsOptions {
  /** Prepended to every key (`@fastify/rate-limit`'s `nameSpace`). */
  nameSpace: string;
  /**
   * How many requests one reservation takes from Redis for a limit of `max` per window.
   * Default `clamp(floor(max / 100), 1, 1000)`: at most 1 % of the limit sits unused in a
   * replica at a time, and a limit under 200 reserves one request at a time (exact).
   */
  blockFor?: (max: number) => number;
  /** Clock, ms. Default `Date.now`. */
  now?: () => number;
}

export type IncrCallback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/**
 * A store for `@fastify/rate-limit` that keeps the fixed-window counter in Redis (so the limit
 * holds across replicas: the count of a window never goes past its limit, whatever the number of
 * replicas) but asks Redis once per block of requests, not once per request: each replica
 * reserves a block (`rate-reserve-1.lua`, INCRBY up to the limit) and spends it locally. A spent
 * window is answered locally until it ends (a flood costs Redis nothing). What a replica
 * reserved and did not use is lost to the others until the window ends: at most
 * `blockFor(max) − 1` requests per replica (none for limits under 200 by default).
 */
export class RateReservations {
  private readonly windows = new Map<string, Window>();
  private readonly blockFor: (max: number) => number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    private readonly options: RateReservationsOptions,
  ) {
    this.blockFor = options.blockFor ?? ((max) => Math.min(1000, Math.max(1, Math.floor(max / 100))));
    this.now = options.now ?? Date.now;
  }

  /** `@fastify/rate-limit`'s store method: counts one request of `key`. */
  incr(key: string, callback: IncrCallback, timeWindow: number, max: number): void {
    this.take(key, timeWindow, max).then((result) => callback(null, result), (error: Error) => callback(error));
  }

  /** Routes with their own limits would share this store's windows: none has any here. */
  child(): this {
    return this;
  }

  private async take(key: string, timeWindow: number, max: number): Promise<{ current: number; ttl: number }> {
    for (;;) {
      const now = this.now();
      let window = this.windows.get(key);
      if (window && now >= window.endsAt && !window.pending) {
        this.windows.delete(key);
        window = undefined;
      }
      if (window && window.tokens > 0 && now < window.endsAt) {
        window.tokens--;
        return { current: window.countAfter - window.tokens, ttl: window.endsAt - now };
      }
      if (window?.spent && now < window.endsAt) return { current: max + 1, ttl: window.endsAt - now };
      if (window?.pending) {
        // Counted while it waits: the next reservation asks for every request still waiting (none is stranded).
        window.waiting++;
        try {
          await window.pending;
        } finally {
          window.waiting--;
        }
        continue;
      }
      if (!window) {
        if (this.windows.size >= 1024) this.forgetEnded(now);
        window = { endsAt: 0, tokens: 0, countAfter: 0, spent: false, waiting: 0 };
        this.windows.set(key, window);
      }
      await this.reserve(key, window, timeWindow, max);
    }
  }

  /** Drops windows that have ended (keys that stopped sending), so the map stays as small as the active keys. */
  private forgetEnded(now: number): void {
    for (const [key, window] of this.windows) if (now >= window.endsAt && !window.pending) this.windows.delete(key);
  }

  private reserve(key: string, window: Window, timeWindow: number, max: number): Promise<void> {
    const want = Math.max(this.blockFor(max), window.waiting + 1);
    const sentAt = this.now();
    const pending = RESERVE.run(this.redis, [this.options.nameSpace + key], [want, max, timeWindow])
      .then((reply) => {
        const [countAfter, granted, ttl] = reply as [number, number, number];
        // Measured from the send: this replica's window never outlives Redis's.
        window.endsAt = sentAt + Number(ttl);
        window.countAfter = Number(countAfter);
        window.tokens = Number(granted);
        window.spent = Number(granted) === 0;
      })
      .finally(() => {
        window.pending = undefined;
      });
    window.pending = pending;
    return pending;
  }
}
