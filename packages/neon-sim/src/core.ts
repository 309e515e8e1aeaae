import type { SimClock } from './behaviour/clock.js';
import { ConsumptionMeter } from './behaviour/consumption.js';
import { Counters } from './behaviour/counters.js';
import { FaultInjector } from './behaviour/faults.js';
import { OperationsEngine } from './behaviour/operations-engine.js';
import { RateLimiter } from './behaviour/rate-limit.js';
import { Serializer } from './http/serialize.js';
import type { FaultRule, ResolvedOperationTiming, ResolvedRateLimit } from './options.js';
import { IdFactory } from './state/ids.js';
import type { ApiKeyRecord } from './state/records.js';
import { Rng, deriveSeed } from './state/rng.js';
import { Store } from './state/store.js';

export interface SimulationConfig {
  seed: number;
  clock: SimClock;
  timing: ResolvedOperationTiming;
  rateLimit: ResolvedRateLimit | false;
  faults: FaultRule[];
  region: string;
  branchesPerProject: number;
  visibilityLagMs: number;
  apiKeys: string[];
}

/**
 * The whole simulated control plane: state, id streams, operations, limits and faults.
 * Routes read `sim.store` etc. at request time, so `reset()` can swap them.
 */
export class Simulation {
  seed: number;
  readonly clock: SimClock;
  readonly region: string;
  branchesPerProject: number;
  /** A GET of a branch or endpoint younger than this (sim clock) answers 404, as Neon briefly can. */
  visibilityLagMs: number;
  /** `GET /consumption_history/v2/branches` answers (a plan with per-branch history); `false`: 403, as on a plan without it. */
  perBranchConsumption = true;
  readonly initialApiKeys: string[];
  readonly counters = new Counters();
  readonly rateLimiter: RateLimiter;
  store!: Store;
  ids!: IdFactory;
  engine!: OperationsEngine;
  faults!: FaultInjector;
  meter!: ConsumptionMeter;
  serializer!: Serializer;
  private timing: ResolvedOperationTiming;

  constructor(config: SimulationConfig) {
    this.seed = config.seed;
    this.clock = config.clock;
    this.region = config.region;
    this.branchesPerProject = config.branchesPerProject;
    this.visibilityLagMs = config.visibilityLagMs;
    this.initialApiKeys = config.apiKeys;
    this.timing = config.timing;
    this.rateLimiter = new RateLimiter(config.clock, config.rateLimit);
    this.build();
    this.faults.set(config.faults);
  }

  now(): number {
    return this.clock.now();
  }

  get operationTiming(): ResolvedOperationTiming {
    return { ...this.timing };
  }

  set operationTiming(timing: ResolvedOperationTiming) {
    this.timing = { ...timing };
    this.engine.timing = this.timing;
  }

  /** Drops all state, counters, rate windows and faults; re-seeds (with `seed` if given). */
  reset(seed?: number): void {
    if (seed !== undefined) this.seed = seed;
    this.counters.clear();
    this.rateLimiter.clear();
    this.build();
  }

  /** The key record for a Bearer token, if it is known and not revoked. */
  authenticate(token: string): ApiKeyRecord | undefined {
    for (const key of this.store.apiKeys.values()) if (key.token === token && !key.revoked) return key;
    return undefined;
  }

  private build(): void {
    this.store = new Store();
    this.ids = new IdFactory(this.seed);
    this.engine = new OperationsEngine(this.store, this.clock, this.ids, new Rng(deriveSeed(this.seed, 10)), this.timing);
    this.faults = new FaultInjector(new Rng(deriveSeed(this.seed, 11)));
    this.meter = new ConsumptionMeter(this.store);
    this.serializer = new Serializer(this.meter, () => this.clock.now());
    const createdBy = this.ids.userId();
    for (const token of this.initialApiKeys) {
      const id = this.ids.numeric();
      this.store.apiKeys.set(id, {
        id,
        name: `sim-key-${id}`,
        token,
        createdAt: this.clock.now(),
        createdBy,
        lastUsedFromAddr: '',
        revoked: false,
      });
    }
  }
}
