import type { ResolvedOperationTiming } from '../options.js';
import type { IdFactory } from '../state/ids.js';
import type { OperationRecord } from '../state/records.js';
import type { Rng } from '../state/rng.js';
import type { Store } from '../state/store.js';
import type { SimClock } from './clock.js';

/** What happens to the resource when an operation ends; `at` is the operation's end time. */
export type OperationEffect = (ok: boolean, at: number) => void;

export interface OperationSpec {
  action: string;
  branchId?: string;
  endpointId?: string;
  effect?: OperationEffect;
}

const TERMINAL = new Set(['finished', 'failed', 'cancelled', 'skipped', 'error']);

export function isTerminalStatus(status: string): boolean {
  return TERMINAL.has(status);
}

/**
 * Runs operations on the simulator's clock. Progress is lazy: `tick()` (called before every
 * request and every control read) moves each operation through `scheduling → running →
 * finished|failed` by comparing its planned times with the clock, and applies effects in the
 * order the operations end — so a manual clock, a real clock and `fastForward()` all give the
 * same sequence of states, and nothing sleeps.
 *
 * The operations of one mutation run one after another (like Neon's `create_branch` then
 * `start_compute`); when one fails, the rest of its batch is `cancelled`.
 */
export class OperationsEngine {
  private pending: OperationRecord[] = [];
  /** Non-terminal operations per project: the 423 check is a lookup, not a scan of `pending`. */
  private readonly pendingByProject = new Map<string, number>();
  private readonly effects = new Map<string, OperationEffect>();
  private readonly batches = new Map<string, OperationRecord[]>();

  constructor(
    private readonly store: Store,
    private readonly clock: SimClock,
    private readonly ids: IdFactory,
    private readonly outcomes: Rng,
    public timing: ResolvedOperationTiming,
  ) {}

  /** Starts the operations of one mutation; returns them in the state they have right now. */
  schedule(projectId: string, specs: OperationSpec[]): OperationRecord[] {
    const now = this.clock.now();
    let start = now;
    const batch: OperationRecord[] = [];
    for (const spec of specs) {
      const runsAt = start + this.timing.schedulingMs;
      const endsAt = runsAt + this.timing.runningMs;
      const op: OperationRecord = {
        id: this.ids.operationId(),
        projectId,
        action: spec.action,
        createdAt: now,
        updatedAt: now,
        runsAt,
        endsAt,
        willFail: this.timing.failureRate > 0 && this.outcomes.next() < this.timing.failureRate,
        status: 'scheduling',
        failuresCount: 0,
        ...(spec.branchId !== undefined ? { branchId: spec.branchId } : {}),
        ...(spec.endpointId !== undefined ? { endpointId: spec.endpointId } : {}),
      };
      start = endsAt;
      this.store.operations.set(op.id, op);
      this.pending.push(op);
      this.pendingByProject.set(projectId, (this.pendingByProject.get(projectId) ?? 0) + 1);
      batch.push(op);
      if (spec.effect) this.effects.set(op.id, spec.effect);
      this.batches.set(op.id, batch);
    }
    this.tick(now);
    return batch;
  }

  /** Advances every pending operation to the clock's present. */
  tick(now: number = this.clock.now()): void {
    for (;;) {
      let next: OperationRecord | undefined;
      for (const op of this.pending) if (op.endsAt <= now && (!next || op.endsAt < next.endsAt)) next = op;
      if (!next) break;
      this.finish(next, next.endsAt);
    }
    for (const op of this.pending) {
      if (op.status === 'scheduling' && op.runsAt <= now) {
        op.status = 'running';
        op.updatedAt = op.runsAt;
      }
    }
  }

  /** Ends every pending operation now, in order, as if its time had come. */
  fastForward(): number {
    const now = this.clock.now();
    let count = 0;
    while (this.pending.length > 0) {
      const next = this.pending.reduce((a, b) => (b.endsAt < a.endsAt ? b : a));
      this.finish(next, Math.min(now, next.endsAt));
      count++;
    }
    return count;
  }

  /** True while any operation of the project is not terminal (Neon's 423 window). */
  hasRunning(projectId: string): boolean {
    this.tick();
    return (this.pendingByProject.get(projectId) ?? 0) > 0;
  }

  pendingCount(): number {
    return this.pending.length;
  }

  clear(): void {
    this.pending = [];
    this.pendingByProject.clear();
    this.effects.clear();
    this.batches.clear();
  }

  private finish(op: OperationRecord, at: number): void {
    this.removePending(op);
    const ok = !op.willFail;
    op.status = ok ? 'finished' : 'failed';
    op.updatedAt = at;
    if (!ok) {
      op.error = `${op.action} failed: simulated failure (failure rate ${this.timing.failureRate})`;
      op.failuresCount = 1;
    }
    this.effects.get(op.id)?.(ok, at);
    this.effects.delete(op.id);
    const batch = this.batches.get(op.id) ?? [];
    this.batches.delete(op.id);
    if (ok) return;
    for (const later of batch) {
      if (!this.pending.includes(later)) continue;
      this.removePending(later);
      later.status = 'cancelled';
      later.updatedAt = at;
      later.error = `cancelled: operation ${op.id} (${op.action}) failed`;
      this.effects.get(later.id)?.(false, at);
      this.effects.delete(later.id);
      this.batches.delete(later.id);
    }
  }

  private removePending(op: OperationRecord): void {
    this.pending = this.pending.filter((p) => p !== op);
    const left = (this.pendingByProject.get(op.projectId) ?? 1) - 1;
    if (left > 0) this.pendingByProject.set(op.projectId, left);
    else this.pendingByProject.delete(op.projectId);
  }
}
