import underPressure from '@fastify/under-pressure';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ServiceOverloadedError } from '../../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Overrides the under-pressure answer of a route (`() => undefined`: always served). */
    pressureHandler?: (request: FastifyRequest, reply: FastifyReply, type: string, value: number | undefined) => Promise<void> | void;
  }
}

/** When the API refuses work to stay up (`@fastify/under-pressure`); 0 turns a limit off. */
export interface PressureOptions {
  /** Largest event-loop delay in ms before requests get 503. Default 1000. */
  maxEventLoopDelayMs?: number;
  /** Largest event-loop utilization (0..1) before requests get 503. Default 0.98. */
  maxEventLoopUtilization?: number;
  /** Largest V8 heap used, in bytes, before requests get 503. Default 0 (off: the heap limit differs per deployment). */
  maxHeapUsedBytes?: number;
  /** `Retry-After` of the 503, in seconds. Default 5. */
  retryAfterSeconds?: number;
  /** How often the process is sampled, in ms. Default 1000. */
  sampleIntervalMs?: number;
}

export const DEFAULT_PRESSURE = { maxEventLoopDelayMs: 1000, maxEventLoopUtilization: 0.98, maxHeapUsedBytes: 0, retryAfterSeconds: 5, sampleIntervalMs: 1000 };

/**
 * Load shedding: while the event loop lags (or the heap is past its limit) every request
 * gets `503 service_overloaded` with `Retry-After`, as a problem document, before the
 * process falls over; `/readyz` too, so a load balancer moves traffic elsewhere. `/healthz`
 * and `/metrics` are always served (a busy process is alive, and its metrics matter most then).
 */
export default fp<PressureOptions & { onOverloaded?: (reason: string) => void }>(
  async (fastify, options) => {
    const settings = { ...DEFAULT_PRESSURE, ...options };
    await fastify.register(underPressure, {
      maxEventLoopDelay: settings.maxEventLoopDelayMs,
      maxEventLoopUtilization: settings.maxEventLoopUtilization,
      maxHeapUsedBytes: settings.maxHeapUsedBytes,
      sampleInterval: settings.sampleIntervalMs,
      retryAfter: settings.retryAfterSeconds,
      pressureHandler: (_request, _reply, type) => {
        options.onOverloaded?.(type);
        return Promise.reject(new ServiceOverloadedError(settings.retryAfterSeconds));
      },
    });
  },
  { name: 'pressure' },
);
