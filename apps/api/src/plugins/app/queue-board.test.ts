import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helper.js';

describe('queue board (/admin/queues)', () => {
  it('needs an admin team token: 401 without one, 403 for another team, the board for an admin', async () => {
    const t = await buildTestApp();
    expect((await t.app.inject({ method: 'GET', url: '/admin/queues' })).statusCode).toBe(401);
    const other = await t.as('alpha', { method: 'GET', url: '/admin/queues/api/queues' });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ code: 'admin_required' });
    const page = await t.as('root', { method: 'GET', url: '/admin/queues' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/admin'))).toEqual([]);
  });

  it('is read-only and its job data holds ids and kinds, never a secret or a param', async () => {
    const t = await buildTestApp();
    const submitted = await t.as('root', {
      method: 'POST',
      url: '/v1/intents',
      payload: { kind: 'api_key.create', params: { keyName: 'very-private-key-name' } },
    });
    expect(submitted.statusCode).toBe(202);
    const intentId = submitted.json<{ id: string }>().id;
    const res = await t.as('root', { method: 'GET', url: '/admin/queues/api/queues?activeQueue=intents&status=latest&page=1' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ queues: { name: string; readOnlyMode: boolean; jobs: { id: string; data: Record<string, unknown> }[] }[] }>();
    expect(body.queues.map((q) => q.name).sort()).toEqual(['intents', 'webhooks']);
    for (const queue of body.queues) expect(queue.readOnlyMode).toBe(true);
    const job = body.queues.find((q) => q.name === 'intents')?.jobs.find((j) => j.id === intentId);
    expect(job?.data).toEqual({ intentId, teamId: 'root', kind: 'api_key.create' });
    expect(res.body).not.toContain('very-private-key-name');
    expect(res.body).not.toContain('token-root');

    // Read-only: the board refuses to change jobs.
    const retry = await t.as('root', { method: 'PUT', url: `/admin/queues/api/queues/intents/${intentId}/promote` });
    expect(retry.statusCode).toBeGreaterThanOrEqual(400);
    expect(await t.queue.getJobState(intentId)).toBe('waiting');
  });
});
