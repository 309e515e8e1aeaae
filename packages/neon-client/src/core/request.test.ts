import { describe, expect, it } from 'vitest';
import { fakeClock, neonError, scriptedFetch, type Step } from '../../test/fake-fetch.js';
import { createNeonClient } from '../client.js';
import {
  NeonAbortedError,
  NeonApiError,
  NeonAuthError,
  NeonConflictError,
  NeonConnectionError,
  NeonLockedError,
  NeonNotFoundError,
  NeonRateLimitError,
  NeonServerError,
  NeonTimeoutError,
  NeonUnprocessableError,
  isRetryableNeonError,
} from '../errors.js';
import type { NeonClientOptions } from './options.js';

const KEY = 'napi_test_SECRET_key_1234567890';
const branchBody = { branch: { id: 'br-1', project_id: 'p-1', name: 'x' }, operations: [] };
const projectBody = { project: { id: 'p-1' } };

function setup(steps: Step[], options: Partial<NeonClientOptions> = {}) {
  const { fetch, requests } = scriptedFetch(steps);
  const clock = fakeClock();
  const neon = createNeonClient({
    apiKey: KEY,
    baseUrl: 'http://127.0.0.1:9/api/v2',
    fetch,
    sleep: clock.sleep,
    now: clock.now,
    random: () => 0.5,
    ...options,
  });
  return { neon, requests, clock };
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('retries', () => {
  it.each([423, 429, 502, 503, 504, 524])('retries a GET on %i with backoff', async (status) => {
    const retries: number[] = [];
    const { neon, requests, clock } = setup(
      [{ status, body: neonError('busy') }, { status, body: neonError('busy') }, { status: 200, body: projectBody }],
      { hooks: { onRetry: (info) => retries.push(info.status ?? 0) } },
    );
    await expect(neon.getProject('p-1')).resolves.toEqual(projectBody);
    expect(requests).toHaveLength(3);
    expect(retries).toEqual([status, status]);
    // full jitter with random()=0.5: half of 500, then half of 1000
    expect(clock.sleeps).toEqual([250, 500]);
  });

  it('retries a GET after a network error', async () => {
    const { neon, requests } = setup([{ throw: new TypeError('fetch failed') }, { status: 200, body: projectBody }]);
    await expect(neon.getProject('p-1')).resolves.toEqual(projectBody);
    expect(requests).toHaveLength(2);
  });

  it('grows the backoff ceiling exponentially up to maxDelayMs', async () => {
    const { neon, clock } = setup([{ status: 503 }], {
      random: () => 0.999999,
      retry: { maxAttempts: 7, baseDelayMs: 100, maxDelayMs: 2_000, maxElapsedMs: 1_000_000 },
    });
    await expect(neon.getProject('p-1')).rejects.toBeInstanceOf(NeonServerError);
    expect(clock.sleeps).toEqual([99, 199, 399, 799, 1599, 1999]);
  });

  it('uses full jitter: random()=0 gives no wait', async () => {
    const { neon, clock } = setup([{ status: 503 }, { status: 200, body: projectBody }], { random: () => 0 });
    await neon.getProject('p-1');
    expect(clock.sleeps).toEqual([0]);
  });

  it('honours Retry-After in seconds before backoff', async () => {
    const { neon, clock } = setup([
      { status: 429, body: neonError('slow down'), headers: { 'retry-after': '3' } },
      { status: 200, body: projectBody },
    ]);
    await neon.getProject('p-1');
    expect(clock.sleeps).toEqual([3000]);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const clock0 = fakeClock();
    const at = new Date(clock0.now() + 5_000).toUTCString();
    const { neon, clock } = setup([
      { status: 503, headers: { 'retry-after': at } },
      { status: 200, body: projectBody },
    ]);
    await neon.getProject('p-1');
    expect(clock.sleeps).toEqual([5000]);
  });

  it.each([
    [400, NeonApiError],
    [401, NeonAuthError],
    [403, NeonAuthError],
    [404, NeonNotFoundError],
    [409, NeonConflictError],
    [422, NeonUnprocessableError],
  ])('does not retry %i', async (status, cls) => {
    const { neon, requests } = setup([{ status, body: neonError('no') }, { status: 200, body: projectBody }]);
    const err = await failure(neon.getProject('p-1'));
    expect(err).toBeInstanceOf(cls);
    expect(isRetryableNeonError(err)).toBe(false);
    expect(requests).toHaveLength(1);
  });

  it('retries a GET on 500 as on 503', async () => {
    const { neon, requests, clock } = setup([{ status: 500, body: neonError('boom') }, { status: 200, body: projectBody }]);
    await expect(neon.getProject('p-1')).resolves.toEqual(projectBody);
    expect(requests).toHaveLength(2);
    expect(clock.sleeps).toEqual([250]);
  });

  it('does not repeat a POST answered 500 (it may have been applied), unless marked safe to repeat', async () => {
    const { neon, requests } = setup([{ status: 500, body: neonError('boom') }, { status: 201, body: branchBody }]);
    const err = await failure(neon.createBranch('p-1'));
    expect(err).toBeInstanceOf(NeonServerError);
    expect((err as NeonServerError).outcomeUnknown).toBe(true);
    expect(requests).toHaveLength(1);

    const safe = setup([{ status: 500, body: neonError('boom') }, { status: 200, body: branchBody }]);
    await expect(safe.neon.startEndpoint('p-1', 'ep-1', { safeToRepeat: true })).resolves.toEqual(branchBody);
    expect(safe.requests).toHaveLength(2);
  });

  it('stops after maxAttempts and throws the last error with the attempt count', async () => {
    const { neon, requests } = setup([{ status: 423, body: neonError('project already has running conflicting operations') }], {
      retry: { maxAttempts: 3 },
    });
    const err = await failure(neon.getProject('p-1'));
    expect(err).toBeInstanceOf(NeonLockedError);
    expect((err as NeonLockedError).attempts).toBe(3);
    expect(requests).toHaveLength(3);
  });

  it('does not start a retry that would end after maxElapsedMs', async () => {
    const { neon, requests, clock } = setup([{ status: 503 }], {
      retry: { maxAttempts: 10, baseDelayMs: 1_000, maxDelayMs: 100_000, maxElapsedMs: 2_000 },
      random: () => 0.999,
    });
    await expect(neon.getProject('p-1')).rejects.toBeInstanceOf(NeonServerError);
    // 999 fits; 999 + 1998 does not.
    expect(clock.sleeps).toEqual([999]);
    expect(requests).toHaveLength(2);
  });

  it('gives up when Retry-After is beyond maxElapsedMs', async () => {
    const { neon, requests } = setup([{ status: 429, headers: { 'retry-after': '600' } }], { retry: { maxElapsedMs: 60_000 } });
    const err = await failure(neon.getProject('p-1'));
    expect(err).toBeInstanceOf(NeonRateLimitError);
    expect((err as NeonRateLimitError).retryAfterMs).toBe(600_000);
    expect(requests).toHaveLength(1);
  });
});

describe('mutations whose response was lost', () => {
  it('does not repeat a POST after a network error and reports outcomeUnknown', async () => {
    const { neon, requests } = setup([{ throw: new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) }) }, { status: 201, body: branchBody }]);
    const err = await failure(neon.createBranch('p-1', { branch: { name: 'x' } }));
    expect(err).toBeInstanceOf(NeonConnectionError);
    expect(err).not.toBeInstanceOf(NeonTimeoutError);
    expect((err as NeonConnectionError).outcomeUnknown).toBe(true);
    const cause = (err as NeonConnectionError).cause as Error;
    expect(cause.message).toBe('fetch failed');
    expect((cause.cause as Error & { code?: string }).code).toBe('ECONNRESET');
    expect(isRetryableNeonError(err)).toBe(false);
    expect(requests).toHaveLength(1);
  });

  it('does not repeat a POST after a 524', async () => {
    const { neon, requests } = setup([{ status: 524, body: 'A timeout occurred' }, { status: 201, body: branchBody }]);
    const err = await failure(neon.createBranch('p-1'));
    expect(err).toBeInstanceOf(NeonServerError);
    expect((err as NeonServerError).status).toBe(524);
    expect((err as NeonServerError).outcomeUnknown).toBe(true);
    expect(requests).toHaveLength(1);
  });

  it('does not repeat a PATCH or DELETE after a timeout', async () => {
    const { neon, requests } = setup(['hang'], { timeoutMs: 5 });
    const err = await failure(neon.updateBranch('p-1', 'br-1', { branch: { name: 'y' } }));
    expect(err).toBeInstanceOf(NeonTimeoutError);
    expect((err as NeonTimeoutError).outcomeUnknown).toBe(true);
    const err2 = await failure(neon.deleteBranch('p-1', 'br-1'));
    expect(err2).toBeInstanceOf(NeonTimeoutError);
    expect(requests).toHaveLength(2);
  });

  it('repeats a POST marked safeToRepeat', async () => {
    const { neon, requests } = setup([{ throw: new TypeError('fetch failed') }, { status: 524 }, { status: 200, body: branchBody }]);
    await expect(neon.startEndpoint('p-1', 'ep-1', { safeToRepeat: true })).resolves.toEqual(branchBody);
    expect(requests).toHaveLength(3);
  });

  it('repeats a POST that provably was not sent (connection refused)', async () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const { neon, requests } = setup([{ throw: refused }, { status: 201, body: branchBody }]);
    await expect(neon.createBranch('p-1')).resolves.toEqual(branchBody);
    expect(requests).toHaveLength(2);
  });

  it.each([423, 429, 502, 503, 504])('retries a POST answered %i (Neon did not apply it)', async (status) => {
    const { neon, requests } = setup([{ status, body: neonError('not now') }, { status: 201, body: branchBody }]);
    await expect(neon.createBranch('p-1')).resolves.toEqual(branchBody);
    expect(requests).toHaveLength(2);
    expect(requests[0]?.rawBody).toBe(requests[1]?.rawBody);
  });
});

describe('timeouts and abort', () => {
  it('times out an attempt that never answers and retries a GET', async () => {
    const { neon, requests } = setup(['hang', { status: 200, body: projectBody }], { timeoutMs: 5 });
    await expect(neon.getProject('p-1')).resolves.toEqual(projectBody);
    expect(requests).toHaveLength(2);
    expect(requests[0]?.signal?.aborted).toBe(true);
  });

  it('times out while the body is still arriving (a POST is then outcome-unknown)', async () => {
    const { neon, requests } = setup(
      [
        (req) =>
          new Response(
            new ReadableStream<Uint8Array>({
              start(controller) {
                controller.enqueue(new TextEncoder().encode('{"branch":'));
                req.signal?.addEventListener('abort', () => controller.error(req.signal?.reason));
              },
            }),
            { status: 201 },
          ),
      ],
      { timeoutMs: 5 },
    );
    const err = await failure(neon.createBranch('p-1'));
    expect(err).toBeInstanceOf(NeonTimeoutError);
    expect((err as NeonTimeoutError).outcomeUnknown).toBe(true);
    expect(requests).toHaveLength(1);
  });

  it('throws NeonTimeoutError when every attempt times out', async () => {
    const { neon, requests } = setup(['hang'], { retry: { maxAttempts: 2 } });
    const err = await failure(neon.getProject('p-1', { timeoutMs: 5 }));
    expect(err).toBeInstanceOf(NeonTimeoutError);
    expect(err).toBeInstanceOf(NeonConnectionError);
    expect((err as NeonTimeoutError).timeoutMs).toBe(5);
    expect((err as NeonTimeoutError).outcomeUnknown).toBe(false);
    expect(requests).toHaveLength(2);
  });

  it('stops at once when the caller aborts during a request', async () => {
    const controller = new AbortController();
    const { neon, requests } = setup([
      (req) => {
        queueMicrotask(() => controller.abort());
        return new Promise<Response>((_r, reject) => req.signal?.addEventListener('abort', () => reject(req.signal?.reason)));
      },
      { status: 200, body: projectBody },
    ]);
    const err = await failure(neon.getProject('p-1', { signal: controller.signal }));
    expect(err).toBeInstanceOf(NeonAbortedError);
    expect(requests).toHaveLength(1);
  });

  it('stops when the caller aborts during the backoff wait', async () => {
    const controller = new AbortController();
    const { neon, requests } = setup([{ status: 503 }, { status: 200, body: projectBody }], {
      sleep: (_ms, signal) => {
        controller.abort();
        return Promise.reject(signal?.reason as Error);
      },
    });
    expect(await failure(neon.getProject('p-1', { signal: controller.signal }))).toBeInstanceOf(NeonAbortedError);
    expect(requests).toHaveLength(1);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const { neon, requests } = setup([{ status: 200, body: projectBody }]);
    expect(await failure(neon.getProject('p-1', { signal: AbortSignal.abort() }))).toBeInstanceOf(NeonAbortedError);
    expect(requests).toHaveLength(0);
  });
});

describe('rate budget and hooks', () => {
  it('awaits acquire exactly once before every attempt', async () => {
    const log: string[] = [];
    const { fetch } = scriptedFetch([{ status: 429 }, { status: 503 }, { status: 200, body: projectBody }]);
    const clock = fakeClock();
    const neon = createNeonClient({
      apiKey: KEY,
      sleep: clock.sleep,
      now: clock.now,
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        log.push('fetch');
        return fetch(input, init);
      }) as typeof fetch,
      rateBudget: {
        acquire: async (req) => {
          log.push(`acquire ${req.route}`);
        },
      },
    });
    await neon.getProject('p-1');
    expect(log).toEqual([
      'acquire GET /projects/{project_id}',
      'fetch',
      'acquire GET /projects/{project_id}',
      'fetch',
      'acquire GET /projects/{project_id}',
      'fetch',
    ]);
  });

  it('passes the caller signal to acquire and stops when it aborts there', async () => {
    const controller = new AbortController();
    const seen: (AbortSignal | undefined)[] = [];
    const { neon, requests } = setup([{ status: 200, body: projectBody }], {
      rateBudget: {
        acquire: (req) => {
          seen.push(req.signal);
          controller.abort();
          return Promise.reject(new Error('budget wait aborted'));
        },
      },
    });
    expect(await failure(neon.getProject('p-1', { signal: controller.signal }))).toBeInstanceOf(NeonAbortedError);
    expect(seen).toEqual([controller.signal]);
    expect(requests).toHaveLength(0);
  });

  it('calls onRateLimited on 429 with retryAfterMs', async () => {
    const limited: unknown[] = [];
    const { neon } = setup([{ status: 429, headers: { 'retry-after': '2' } }, { status: 429 }, { status: 200, body: projectBody }], {
      rateBudget: { acquire: async () => {}, onRateLimited: (req) => void limited.push(req) },
    });
    await neon.getProject('p-1');
    expect(limited).toEqual([
      { method: 'GET', route: 'GET /projects/{project_id}', retryAfterMs: 2000 },
      { method: 'GET', route: 'GET /projects/{project_id}' },
    ]);
  });

  it("reports Neon's request id of a successful answer from its response header", async () => {
    const events: { neonRequestId?: string }[] = [];
    const { neon } = setup(
      [
        { status: 200, body: projectBody, headers: { 'x-neon-ret-request-id': 'neon-ok-1' } },
        { status: 200, body: projectBody, headers: { 'x-request-id': 'echoed-2' } },
        { status: 200, body: projectBody },
      ],
      { hooks: { onResponse: (i) => events.push(i) } },
    );
    for (let i = 0; i < 3; i++) await neon.getProject('p-1');
    expect(events.map((e) => e.neonRequestId)).toEqual(['neon-ok-1', 'echoed-2', undefined]);
  });

  it('reports each attempt to the hooks without headers or the key', async () => {
    const events: unknown[] = [];
    const { neon } = setup([{ status: 423, body: neonError('locked', '', 'neon-abc') }, { status: 200, body: projectBody }], {
      generateRequestId: () => 'req-1',
      hooks: {
        onRequest: (i) => events.push(['req', i]),
        onResponse: (i) => events.push(['res', i]),
        onRetry: (i) => events.push(['retry', i]),
      },
    });
    await neon.getProject('p-1');
    expect(events).toEqual([
      ['req', { method: 'GET', route: '/projects/{project_id}', attempt: 1, requestId: 'req-1' }],
      ['res', { method: 'GET', route: '/projects/{project_id}', attempt: 1, requestId: 'req-1', status: 423, durationMs: 0, errorCode: 'NEON_LOCKED', neonRequestId: 'neon-abc' }],
      ['retry', { method: 'GET', route: '/projects/{project_id}', attempt: 1, requestId: 'req-1', delayMs: 250, status: 423, errorCode: 'NEON_LOCKED', fromRetryAfter: false }],
      ['req', { method: 'GET', route: '/projects/{project_id}', attempt: 2, requestId: 'req-1' }],
      ['res', { method: 'GET', route: '/projects/{project_id}', attempt: 2, requestId: 'req-1', status: 200, durationMs: 0 }],
    ]);
    expect(JSON.stringify(events)).not.toContain(KEY);
  });

  it('keeps working when a hook throws', async () => {
    const { neon } = setup([{ status: 200, body: projectBody }], {
      hooks: {
        onRequest: () => {
          throw new Error('hook bug');
        },
      },
    });
    await expect(neon.getProject('p-1')).resolves.toEqual(projectBody);
  });
});

describe('request shape', () => {
  it('sends auth, user agent, one X-Request-ID for all attempts, and JSON bodies', async () => {
    const { neon, requests } = setup([{ status: 503 }, { status: 201, body: branchBody }], { userAgent: 'neonops-test/1' });
    await neon.createBranch('p-1', { branch: { name: 'feature/x' } }, { requestId: 'my-id' });
    for (const req of requests) {
      expect(req.method).toBe('POST');
      expect(req.url.href).toBe('http://127.0.0.1:9/api/v2/projects/p-1/branches');
      expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(req.headers['user-agent']).toBe('neonops-test/1');
      expect(req.headers['x-request-id']).toBe('my-id');
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.body).toEqual({ branch: { name: 'feature/x' } });
    }
  });

  it('generates a fresh UUID request id per call and sends no body or content-type for a GET', async () => {
    const { neon, requests } = setup([{ status: 200, body: projectBody }]);
    await neon.getProject('p-1');
    await neon.getProject('p-1');
    expect(requests[0]?.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(requests[0]?.headers['x-request-id']).not.toBe(requests[1]?.headers['x-request-id']);
    expect(requests[0]?.rawBody).toBeUndefined();
    expect(requests[0]?.headers['content-type']).toBeUndefined();
  });

  it('encodes path parameters and repeats array query parameters', async () => {
    const { neon, requests } = setup([{ status: 200, body: { role: {} } }, { status: 200, body: { projects: [] } }], {
      baseUrl: 'http://127.0.0.1:9/api/v2/',
    });
    await neon.getRole('p-1', 'br-1', 'we/ird role?');
    expect(requests[0]?.url.pathname).toBe('/api/v2/projects/p-1/branches/br-1/roles/we%2Fird%20role%3F');
    await neon.getConsumptionHistoryPerProject({
      from: '2026-01-01T00:00:00Z',
      to: '2026-01-02T00:00:00Z',
      granularity: 'daily',
      org_id: 'org-1',
      metrics: ['compute_unit_seconds', 'extra_branches_month'],
      project_ids: ['a', 'b'],
    });
    expect(requests[1]?.url.searchParams.getAll('metrics')).toEqual(['compute_unit_seconds', 'extra_branches_month']);
    expect(requests[1]?.url.searchParams.getAll('project_ids')).toEqual(['a', 'b']);
  });

  it('rejects a missing path parameter before sending', async () => {
    const { neon, requests } = setup([{ status: 200, body: projectBody }]);
    await expect(neon.getProject('')).rejects.toBeInstanceOf(TypeError);
    expect(requests).toHaveLength(0);
  });

  it('returns undefined for a 204', async () => {
    const { neon } = setup([new Response(null, { status: 204 })]);
    await expect(neon.deleteBranch('p-1', 'br-gone')).resolves.toBeUndefined();
  });

  it('requires an API key', () => {
    expect(() => createNeonClient({ apiKey: '' })).toThrow(TypeError);
  });
});

describe('error fields', () => {
  it('carries status, Neon code, request ids, method and path', async () => {
    const { neon } = setup([{ status: 409, body: neonError('branch with name already exists', 'BRANCH_NAME_CONFLICT', 'neon-77') }], {
      generateRequestId: () => 'ours-1',
    });
    const err = (await failure(neon.createBranch('p-1', { branch: { name: 'dup' } }))) as NeonConflictError;
    expect(err).toBeInstanceOf(NeonConflictError);
    expect(err).toBeInstanceOf(NeonApiError);
    expect(err).toMatchObject({
      status: 409,
      code: 'BRANCH_NAME_CONFLICT',
      errorCode: 'NEON_CONFLICT',
      requestId: 'neon-77',
      neonMessage: 'branch with name already exists',
      clientRequestId: 'ours-1',
      method: 'POST',
      path: '/projects/{project_id}/branches',
      resolvedPath: '/projects/p-1/branches',
      outcomeUnknown: false,
      attempts: 1,
    });
    expect(err.message).toBe(
      'Neon API POST /projects/{project_id}/branches failed with 409: branch with name already exists (request_id neon-77)',
    );
    expect(err.name).toBe('NeonConflictError');
  });

  it('keeps an empty Neon code and handles non-JSON error bodies', async () => {
    const { neon } = setup([new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' })], {
      retry: { maxAttempts: 1 },
    });
    const err = (await failure(neon.getProject('p-1'))) as NeonServerError;
    expect(err).toBeInstanceOf(NeonServerError);
    expect(err.code).toBe('');
    expect(err.requestId).toBeUndefined();
    expect(err.message).toBe('Neon API GET /projects/{project_id} failed with 502: Bad Gateway');
  });

  it('rejects a 2xx whose body is not JSON', async () => {
    const { neon } = setup([new Response('not json', { status: 200 })]);
    expect(await failure(neon.getProject('p-1'))).toBeInstanceOf(NeonServerError);
  });

  it('serializes to JSON with the useful fields', async () => {
    const { neon } = setup([{ status: 404, body: neonError('not found', '', 'n-1') }]);
    const err = (await failure(neon.getBranch('p-1', 'br-x'))) as NeonNotFoundError;
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({
      name: 'NeonNotFoundError',
      errorCode: 'NEON_NOT_FOUND',
      status: 404,
      requestId: 'n-1',
      method: 'GET',
      path: '/projects/{project_id}/branches/{branch_id}',
    });
  });
});
