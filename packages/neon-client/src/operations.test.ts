import { describe, expect, it } from 'vitest';
import { fakeClock, scriptedFetch, type RecordedRequest } from '../test/fake-fetch.js';
import { createNeonClient } from './client.js';
import { NeonAbortedError } from './errors.js';
import {
  NeonOperationFailedError,
  NeonOperationsTimeoutError,
  isOperationTerminal,
  summarizeOperations,
} from './operations.js';
import type { Operation } from './types.js';

function op(id: string, status: string, extra: Partial<Operation> = {}): Operation {
  return {
    id,
    project_id: 'p-1',
    branch_id: 'br-1',
    action: 'create_branch',
    status: status as Operation['status'],
    failures_count: 0,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    total_duration_ms: 10,
    ...extra,
  };
}

/** Answers GET operation requests from per-id status scripts. */
function operationsServer(scripts: Record<string, (string | Operation)[]>) {
  const calls: Record<string, number> = {};
  return scriptedFetch((req: RecordedRequest) => {
    const id = decodeURIComponent(req.url.pathname.split('/').pop() ?? '');
    const n = calls[id] ?? 0;
    calls[id] = n + 1;
    const script = scripts[id] ?? ['finished'];
    const step = script[Math.min(n, script.length - 1)] ?? 'finished';
    return { status: 200, body: { operation: typeof step === 'string' ? op(id, step) : step } };
  });
}

function setup(scripts: Record<string, (string | Operation)[]>) {
  const { fetch, requests } = operationsServer(scripts);
  const clock = fakeClock();
  const neon = createNeonClient({ apiKey: 'k', fetch, sleep: clock.sleep, now: clock.now });
  return { neon, requests, clock };
}

describe('isOperationTerminal / summarizeOperations', () => {
  it('classifies statuses, unknown ones as running', () => {
    for (const s of ['finished', 'skipped', 'failed', 'error', 'cancelled']) expect(isOperationTerminal(s)).toBe(true);
    for (const s of ['scheduling', 'running', 'cancelling', 'some_new_status']) expect(isOperationTerminal(s)).toBe(false);
  });
  it('summarizes', () => {
    expect(summarizeOperations([]).state).toBe('done');
    expect(summarizeOperations([op('a', 'finished'), op('b', 'skipped')]).state).toBe('done');
    expect(summarizeOperations([op('a', 'finished'), op('b', 'running')])).toMatchObject({ state: 'pending', pending: [{ id: 'b' }] });
    const failed = summarizeOperations([op('a', 'cancelled'), op('b', 'running')]);
    expect(failed.state).toBe('failed');
    expect(failed.failed?.map((o) => o.id)).toEqual(['a']);
  });
});

describe('checkOperations', () => {
  it('polls each operation once and never waits', async () => {
    const { neon, requests, clock } = setup({ a: ['running'], b: ['finished'] });
    const result = await neon.checkOperations('p-1', ['a', 'b']);
    expect(result.state).toBe('pending');
    expect(requests.map((r) => r.url.pathname)).toEqual(['/api/v2/projects/p-1/operations/a', '/api/v2/projects/p-1/operations/b']);
    expect(clock.sleeps).toEqual([]);
  });
});

describe('waitForOperations', () => {
  it('resolves when all are finished or skipped, polling only pending ones with growing intervals', async () => {
    const { neon, requests, clock } = setup({
      a: ['scheduling', 'running', 'running', 'running', 'finished'],
      b: ['running', 'skipped'],
    });
    const ops = await neon.waitForOperations('p-1', ['a', 'b'], { pollIntervalMs: 100, maxPollIntervalMs: 250 });
    expect(ops.map((o) => [o.id, o.status])).toEqual([
      ['a', 'finished'],
      ['b', 'skipped'],
    ]);
    expect(clock.sleeps).toEqual([100, 150, 225, 250]);
    expect(requests.filter((r) => r.url.pathname.endsWith('/b'))).toHaveLength(2);
  });

  it('fails naming the operation, its action and its error text', async () => {
    const { neon } = setup({
      a: ['running', op('a', 'failed', { action: 'start_compute', error: 'compute quota exceeded' })],
      b: ['running'],
    });
    const err = await neon.waitForOperations('p-1', ['a', 'b']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NeonOperationFailedError);
    const failed = err as NeonOperationFailedError;
    expect(failed.message).toBe('Neon operation a (start_compute) ended with status failed: compute quota exceeded');
    expect(failed.operation.id).toBe('a');
    expect(failed.errorCode).toBe('NEON_OPERATION_FAILED');
  });

  it('times out with the pending operations', async () => {
    const { neon, clock } = setup({ a: ['running'], b: ['finished'] });
    const err = await neon
      .waitForOperations('p-1', ['a', 'b'], { timeoutMs: 10_000, pollIntervalMs: 1_000, maxPollIntervalMs: 3_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NeonOperationsTimeoutError);
    expect((err as NeonOperationsTimeoutError).pendingIds).toEqual(['a']);
    expect((err as Error).message).toContain('a (create_branch: running)');
    // never sleeps past the deadline
    expect(clock.sleeps.reduce((s, x) => s + x, 0)).toBe(10_000);
  });

  it('stops on abort', async () => {
    const controller = new AbortController();
    const { fetch } = operationsServer({ a: ['running'] });
    const neon = createNeonClient({
      apiKey: 'k',
      fetch,
      sleep: (_ms, signal) => {
        controller.abort();
        return Promise.reject(signal?.reason as Error);
      },
    });
    await expect(neon.waitForOperations('p-1', ['a'], { signal: controller.signal })).rejects.toBeInstanceOf(NeonAbortedError);
  });

  it('resolves at once for no operations', async () => {
    const { neon, requests } = setup({});
    await expect(neon.waitForOperations('p-1', [])).resolves.toEqual([]);
    expect(requests).toHaveLength(0);
  });
});
