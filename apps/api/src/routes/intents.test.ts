import { IntentStore, ProjectOwnership, secretContext } from '@neonops/intents';
import { describe, expect, it } from 'vitest';
import { branchCreate, buildTestApp, jobCount } from '../../test/helper.js';
import { hashToken } from '../teams/teams-file.js';

describe('POST /v1/intents', () => {
  it('accepts an intent: 202, Location, a queued record and one job with the intent id', async () => {
    const t = await buildTestApp();
    const res = await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate() });
    expect(res.statusCode).toBe(202);
    const intent = res.json();
    expect(intent).toMatchObject({ teamId: 'alpha', kind: 'branch.create', status: 'queued', cancelRequested: false, steps: [] });
    expect(intent.params).toMatchObject({ projectId: 'p-alpha', name: 'feature-1', endpoints: [] });
    expect(res.headers.location).toBe(`/v1/intents/${intent.id}`);
    const job = await t.queue.getJob(intent.id);
    expect(job?.data).toEqual({ intentId: intent.id, teamId: 'alpha', kind: 'branch.create' });
    expect(await jobCount(t.queue)).toBe(1);
  });

  it('refuses a project of another team, or none, with 404 and enqueues nothing', async () => {
    const t = await buildTestApp();
    for (const projectId of ['p-beta', 'p-nobody']) {
      const res = await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate(projectId) });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ code: 'project_not_found', status: 404 });
    }
    expect(await jobCount(t.queue)).toBe(0);
  });

  it('lets a team use projects its intents created (ProjectOwnership), and no other team', async () => {
    const t = await buildTestApp();
    await new ProjectOwnership(t.redis.connect(), { prefix: t.redis.prefix }).record('beta', 'p-made');
    expect((await t.as('beta', { method: 'POST', url: '/v1/intents', payload: branchCreate('p-made') })).statusCode).toBe(202);
    expect((await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate('p-made') })).statusCode).toBe(404);
  });

  it('keeps admin-only kinds for admin tokens and project creation for teams allowed to', async () => {
    const t = await buildTestApp();
    const apiKey = { kind: 'api_key.create', params: { keyName: 'ci' } };
    expect((await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: apiKey })).json()).toMatchObject({ status: 403, code: 'kind_forbidden' });
    expect((await t.as('root', { method: 'POST', url: '/v1/intents', payload: apiKey })).statusCode).toBe(202);
    const create = { kind: 'project.create', params: { name: 'new' } };
    expect((await t.as('beta', { method: 'POST', url: '/v1/intents', payload: create })).json()).toMatchObject({ code: 'project_creation_forbidden' });
    expect((await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: create })).statusCode).toBe(202);
    expect(await jobCount(t.queue)).toBe(2);
  });

  it('caps queued+running intents per team: 429 with Retry-After, and frees a slot when one finishes', async () => {
    const t = await buildTestApp({
      teams: [{ id: 'alpha', tokenHashes: [hashToken('token-alpha')], projects: ['p-alpha'], limits: { maxActiveIntents: 2 } }],
      capRetryAfterSeconds: 7,
    });
    const submit = (name: string) => t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate('p-alpha', { name }) });
    const first = (await submit('a')).json();
    expect((await submit('b')).statusCode).toBe(202);
    const refused = await submit('c');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('7');
    expect(refused.json()).toMatchObject({ code: 'too_many_active_intents' });
    expect(await jobCount(t.queue)).toBe(2);
    await new IntentStore(t.redis.connect(), { prefix: t.redis.prefix }).finish(first.id, 'succeeded', { result: {} });
    expect((await submit('c')).statusCode).toBe(202);
  });
});

describe('GET /v1/intents and /v1/intents/:id', () => {
  it('shows a team its own intents, with filters and cursor pagination', async () => {
    const t = await buildTestApp();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate('p-alpha', { name: `b-${i}` }) });
      ids.push(res.json().id);
    }
    await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: { kind: 'endpoint.start', params: { projectId: 'p-alpha', endpointId: 'ep-1' } } });
    const page1 = (await t.as('alpha', { method: 'GET', url: '/v1/intents?kind=branch.create&limit=3' })).json();
    expect(page1.items.map((i: { id: string }) => i.id)).toEqual(ids.slice(2).reverse());
    expect(page1.nextCursor).toBeDefined();
    const page2 = (await t.as('alpha', { method: 'GET', url: `/v1/intents?kind=branch.create&limit=3&cursor=${page1.nextCursor}` })).json();
    expect(page2.items.map((i: { id: string }) => i.id)).toEqual(ids.slice(0, 2).reverse());
    expect(page2.nextCursor).toBeUndefined();
    const all = (await t.as('alpha', { method: 'GET', url: '/v1/intents?status=queued' })).json();
    expect(all.items).toHaveLength(6);
    expect((await t.as('alpha', { method: 'GET', url: '/v1/intents?status=succeeded' })).json().items).toHaveLength(0);
    const one = await t.as('alpha', { method: 'GET', url: `/v1/intents/${ids[0]}` });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id: ids[0], status: 'queued', operationIds: [] });
  });

  it('shows the resources an intent created and what its undo did, as the record has them', async () => {
    const t = await buildTestApp();
    const id = (await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate() })).json().id;
    expect((await t.as('alpha', { method: 'GET', url: `/v1/intents/${id}` })).json().params).toMatchObject({ onFailure: 'delete' });
    const store = new IntentStore(t.redis.connect(), { prefix: t.redis.prefix });
    const resources = [
      { type: 'branch', projectId: 'p-alpha', branchId: 'br-1', deletedAt: '2026-11-30T00:00:01.000Z' },
      { type: 'endpoint', projectId: 'p-alpha', branchId: 'br-1', endpointId: 'ep-1', deletedAt: '2026-11-30T00:00:01.000Z' },
    ] as const;
    const undo = { status: 'done', after: 'cancelled', note: 'Deleted what the intent created: branch br-1 (project p-alpha) with endpoint ep-1 (branch br-1).' } as const;
    await store.finish(id, 'cancelled', { error: { code: 'cancelled', message: 'Cancelled on request' }, resources: [...resources], undo });
    const shown = (await t.as('alpha', { method: 'GET', url: `/v1/intents/${id}` })).json();
    expect(shown).toMatchObject({ status: 'cancelled', resources, undo });
  });

  it('never shows one team another team’s intents: 404, and not in its list', async () => {
    const t = await buildTestApp();
    const id = (await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate() })).json().id;
    const res = await t.as('beta', { method: 'GET', url: `/v1/intents/${id}` });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'intent_not_found' });
    expect((await t.as('beta', { method: 'POST', url: `/v1/intents/${id}/cancel` })).statusCode).toBe(404);
    expect((await t.as('beta', { method: 'GET', url: '/v1/intents' })).json().items).toEqual([]);
  });

  it('shows steps with attempts and timestamps, operation ids, and an error with Neon’s request id', async () => {
    const t = await buildTestApp();
    const id = (await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate() })).json().id;
    const store = new IntentStore(t.redis.connect(), { prefix: t.redis.prefix });
    const startedAt = new Date().toISOString();
    await store.update(id, { status: 'running', startedAt, operationIds: ['op-1'] });
    await store.recordStep(id, { name: 'create-branch', status: 'failed', attempts: 3, startedAt, finishedAt: startedAt });
    await store.finish(id, 'failed', { error: { code: 'neon_conflict', message: 'branch exists', neonRequestId: 'req-123', neonStatus: 409 } });
    const res = (await t.as('alpha', { method: 'GET', url: `/v1/intents/${id}` })).json();
    expect(res).toMatchObject({
      status: 'failed',
      operationIds: ['op-1'],
      steps: [{ name: 'create-branch', status: 'failed', attempts: 3, startedAt, finishedAt: startedAt }],
      error: { code: 'neon_conflict', message: 'branch exists', neonRequestId: 'req-123', neonStatus: 409 },
    });
    expect(res.finishedAt).toBeDefined();
  });

  it('opens secrets of the result for the owning team only, on GET by id', async () => {
    const t = await buildTestApp();
    const id = (await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate() })).json().id;
    const store = new IntentStore(t.redis.connect(), { prefix: t.redis.prefix });
    await store.putSecrets(id, t.secretBox.seal({ connectionUris: [{ databaseName: 'db', roleName: 'r', uri: 'postgresql://r:pw@h/db', pooledUri: 'x' }] }, secretContext.intent(id)));
    await store.finish(id, 'succeeded', { result: { branch: { id: 'br-1' } } });
    const res = (await t.as('alpha', { method: 'GET', url: `/v1/intents/${id}` })).json();
    expect(res).toMatchObject({ status: 'succeeded', hasSecrets: true, result: { branch: { id: 'br-1' } } });
    expect(res.secrets.connectionUris[0].uri).toBe('postgresql://r:pw@h/db');
    const listed = (await t.as('alpha', { method: 'GET', url: '/v1/intents' })).json();
    expect(listed.items[0].secrets).toBeUndefined();
    expect((await t.as('beta', { method: 'GET', url: `/v1/intents/${id}` })).statusCode).toBe(404);
  });
});
