import { IntentHistory, migrateToLatest, openDatabase } from '@neonops/durable-store';
import { corePrefix, type IntentRecord, IntentStore, newIntentId } from '@neonops/intents';
import { useTestDatabase } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { branchCreate, buildTestApp } from '../../test/helper.js';

/** The API on the test's Redis prefix and its own schema of the run's database (PostgreSQL, else PGlite). */
async function setup() {
  const target = useTestDatabase('api-history');
  const database = await openDatabase({ url: target.url, schema: target.schema });
  onTestFinished(() => database.close());
  await migrateToLatest(database);
  const t = await buildTestApp({ database: { database } });
  const store = new IntentStore(t.redis.connect(), { prefix: t.redis.prefix });
  const history = new IntentHistory(database);
  const redis = t.redis.connect();
  const submit = async (teamId: string, name: string): Promise<string> => {
    const res = await t.as(teamId, { method: 'POST', url: '/v1/intents', payload: branchCreate(teamId === 'beta' ? 'p-beta' : 'p-alpha', { name }) });
    expect(res.statusCode).toBe(202);
    return res.json().id;
  };
  /**
   * Ends the intent and copies it to the history, as the worker and its history consumer do;
   * `partial`: the consumer only got to the end event (what it writes when the record is gone).
   */
  const end = async (id: string, status: 'succeeded' | 'failed', options: { partial?: boolean } = {}): Promise<IntentRecord> => {
    await store.finish(id, status, status === 'succeeded' ? { result: { branch: { id: `br-${id}` } } } : { error: { code: 'neon_conflict', message: 'exists' } });
    const record = (await store.get(id))!;
    if (options.partial) {
      await history.recordPartial({ type: 'intent.finished', intentId: id, teamId: record.teamId, kind: record.kind, status, at: record.finishedAt! });
    } else {
      await history.record(record);
    }
    return record;
  };
  /** Retention, simulated: the record and its secrets expire (the index entry stays, as after a real expiry). */
  const expire = (id: string) => redis.del(`${corePrefix(t.redis.prefix)}intent:${id}`, `${corePrefix(t.redis.prefix)}intent:${id}:secrets`);
  return { t, store, history, submit, end, expire };
}

const idsOf = (body: { items: { id: string }[] }) => body.items.map((i) => i.id);

describe('GET /v1/intents with the durable history', () => {
  it('lists intents Redis no longer has in their place, across cursors between Redis and PostgreSQL, and shows them by id; another team never sees them', async () => {
    const { t, submit, end, expire } = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await submit('alpha', `b-${i}`));
    const ended = new Map<string, IntentRecord>();
    // ids[1] reaches the history through its end event only (a partial row); ids[5] stays queued (Redis only).
    for (const [i, id] of ids.slice(0, 5).entries()) ended.set(id, await end(id, i % 2 === 0 ? 'succeeded' : 'failed', { partial: i === 1 }));
    // ids[3] expires between two intents Redis still has.
    for (const id of [ids[0]!, ids[1]!, ids[3]!]) await expire(id);
    const betaId = await submit('beta', 'theirs');
    await end(betaId, 'succeeded');
    await expire(betaId);

    const newestFirst = [...ids].sort().reverse();
    const page1 = (await t.as('alpha', { method: 'GET', url: '/v1/intents?limit=4' })).json();
    expect(idsOf(page1)).toEqual(newestFirst.slice(0, 4));
    expect(page1.nextCursor).toBe(newestFirst[3]);
    const page2 = (await t.as('alpha', { method: 'GET', url: `/v1/intents?limit=4&cursor=${page1.nextCursor}` })).json();
    expect(idsOf(page2)).toEqual(newestFirst.slice(4));
    expect(page2.nextCursor).toBeUndefined();

    // Two at a time, every page boundary falls somewhere else; the walk still sees each id once, in order.
    const walked: string[] = [];
    let cursor: string | undefined;
    do {
      const page = (await t.as('alpha', { method: 'GET', url: `/v1/intents?limit=2${cursor ? `&cursor=${cursor}` : ''}` })).json();
      walked.push(...idsOf(page));
      cursor = page.nextCursor;
    } while (cursor);
    expect(walked).toEqual(newestFirst);

    // The same shape whichever store answers.
    const listed = [...page1.items, ...page2.items].find((i: { id: string }) => i.id === ids[3]);
    expect(listed).toEqual(ended.get(ids[3]!));
    const one = await t.as('alpha', { method: 'GET', url: `/v1/intents/${ids[3]}` });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual(ended.get(ids[3]!));
    const partial = (await t.as('alpha', { method: 'GET', url: `/v1/intents/${ids[1]}` })).json();
    const full = ended.get(ids[1]!)!;
    expect(partial).toEqual({
      id: full.id,
      teamId: 'alpha',
      kind: 'branch.create',
      status: 'failed',
      params: {},
      steps: [],
      operationIds: [],
      hasSecrets: false,
      cancelRequested: false,
      createdAt: full.createdAt,
      updatedAt: full.finishedAt,
      finishedAt: full.finishedAt,
      partial: true,
    });

    // Filters apply to both stores.
    const failed = (await t.as('alpha', { method: 'GET', url: '/v1/intents?status=failed' })).json();
    expect(idsOf(failed)).toEqual(newestFirst.filter((id) => ended.get(id)?.status === 'failed'));
    const queued = (await t.as('alpha', { method: 'GET', url: '/v1/intents?status=queued&kind=branch.create' })).json();
    expect(idsOf(queued)).toEqual([ids[5]]);

    // Another team: not in its list, 404 by id, and alpha does not see beta's.
    expect(idsOf((await t.as('beta', { method: 'GET', url: '/v1/intents' })).json())).toEqual([betaId]);
    expect((await t.as('beta', { method: 'GET', url: `/v1/intents/${ids[3]}` })).json()).toMatchObject({ status: 404, code: 'intent_not_found' });
    expect((await t.as('alpha', { method: 'GET', url: `/v1/intents/${betaId}` })).statusCode).toBe(404);
    expect(idsOf((await t.as('alpha', { method: 'GET', url: '/v1/intents?limit=100' })).json())).not.toContain(betaId);
  });

  it('answers 409 to a cancel of an intent only the history still has', async () => {
    const { t, submit, end, expire } = await setup();
    const id = await submit('alpha', 'old');
    await end(id, 'succeeded');
    await expire(id);
    expect((await t.as('alpha', { method: 'POST', url: `/v1/intents/${id}/cancel` })).json()).toMatchObject({ status: 409, code: 'intent_already_finished' });
    expect((await t.as('beta', { method: 'POST', url: `/v1/intents/${id}/cancel` })).statusCode).toBe(404);
  });
});

describe('a PostgreSQL outage', () => {
  it('never breaks what Redis can answer alone; the rest is 503, saying the history is away', async () => {
    // Nothing listens on port 1: every connection is refused at once.
    const t = await buildTestApp({ database: { url: 'postgres://postgres@127.0.0.1:1/neonops' } });
    expect(t.logs()).toContain('durable store not migrated at start');
    const submitted: string[] = [];
    for (const name of ['a', 'b']) {
      const res = await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate('p-alpha', { name }) });
      expect(res.statusCode).toBe(202);
      submitted.push(res.json().id);
    }
    expect((await t.as('alpha', { method: 'GET', url: `/v1/intents/${submitted[0]}` })).statusCode).toBe(200);
    // A page Redis fills by itself is answered; the history's part of it cannot be checked, which is logged.
    const full = await t.as('alpha', { method: 'GET', url: '/v1/intents?limit=2' });
    expect(full.statusCode).toBe(200);
    expect(idsOf(full.json())).toEqual([...submitted].reverse());
    expect(t.logs()).toContain('intent history unavailable');
    // A page that needs the history, and an id only the history could have: 503, not a wrong answer.
    const short = await t.as('alpha', { method: 'GET', url: '/v1/intents?limit=5' });
    expect(short.statusCode).toBe(503);
    expect(short.json()).toMatchObject({ code: 'store_unavailable', detail: expect.stringContaining('history') });
    expect(short.headers['retry-after']).toBe('5');
    expect((await t.as('alpha', { method: 'GET', url: `/v1/intents/${newIntentId()}` })).statusCode).toBe(503);
    expect((await t.as('alpha', { method: 'GET', url: '/v1/intents/not-an-intent-id' })).statusCode).toBe(404);
  });
});
