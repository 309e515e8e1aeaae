import { describe, expect, it } from 'vitest';
import { createReadyProject, startTestSim } from '../test/harness.js';

type ErrorBody = { code: string; message: string; request_id: string };

describe('rate limits (HTTP)', () => {
  it('answers 429 with Retry-After beyond the per-route burst per second; other routes are unaffected', async () => {
    const t = await startTestSim({ rateLimit: { perRoutePerSecond: 2, perMinute: 100 } });
    expect((await t.api.get('/projects')).status).toBe(200);
    expect((await t.api.get('/projects')).status).toBe(200);
    const limited = await t.api.get<ErrorBody>('/projects');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.body.message).toBe('rate limit exceeded');
    expect((await t.api.get('/api_keys')).status).toBe(200);
    t.clock.advance(1000);
    expect((await t.api.get('/projects')).status).toBe(200);
    expect(t.sim.control.counters().byRoute['GET /projects']).toEqual({ '200': 3, '429': 1 });
  });

  it('answers 429 beyond the per-minute budget of an account, and not for another account', async () => {
    const t = await startTestSim({ apiKeys: ['key-a', 'key-b'], rateLimit: { perMinute: 3, perRoutePerSecond: 100 } });
    await createReadyProject(t);
    expect((await t.api.get('/projects')).status).toBe(200);
    expect((await t.api.get('/api_keys')).status).toBe(200);
    const limited = await t.api.get('/projects/shared');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBe(60);
    expect((await t.api.get('/projects', { apiKey: 'key-b' })).status).toBe(200);
    t.clock.advance(30_000);
    expect((await t.api.get('/projects')).status).toBe(429);
    t.clock.advance(30_000);
    expect((await t.api.get('/projects')).status).toBe(200);
  });

  it('limits the consumption endpoints more tightly, and can be switched off at run time', async () => {
    const t = await startTestSim({ rateLimit: { consumptionPerMinute: 1 } });
    const q = `/consumption_history/projects?from=${new Date(t.clock.now()).toISOString()}&to=${new Date(t.clock.now()).toISOString()}&granularity=hourly`;
    expect((await t.api.get(q)).status).toBe(200);
    expect((await t.api.get(q)).status).toBe(429);
    const off = await fetch(`${t.sim.origin}/_sim/options`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rateLimit: false }) });
    expect(await off.json()).toMatchObject({ rateLimit: false });
    for (let i = 0; i < 5; i++) expect((await t.api.get(q)).status).toBe(200);
    t.sim.control.setRateLimit({ perRoutePerSecond: 1 });
    expect((await t.api.get('/projects')).status).toBe(200);
    expect((await t.api.get('/projects')).status).toBe(429);
  });
});
