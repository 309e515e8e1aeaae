import { randomBytes, randomInt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { buildSimulatorApp } from './app.js';
import { systemClock } from './behaviour/clock.js';
import { SimControl } from './control/handles.js';
import { Simulation } from './core.js';
import { DEFAULT_OPERATION_TIMING, faultRuleSchema, operationTimingSchema, rateLimitSchema, resolveOperationTiming, resolveRateLimit, type NeonSimulatorOptions } from './options.js';

/** A running simulator. */
export interface NeonSimulator {
  /** Base URL of the Neon API, e.g. `http://127.0.0.1:4010/api/v2` (the client's `baseUrl`). */
  readonly url: string;
  /** `http://127.0.0.1:PORT`; the control API is at `${origin}/_sim`. */
  readonly origin: string;
  readonly port: number;
  /** The first accepted API key. */
  readonly apiKey: string;
  readonly apiKeys: readonly string[];
  /** The seed in use (changes after `control.reset(seed)`). */
  readonly seed: number;
  /** In-process control: faults, counters, state, reset, fast-forward, timing, limits. */
  readonly control: SimControl;
  /** The Fastify instance (for `inject()` in tests). */
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** Starts a simulator listening on `host:port` (default 127.0.0.1 and a free port). */
export async function startNeonSimulator(options: NeonSimulatorOptions = {}): Promise<NeonSimulator> {
  const apiKeys = options.apiKeys && options.apiKeys.length > 0 ? [...options.apiKeys] : [randomBytes(32).toString('hex')];
  const sim = new Simulation({
    seed: options.seed ?? randomInt(0, 2 ** 31),
    clock: options.clock ?? systemClock,
    timing: resolveOperationTiming(DEFAULT_OPERATION_TIMING, operationTimingSchema.parse(options.operations ?? {})),
    rateLimit: resolveRateLimit(options.rateLimit === false ? false : rateLimitSchema.parse(options.rateLimit ?? {})),
    faults: (options.faults ?? []).map((rule) => faultRuleSchema.parse(rule)),
    region: options.region ?? 'aws-us-east-2',
    branchesPerProject: options.branchesPerProject ?? 500,
    visibilityLagMs: options.visibilityLagMs ?? 0,
    apiKeys,
  });
  const app = buildSimulatorApp(sim, { logger: options.logger ?? false });
  await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${host}:${address.port}`;
  const control = new SimControl(sim);
  return {
    url: `${origin}/api/v2`,
    origin,
    port: address.port,
    apiKey: apiKeys[0] ?? '',
    apiKeys,
    get seed() {
      return sim.seed;
    },
    control,
    app,
    close: () => app.close(),
  };
}
