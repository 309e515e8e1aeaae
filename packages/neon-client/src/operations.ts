/**
 * Waiting for Neon operations. A resource is ready only when all operations
 * of the mutation that made it are terminal.
 */
import type { CallOptions } from './core/options.js';
import { NeonAbortedError, NeonError, NeonErrorCodes } from './errors.js';
import type { Operation } from './types.js';

/** Statuses after which an operation will not change, and whether it succeeded. */
const SUCCESS = new Set(['finished', 'skipped']);
const FAILURE = new Set(['failed', 'error', 'cancelled']);

/** True for `finished`, `skipped`, `failed`, `error`, `cancelled`. Unknown statuses count as running. */
export function isOperationTerminal(status: string): boolean {
  return SUCCESS.has(status) || FAILURE.has(status);
}
export function isOperationSucceeded(status: string): boolean {
  return SUCCESS.has(status);
}
export function isOperationFailed(status: string): boolean {
  return FAILURE.has(status);
}

export interface OperationsSummary {
  /** `failed` if any failed; `done` if all succeeded; else `pending`. */
  state: 'done' | 'pending' | 'failed';
  operations: Operation[];
  /** The failed operations (only when `state` is `failed`). */
  failed?: Operation[];
  /** Operations not yet terminal. */
  pending: Operation[];
}

/** Pure: classifies a set of operations (an empty set is `done`). */
export function summarizeOperations(operations: readonly Operation[]): OperationsSummary {
  const ops = [...operations];
  const failed = ops.filter((op) => isOperationFailed(String(op.status)));
  const pending = ops.filter((op) => !isOperationTerminal(String(op.status)));
  if (failed.length > 0) return { state: 'failed', operations: ops, failed, pending };
  return { state: pending.length > 0 ? 'pending' : 'done', operations: ops, pending };
}

/** An operation ended in `failed`, `error` or `cancelled`. */
export class NeonOperationFailedError extends NeonError {
  /** The first failed operation. */
  readonly operation: Operation;
  /** All failed operations. */
  readonly failed: Operation[];
  /** The latest known state of every awaited operation. */
  readonly operations: Operation[];
  constructor(failed: Operation[], operations: Operation[]) {
    const first = failed[0];
    if (!first) throw new TypeError('NeonOperationFailedError needs at least one failed operation');
    const text = first.error ? `: ${first.error}` : '';
    const more = failed.length > 1 ? ` (and ${failed.length - 1} more failed)` : '';
    super(
      NeonErrorCodes.operationFailed,
      `Neon operation ${first.id} (${String(first.action)}) ended with status ${String(first.status)}${text}${more}`,
    );
    this.operation = first;
    this.failed = failed;
    this.operations = operations;
  }
}

/** `waitForOperations` ran out of time; the operations may still finish. */
export class NeonOperationsTimeoutError extends NeonError {
  readonly timeoutMs: number;
  /** Ids of the operations still running. */
  readonly pendingIds: string[];
  readonly operations: Operation[];
  constructor(timeoutMs: number, pending: Operation[], operations: Operation[]) {
    const list = pending.map((op) => `${op.id} (${String(op.action)}: ${String(op.status)})`).join(', ');
    super(NeonErrorCodes.operationsTimeout, `Neon operations not finished after ${timeoutMs} ms: ${list}`);
    this.timeoutMs = timeoutMs;
    this.pendingIds = pending.map((op) => op.id);
    this.operations = operations;
  }
}

export interface WaitForOperationsOptions {
  /** Aborts the wait (throws NeonAbortedError). */
  signal?: AbortSignal;
  /** Overall limit; throws NeonOperationsTimeoutError. Default 300_000. */
  timeoutMs?: number;
  /** First poll delay; each later delay grows by 1.5× up to `maxPollIntervalMs`. Default 500. */
  pollIntervalMs?: number;
  /** Largest poll delay. Default 5_000. */
  maxPollIntervalMs?: number;
}

export const WAIT_DEFAULTS = { timeoutMs: 300_000, pollIntervalMs: 500, maxPollIntervalMs: 5_000 } as const;

interface OperationDeps {
  getOperation(projectId: string, operationId: string, options?: CallOptions): Promise<{ operation: Operation }>;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  now(): number;
}

export function operationHelpers(deps: OperationDeps) {
  /** One poll: fetches every operation in `operationIds` once. Never waits. */
  async function checkOperations(
    projectId: string,
    operationIds: readonly string[],
    options?: CallOptions,
  ): Promise<OperationsSummary> {
    const operations = await Promise.all(
      operationIds.map(async (id) => (await deps.getOperation(projectId, id, options)).operation),
    );
    return summarizeOperations(operations);
  }

  /**
   * Polls until every operation is terminal. Resolves with the final
   * operations; rejects with NeonOperationFailedError as soon as one fails,
   * NeonOperationsTimeoutError after `timeoutMs`, NeonAbortedError on abort.
   * Only operations not yet terminal are polled again.
   */
  async function waitForOperations(
    projectId: string,
    operationIds: readonly string[],
    options: WaitForOperationsOptions = {},
  ): Promise<Operation[]> {
    const timeoutMs = options.timeoutMs ?? WAIT_DEFAULTS.timeoutMs;
    const maxInterval = options.maxPollIntervalMs ?? WAIT_DEFAULTS.maxPollIntervalMs;
    let interval = Math.min(options.pollIntervalMs ?? WAIT_DEFAULTS.pollIntervalMs, maxInterval);
    const signal = options.signal;
    const started = deps.now();
    const latest = new Map<string, Operation>();
    const call: CallOptions = signal ? { signal } : {};
    for (;;) {
      if (signal?.aborted) throw new NeonAbortedError({ cause: signal.reason });
      const toPoll = operationIds.filter((id) => {
        const op = latest.get(id);
        return !op || !isOperationTerminal(String(op.status));
      });
      const polled = await checkOperations(projectId, toPoll, call);
      for (const op of polled.operations) latest.set(op.id, op);
      const all = operationIds.map((id) => latest.get(id)).filter((op): op is Operation => op !== undefined);
      const summary = summarizeOperations(all);
      if (summary.state === 'failed') throw new NeonOperationFailedError(summary.failed ?? [], all);
      if (summary.state === 'done') return all;
      const remaining = timeoutMs - (deps.now() - started);
      if (remaining <= 0) throw new NeonOperationsTimeoutError(timeoutMs, summary.pending, all);
      try {
        // Never sleep past the deadline: one last poll happens right at it.
        await deps.sleep(Math.min(interval, remaining), signal);
      } catch (err) {
        if (signal?.aborted) throw new NeonAbortedError({ cause: signal.reason });
        throw err;
      }
      interval = Math.min(Math.ceil(interval * 1.5), maxInterval);
    }
  }

  return { checkOperations, waitForOperations };
}
