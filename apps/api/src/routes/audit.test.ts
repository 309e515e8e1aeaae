import { IntentHistory, migrateToLatest, openDatabase } from '@neonops/durable-store';
import { IntentStore } from '@neonops/intents';
import { useTestDatabase } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { branchCreate, buildTestApp } from '../../test/helper.js';
import { fileTokenId } from '../teams/managed-teams.js';
import { hashToken } from '../teams/teams-file.js';

async function setup() {
  const target = useTestDatabase('api-audit');
  const database = await openDatabase({ url: target.url, schema: target.schema });
  onTestFinished(() => database.close());
  await migrateToLatest(database);
  const t = await buildTestApp({ database: { database } });
  const store = new IntentStore(t.redis.connect(), { prefix: t.redis.prefix });
  const history = new IntentHistory(database);
  /** Ends the intent and copies it to the history, as the worker and its history consumer do. */
  const end = async (id: string) => {
    await store.finish(id, 'failed', {
      error: { code: 'neon_conflict', message: 'exists', neonRequestId: `req-${id}`, neonStatus: 409 },
      // A step that made a change Neon accepted before the failure keeps its request id.
      steps: [{ name: 'create_branch', status: 'succeeded', attempts: 1, neonRequestIds: [`accepted-${id}`] }],
    });
    await history.record((await store.get(id))!);
  };
  return { t, store, end };
}

describe('GET /v1/audit', () => {
  it('shows admins who asked for which change (team, token id, never a secret), with filters and cursor pages', async () => {
    const { t, end } = await setup();
    const made = (await t.as('root', { method: 'POST', url: '/v1/admin/teams/beta/tokens', payload: { name: 'ci' } })).json() as { id: string; token: string };
    const alphaIntent = (await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate('p-alpha', { name: 'a' }) })).json().id as string;
    const betaIntent = (
      await t.app.inject({ method: 'POST', url: '/v1/intents', headers: { authorization: `Bearer ${made.token}` }, payload: { kind: 'endpoint.start', params: { projectId: 'p-beta', endpointId: 'ep-1' } } })
    ).json().id as string;
    const running = (await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate('p-alpha', { name: 'b' }) })).json().id as string;
    // The record in Redis carries its actor at once.
    expect((await t.as('alpha', { method: 'GET', url: `/v1/intents/${running}` })).json().actor).toEqual({ type: 'token', id: fileTokenId(hashToken('token-alpha')) });
    await end(alphaIntent);
    await end(betaIntent);

    const res = await t.as('root', { method: 'GET', url: '/v1/audit' });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<Record<string, unknown>>;
    // Ended intents only (the history), newest first.
    expect(items.map((i) => i.intentId)).toEqual([betaIntent, alphaIntent]);
    expect(items[0]).toMatchObject({ teamId: 'beta', kind: 'endpoint.start', status: 'failed', actor: { type: 'token', id: made.id }, params: { projectId: 'p-beta' }, neonRequestIds: [`accepted-${betaIntent}`, `req-${betaIntent}`], partial: false });
    expect(items[1]).toMatchObject({ teamId: 'alpha', actor: { type: 'token', id: fileTokenId(hashToken('token-alpha')) } });
    expect(res.body).not.toContain(made.token);
    expect(res.body).not.toContain(hashToken('token-alpha'));

    const alphaOnly = await t.as('root', { method: 'GET', url: '/v1/audit?teamId=alpha' });
    expect(alphaOnly.json().items.map((i: { intentId: string }) => i.intentId)).toEqual([alphaIntent]);
    const byKind = await t.as('root', { method: 'GET', url: '/v1/audit?kind=endpoint.start' });
    expect(byKind.json().items.map((i: { intentId: string }) => i.intentId)).toEqual([betaIntent]);
    const future = await t.as('root', { method: 'GET', url: `/v1/audit?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}` });
    expect(future.json().items).toEqual([]);
    const page1 = (await t.as('root', { method: 'GET', url: '/v1/audit?limit=1' })).json();
    expect(page1.items.map((i: { intentId: string }) => i.intentId)).toEqual([betaIntent]);
    const page2 = (await t.as('root', { method: 'GET', url: `/v1/audit?limit=1&cursor=${page1.nextCursor}` })).json();
    expect(page2.items.map((i: { intentId: string }) => i.intentId)).toEqual([alphaIntent]);
    expect(page2.nextCursor).toBeUndefined();
  });

  it('refuses non-admins (403), bad filters (400), and answers 503 without a durable store', async () => {
    const { t } = await setup();
    expect((await t.as('alpha', { method: 'GET', url: '/v1/audit' })).json()).toMatchObject({ status: 403, code: 'admin_required' });
    expect((await t.as('root', { method: 'GET', url: '/v1/audit?kind=nope' })).statusCode).toBe(400);
    expect((await t.as('root', { method: 'GET', url: '/v1/audit?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z' })).json()).toMatchObject({ status: 400, code: 'validation_failed' });
    const bare = await buildTestApp();
    expect((await bare.as('root', { method: 'GET', url: '/v1/audit' })).json()).toMatchObject({ status: 503, code: 'durable_store_not_configured' });
  });
});
