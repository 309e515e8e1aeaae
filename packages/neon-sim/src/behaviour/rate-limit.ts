import type { ResolvedRateLimit } from '../options.js';
import type { SimClock } from './clock.js';

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number; limit: string };

/**
 * Neon's limits as rolling windows on the simulator clock: requests per minute per account,
 * requests per second per account and route, and a tighter per-minute budget for the
 * consumption endpoints. Only admitted requests count, so a client that honours
 * `Retry-After` gets through.
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly clock: SimClock,
    public config: ResolvedRateLimit | false,
  ) {}

  check(account: string, route: string, isConsumption: boolean): RateDecision {
    const config = this.config;
    if (config === false) return { ok: true };
    const now = this.clock.now();
    const windows: Array<[string, number, number]> = [
      [`m:${account}`, 60_000, config.perMinute],
      [`s:${account}:${route}`, 1_000, config.perRoutePerSecond],
    ];
    if (isConsumption) windows.push([`c:${account}`, 60_000, config.consumptionPerMinute]);
    for (const [key, windowMs, limit] of windows) {
      const list = this.prune(key, now, windowMs);
      if (list.length >= limit) {
        const oldest = list[0] ?? now;
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + windowMs - now) / 1000)), limit: key.split(':')[0] ?? '' };
      }
    }
    for (const [key] of windows) {
      const list = this.hits.get(key) ?? [];
      list.push(now);
      this.hits.set(key, list);
    }
    return { ok: true };
  }

  clear(): void {
    this.hits.clear();
  }

  private prune(key: string, now: number, windowMs: number): number[] {
    const list = this.hits.get(key) ?? [];
    let drop = 0;
    while (drop < list.length && (list[drop] ?? 0) <= now - windowMs) drop++;
    if (drop > 0) list.splice(0, drop);
    this.hits.set(key, list);
    return list;
  }
}
