import { describe, expect, it } from 'vitest';
import type { ResponseBody } from '../http/types.js';
import { createReadyProject, startTestSim } from '../test/harness.js';

describe('operations', () => {
  it('lists a project’s operations newest first with cursor pagination, and gets one', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const base = `/projects/${p.project.id}`;
    await t.api.post(`${base}/endpoints/${p.endpoints[0]?.id}/suspend`);
    t.sim.control.fastForward();
    const page1 = await t.api.get<ResponseBody<'listProjectOperations', 200>>(`${base}/operations?limit=2`);
    expect(page1.body.operations.map((o) => o.action)).toEqual(['suspend_compute', 'start_compute']);
    const page2 = await t.api.get<ResponseBody<'listProjectOperations', 200>>(`${base}/operations?limit=2&cursor=${page1.body.pagination?.cursor}`);
    expect(page2.body.operations.map((o) => o.action)).toEqual(['create_timeline']);
    const page3 = await t.api.get<ResponseBody<'listProjectOperations', 200>>(`${base}/operations?limit=2&cursor=${page2.body.pagination?.cursor}`);
    expect(page3.body.operations).toEqual([]);
    const one = await t.api.get<ResponseBody<'getProjectOperation', 200>>(`${base}/operations/${page2.body.operations[0]?.id}`);
    expect(one.body.operation).toMatchObject({ action: 'create_timeline', status: 'finished', project_id: p.project.id });
    expect((await t.api.get(`${base}/operations/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
  });

  it('counts total_duration_ms from the batch’s creation, so a later operation includes its wait behind the earlier one', async () => {
    const t = await startTestSim({ operations: { schedulingMs: 20, runningMs: 50 } });
    const p = await createReadyProject(t);
    const base = `/projects/${p.project.id}`;
    const restart = await t.api.post<ResponseBody<'restartProjectEndpoint', 200>>(`${base}/endpoints/${p.endpoints[0]?.id}/restart`);
    const [suspend, start] = restart.body.operations;
    const read = async (id = '') => (await t.api.get<ResponseBody<'getProjectOperation', 200>>(`${base}/operations/${id}`)).body.operation;
    t.clock.advance(30);
    // Both were created with the request; the second is still `scheduling`, waiting for the first.
    expect([await read(suspend?.id), await read(start?.id)].map((o) => [o.status, o.total_duration_ms])).toEqual([
      ['running', 30],
      ['scheduling', 30],
    ]);
    t.clock.advance(1_000);
    const done = [await read(suspend?.id), await read(start?.id)];
    // 20 + 50 ms each; the second ends 140 ms after the batch was created.
    expect(done.map((o) => [o.status, o.total_duration_ms])).toEqual([
      ['finished', 70],
      ['finished', 140],
    ]);
    expect(new Set(done.map((o) => o.created_at)).size).toBe(1);
  });

  it('runs operations in real time with the system clock, and instantly with 0 ms timings', async () => {
    const t = await startTestSim({ clock: undefined, operations: { schedulingMs: 0, runningMs: 0 } });
    const created = await t.api.post<ResponseBody<'createProject', 201>>('/projects', { project: {} });
    expect(created.body.operations.map((o) => o.status)).toEqual(['finished', 'finished']);
    expect(created.body.endpoints[0]?.current_state).toBe('active');
    // Not locked: the next mutation is accepted at once.
    expect((await t.api.post(`/projects/${created.body.project.id}/branches`, {})).status).toBe(201);
  });
});

describe('api keys', () => {
  it('lists, creates (token shown once) and revokes keys; a revoked key gets 401', async () => {
    const t = await startTestSim({ apiKeys: ['first-key'] });
    const list = await t.api.get<ResponseBody<'listApiKeys', 200>>('/api_keys');
    expect(list.body).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain('first-key');
    const created = await t.api.post<ResponseBody<'createApiKey', 200>>('/api_keys', { key_name: 'ci' });
    expect(created.status).toBe(200);
    expect(created.body.key).toMatch(/^[a-z0-9]{64}$/);
    expect((await t.api.get('/projects', { apiKey: created.body.key })).status).toBe(200);
    const after = await t.api.get<ResponseBody<'listApiKeys', 200>>('/api_keys');
    expect(after.body.map((k) => k.name)).toContain('ci');
    expect(JSON.stringify(after.body)).not.toContain(created.body.key);
    const revoked = await t.api.delete<ResponseBody<'revokeApiKey', 200>>(`/api_keys/${created.body.id}`);
    expect(revoked.body).toMatchObject({ id: created.body.id, revoked: true });
    expect((await t.api.get('/projects', { apiKey: created.body.key })).status).toBe(401);
    expect((await t.api.delete('/api_keys/999')).status).toBe(404);
    expect((await t.api.post('/api_keys', {})).status).toBe(400);
  });
});
