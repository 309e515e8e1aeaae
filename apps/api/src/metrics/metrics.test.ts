import { parsePrometheusText, sampleValue } from '@neonops/observability';
import { waitUntil } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { branchCreate, buildTestApp } from '../../test/helper.js';

const post = (body: unknown, key?: string) => ({
  method: 'POST' as const,
  url: '/v1/intents',
  payload: body as Record<string, unknown>,
  ...(key ? { headers: { 'idempotency-key': key } } : {}),
});

describe('API metrics', () => {
  it('counts intents created by kind and team, idempotent replays and conflicts, and requests by route template', async () => {
    const t = await buildTestApp();
    const created: string[] = [];
    for (const [team, body, key] of [
      ['alpha', branchCreate('p-alpha'), 'k-1'],
      ['alpha', branchCreate('p-alpha', { name: 'other' }), 'k-2'],
      ['beta', { kind: 'database.create', params: { projectId: 'p-beta', branchId: 'br-1', name: 'db', ownerName: 'app' } }, undefined],
    ] as const) {
      const res = await t.as(team, post(body, key));
      expect(res.statusCode).toBe(202);
      created.push(res.json<{ id: string }>().id);
    }
    expect((await t.as('alpha', post(branchCreate('p-alpha'), 'k-1'))).headers['idempotent-replayed']).toBe('true');
    expect((await t.as('alpha', post(branchCreate('p-alpha', { name: 'changed' }), 'k-1'))).statusCode).toBe(422);
    expect((await t.as('alpha', { method: 'GET', url: `/v1/intents/${created[0]}` })).statusCode).toBe(200);
    expect((await t.as('alpha', { method: 'GET', url: '/v1/intents/int_doesnotexist0000000000' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/no/such/route/123' })).statusCode).toBe(404);

    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    const { samples } = parsePrometheusText(res.body);
    expect(sampleValue(samples, 'neonops_intents_submitted_total', { kind: 'branch.create', team: 'alpha' })).toBe(2);
    expect(sampleValue(samples, 'neonops_intents_submitted_total', { kind: 'database.create', team: 'beta' })).toBe(1);
    expect(sampleValue(samples, 'neonops_intents_submitted_total')).toBe(3);
    expect(sampleValue(samples, 'neonops_idempotency_replays_total')).toBe(1);
    expect(sampleValue(samples, 'neonops_idempotency_conflicts_total', { reason: 'mismatch' })).toBe(1);
    const requests = (labels: Record<string, string>) => sampleValue(samples, 'neonops_http_requests_total', labels);
    expect(requests({ method: 'POST', route: '/v1/intents', status_code: '202' })).toBe(4);
    expect(requests({ method: 'POST', route: '/v1/intents', status_code: '422' })).toBe(1);
    expect(requests({ method: 'GET', route: '/v1/intents/:id' })).toBe(2);
    expect(requests({ route: 'unmatched', status_code: '404' })).toBe(1);
    expect(sampleValue(samples, 'neonops_http_request_duration_seconds_count', { method: 'POST', route: '/v1/intents' })).toBe(5);
    // No id and no raw path is ever a label value.
    for (const s of samples) for (const value of Object.values(s.labels)) for (const id of [...created, '123', 'int_doesnotexist']) expect(value).not.toContain(id);

    // The API logs the id of each intent it creates (with its team), once: not for the replay.
    const lines = t
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'intent created');
    expect(lines.map((l) => [l.intentId, l.teamId, l.kind])).toEqual([
      [created[0], 'alpha', 'branch.create'],
      [created[1], 'alpha', 'branch.create'],
      [created[2], 'beta', 'database.create'],
    ]);
  });

  it('metrics: false builds the API without metrics (the bench compares): no /metrics, intents still accepted', async () => {
    const t = await buildTestApp({ metrics: false });
    expect((await t.as('alpha', post(branchCreate('p-alpha')))).statusCode).toBe(202);
    expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('sheds load with 503 service_overloaded and Retry-After while the event loop lags; /healthz and /metrics still answer', async () => {
    const t = await buildTestApp({ pressure: { maxEventLoopDelayMs: 50, sampleIntervalMs: 5, retryAfterSeconds: 7 } });
    const block = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        // A synchronous stretch: the event loop lags as under a CPU-bound overload.
      }
    };
    const refused = await waitUntil(
      async () => {
        block(150);
        const res = await t.as('alpha', { method: 'GET', url: '/v1/intents' });
        return res.statusCode === 503 ? res : undefined;
      },
      { what: 'a 503 under pressure' },
    );
    expect(refused.headers['retry-after']).toBe('7');
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ status: 503, code: 'service_overloaded' });
    // Still under pressure (the loop lagged again just before): liveness and scrapes are answered.
    block(150);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(sampleValue(parsePrometheusText(metrics.body).samples, 'neonops_http_overloaded_total')).toBeGreaterThan(0);
  });
});
