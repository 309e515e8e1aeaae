import type { ManualClock, SimClock } from '../behaviour/clock.js';
import type { ConsumptionMeter } from '../behaviour/consumption.js';
import type { CountersSnapshot } from '../behaviour/counters.js';
import type { Simulation } from '../core.js';
import {
  faultRuleSchema,
  resolveOperationTiming,
  resolveRateLimit,
  type FaultRule,
  type OperationTiming,
  type RateLimitOptions,
  type ResolvedOperationTiming,
  type ResolvedRateLimit,
} from '../options.js';
import type {
  ApiKeyRecord,
  BranchRecord,
  DatabaseRecord,
  EndpointRecord,
  OperationRecord,
  ProjectRecord,
  RoleRecord,
  WriteEvent,
} from '../state/records.js';
import { tickSimulation } from '../state/mutations.js';

/** A full dump of the simulator's state (internal records, tombstones included, API key tokens left out). */
export interface SimStateDump {
  seed: number;
  now: string;
  options: SimOptionsView;
  projects: ProjectRecord[];
  branches: BranchRecord[];
  endpoints: EndpointRecord[];
  databases: DatabaseRecord[];
  roles: RoleRecord[];
  operations: OperationRecord[];
  apiKeys: Array<Omit<ApiKeyRecord, 'token'>>;
  writes: WriteEvent[];
  faults: Array<FaultRule & { fired: number }>;
}

export interface SimOptionsView {
  operations: ResolvedOperationTiming;
  rateLimit: ResolvedRateLimit | false;
  branchesPerProject: number;
  visibilityLagMs: number;
}

/** The simulator runs on the system clock: it cannot be moved. */
export class ClockNotManualError extends Error {
  readonly code = 'clock_not_manual';
  constructor() {
    super('the simulator was started without a manual clock (createManualClock)');
    this.name = 'ClockNotManualError';
  }
}

const isManual = (clock: SimClock): clock is ManualClock => typeof (clock as Partial<ManualClock>).advance === 'function' && typeof (clock as Partial<ManualClock>).set === 'function';

/**
 * In-process control of a running simulator (`sim.control`); the `/_sim/*` HTTP routes call
 * the same methods.
 */
export class SimControl {
  constructor(private readonly sim: Simulation) {}

  /** Requests by `METHOD /template` and status since start or the last reset. */
  counters(): CountersSnapshot {
    return this.sim.counters.snapshot();
  }

  resetCounters(): void {
    this.sim.counters.clear();
  }

  state(): SimStateDump {
    tickSimulation(this.sim);
    const s = this.sim.store;
    return structuredClone({
      seed: this.sim.seed,
      now: new Date(this.sim.now()).toISOString(),
      options: this.options(),
      projects: [...s.projects.values()],
      branches: [...s.branches.values()],
      endpoints: [...s.endpoints.values()],
      databases: [...s.databases.values()],
      roles: [...s.roles.values()],
      operations: [...s.operations.values()],
      apiKeys: [...s.apiKeys.values()].map(({ token: _token, ...rest }) => rest),
      writes: [...s.writes],
      faults: this.sim.faults.list(),
    });
  }

  /** Drops all state, counters, rate windows and faults; re-seeds with `seed` when given. */
  reset(seed?: number): void {
    this.sim.reset(seed);
  }

  /** Ends every running operation now (effects applied in order). Returns how many ended. */
  fastForward(): number {
    const count = this.sim.engine.fastForward();
    tickSimulation(this.sim);
    return count;
  }

  /** Replaces the fault rules (validated; throws on a bad rule). */
  setFaults(rules: FaultRule[]): void {
    this.sim.faults.set(rules.map((r) => faultRuleSchema.parse(r)));
  }

  addFaults(rules: FaultRule[]): void {
    this.sim.faults.add(rules.map((r) => faultRuleSchema.parse(r)));
  }

  clearFaults(): void {
    this.sim.faults.clear();
  }

  faults(): Array<FaultRule & { fired: number }> {
    return this.sim.faults.list();
  }

  setOperationTiming(timing: OperationTiming): ResolvedOperationTiming {
    this.sim.operationTiming = resolveOperationTiming(this.sim.operationTiming, timing);
    return this.sim.operationTiming;
  }

  /** New limits (merged with the current ones), or `false` to switch limiting off. */
  setRateLimit(limits: RateLimitOptions | false): ResolvedRateLimit | false {
    const current = this.sim.rateLimiter.config;
    this.sim.rateLimiter.config = resolveRateLimit(limits, current === false ? undefined : current);
    this.sim.rateLimiter.clear();
    return this.sim.rateLimiter.config;
  }

  setBranchesPerProject(limit: number): void {
    this.sim.branchesPerProject = limit;
  }

  /**
   * The consumption ground truth (the meter the consumption routes read): usage of a project
   * or branch over [from, to) and storage at a time, computed from the state at `now`.
   */
  get meter(): ConsumptionMeter {
    return this.sim.meter;
  }

  /** Whether `GET /consumption_history/v2/branches` answers (`false`: `403`, as on a plan without per-branch history). */
  setPerBranchConsumption(enabled: boolean): void {
    this.sim.perBranchConsumption = enabled;
  }

  /** The clock: its time (ISO 8601 and epoch ms) and whether it is manual (can be advanced). */
  clock(): { now: string; epochMs: number; manual: boolean } {
    const now = this.sim.now();
    return { now: new Date(now).toISOString(), epochMs: now, manual: isManual(this.sim.clock) };
  }

  /**
   * Moves a manual clock forward by `ms` (or to `to`, epoch ms) and applies what the new time
   * brings (operations ending, auto-suspend, branch expiry), as the next request would.
   * Throws {@link ClockNotManualError} on the system clock.
   */
  advanceClock(by: { ms: number } | { to: number }): { now: string; epochMs: number; manual: boolean } {
    const clock = this.sim.clock;
    if (!isManual(clock)) throw new ClockNotManualError();
    if ('ms' in by) clock.advance(by.ms);
    else clock.set(by.to);
    tickSimulation(this.sim);
    return this.clock();
  }

  /** Read-after-create lag for GET of branches and endpoints (0 switches it off). */
  setVisibilityLag(ms: number): void {
    this.sim.visibilityLagMs = ms;
  }

  options(): SimOptionsView {
    return { operations: this.sim.operationTiming, rateLimit: this.sim.rateLimiter.config, branchesPerProject: this.sim.branchesPerProject, visibilityLagMs: this.sim.visibilityLagMs };
  }

  /** Records `bytes` written to a branch (default: the project's default branch), for consumption. */
  recordWrite(projectId: string, bytes: number, branchId?: string): void {
    const branch = branchId ?? this.sim.store.defaultBranch(projectId)?.id;
    if (!this.sim.store.projects.has(projectId) || branch === undefined) throw new Error(`unknown project ${projectId}`);
    this.sim.store.addWrite({ projectId, branchId: branch, at: this.sim.now(), bytes });
  }

  get seed(): number {
    return this.sim.seed;
  }
}
