import { z } from 'zod';
import type { SimClock } from './behaviour/clock.js';

/** Timing and outcome of the asynchronous operations every mutation starts. */
export const operationTimingSchema = z.object({
  /** Milliseconds an operation stays `scheduling`. Default 20 (library) / 500 (CLI). */
  schedulingMs: z.number().int().min(0).optional(),
  /** Milliseconds an operation stays `running` after scheduling. Default 50 (library) / 2000 (CLI). */
  runningMs: z.number().int().min(0).optional(),
  /** Probability (0..1) that an operation ends `failed` with an `error` text. Default 0. */
  failureRate: z.number().min(0).max(1).optional(),
});
export type OperationTiming = z.infer<typeof operationTimingSchema>;

/** Neon's request limits. */
export const rateLimitSchema = z.object({
  /** Requests per rolling minute per account (API key). Default 700. */
  perMinute: z.number().int().min(1).optional(),
  /** Requests per rolling second per account and route (method + path template). Default 40. */
  perRoutePerSecond: z.number().int().min(1).optional(),
  /** Requests per rolling minute per account to the consumption endpoints. Default 30. */
  consumptionPerMinute: z.number().int().min(1).optional(),
});
export type RateLimitOptions = z.infer<typeof rateLimitSchema>;

/**
 * One fault-injection rule. Rules are checked in order for every `/api/v2` request; the first
 * rule that matches and wins its dice roll fires (a `latency` rule delays and lets later rules
 * run too).
 */
export const faultRuleSchema = z.object({
  /**
   * Which route: `'*'` (default, every route), a path template as in the OpenAPI document
   * (`'/projects/{project_id}/branches'`), optionally prefixed by a method
   * (`'POST /projects/{project_id}/branches'`).
   */
  route: z.string().min(1).optional(),
  /** Only this HTTP method (case-insensitive). Default: any. */
  method: z.string().min(1).optional(),
  /** Chance (0..1) that a matching request is hit, drawn from the seeded fault stream. Default 1. */
  probability: z.number().min(0).max(1).optional(),
  /**
   * `status`: answer `status` without touching state; `latency`: wait `latencyMs` before handling;
   * `reset`: destroy the socket without an answer (nothing applied); `lost-response`: apply the
   * request, then destroy the socket instead of answering.
   */
  kind: z.enum(['status', 'latency', 'reset', 'lost-response']),
  /**
   * For `status`: 500, 502, 503, 504 or 524; or 423 (a project busy, as Neon says of conflicting
   * operations) or 429 without `Retry-After` (Neon does not promise one). Default 503.
   */
  status: z.union([z.literal(423), z.literal(429), z.literal(500), z.literal(502), z.literal(503), z.literal(504), z.literal(524)]).optional(),
  /** For `latency`: added delay in real milliseconds. Default 1000. */
  latencyMs: z.number().int().min(0).optional(),
  /** The rule fires at most this many times, then is spent. Default: unlimited. */
  times: z.number().int().min(1).optional(),
});
export type FaultRule = z.infer<typeof faultRuleSchema>;

/** Options of {@link startNeonSimulator}. Every field is optional. */
export interface NeonSimulatorOptions {
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** Accepted Bearer API keys. Default: one generated key (returned as `sim.apiKey`). */
  apiKeys?: string[];
  /** Seed for ids, passwords, operation outcomes and fault dice. Default: a random seed (see `sim.seed`). */
  seed?: number;
  /** Operation timing and failure rate. Default `{ schedulingMs: 20, runningMs: 50, failureRate: 0 }`; 0/0 is "instant". */
  operations?: OperationTiming;
  /** Rate limits, or `false` to switch them off. Default `{ perMinute: 700, perRoutePerSecond: 40, consumptionPerMinute: 30 }`. */
  rateLimit?: RateLimitOptions | false;
  /** Fault rules active from the start. Default none. */
  faults?: FaultRule[];
  /** Fastify request logging to stdout. Default false. */
  logger?: boolean;
  /** Time source for operations, rate limits, consumption and timestamps. Default: the system clock. */
  clock?: SimClock;
  /** Region of new projects when the request names none. Default `'aws-us-east-2'`. */
  region?: string;
  /** Branches per project (Neon's plan limit), counting the default branch. Default 500. */
  branchesPerProject?: number;
  /**
   * For this many milliseconds after a create, GET of that branch or endpoint answers 404 (Neon's
   * read-after-create lag). Default 0 (visible at once).
   */
  visibilityLagMs?: number;
}

export interface ResolvedOperationTiming {
  schedulingMs: number;
  runningMs: number;
  failureRate: number;
}

export interface ResolvedRateLimit {
  perMinute: number;
  perRoutePerSecond: number;
  consumptionPerMinute: number;
}

export const DEFAULT_OPERATION_TIMING: ResolvedOperationTiming = { schedulingMs: 20, runningMs: 50, failureRate: 0 };
export const DEFAULT_RATE_LIMIT: ResolvedRateLimit = { perMinute: 700, perRoutePerSecond: 40, consumptionPerMinute: 30 };

export function resolveOperationTiming(base: ResolvedOperationTiming, patch: OperationTiming | undefined): ResolvedOperationTiming {
  return {
    schedulingMs: patch?.schedulingMs ?? base.schedulingMs,
    runningMs: patch?.runningMs ?? base.runningMs,
    failureRate: patch?.failureRate ?? base.failureRate,
  };
}

export function resolveRateLimit(patch: RateLimitOptions | false | undefined, base: ResolvedRateLimit = DEFAULT_RATE_LIMIT): ResolvedRateLimit | false {
  if (patch === false) return false;
  return {
    perMinute: patch?.perMinute ?? base.perMinute,
    perRoutePerSecond: patch?.perRoutePerSecond ?? base.perRoutePerSecond,
    consumptionPerMinute: patch?.consumptionPerMinute ?? base.consumptionPerMinute,
  };
}
