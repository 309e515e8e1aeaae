import { describe, expect, it } from 'vitest';
import { apiClientAndSim, CLOCK_STEP_MS, sdkAndSim } from './official-clients.js';

/** The helpers must be able to fail: a response outside the document is recorded, and time moves per request. */
describe('official client helpers', () => {
  it('records a response of the api-client that matches no route of the document', async () => {
    const { client, violations, sim, clock } = await apiClientAndSim();
    const before = clock.now();
    const health = await client.instance.get(`${sim.origin}/_sim/health`);
    expect(health.data).toEqual({ ok: true });
    expect(clock.now() - before).toBe(CLOCK_STEP_MS);
    expect(violations).toEqual(['GET /_sim/health matches no path in Neon\'s OpenAPI document']);
  });

  it('records a response of the SDK that matches no route of the document', async () => {
    const { neon, violations, sim, clock } = await sdkAndSim();
    const before = clock.now();
    const health = await neon.client.get({ baseUrl: sim.origin, url: '/_sim/health' });
    expect(health.data).toEqual({ ok: true });
    expect(clock.now() - before).toBe(CLOCK_STEP_MS);
    expect(violations).toEqual(['GET /_sim/health matches no path in Neon\'s OpenAPI document']);
  });
});
