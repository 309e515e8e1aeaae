import { corePrefix } from './keyspace.js';
import { useTestRedis, waitUntil } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { queuedIntentRecord, type IntentRecord } from './record.js';
import { IntentStore, JobFenceLostError } from './store.js';
import { parseOutboxEntry } from './outbox/outbox.js';

function newRecord(teamId: string, overrides: Partial<IntentRecord> = {}, at = new Date()): IntentRecord {
  return { ...queuedIntentRecord({ teamId, kind: 'branch.create', params: { projectId: 'p-1' }, at }), ...overrides };
}

function setup(options: { retentionSeconds?: number } = {}) {
  const redis = useTestRedis('intents');
  const client = redis.connect();
  return { client, prefix: redis.prefix, store: new IntentStore(client, { prefix: redis.prefix, ...options }) };
}

describe('IntentStore', () => {
  it('creates, reads back and scopes an intent to its team', async () => {
    const { store } = setup();
    const record = newRecord('team-a', { idempotencyKey: 'k1' });
    expect(await store.create(record)).toBe('created');
    expect(await store.create(record)).toBe('exists');
    expect(await store.get(record.id)).toEqual(record);
    expect(await store.getForTeam('team-a', record.id)).toEqual(record);
    expect(await store.getForTeam('team-b', record.id)).toBeUndefined();
    expect(await store.get('int_missing')).toBeUndefined();
  });

  it('refuses a new intent atomically once the team reaches its cap', async () => {
    const { store } = setup();
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => store.create(newRecord('team-a'), { maxActive: 3 })));
    expect(outcomes.filter((o) => o === 'created')).toHaveLength(3);
    expect(await store.countActive('team-a')).toBe(3);
    expect(await store.create(newRecord('team-b'), { maxActive: 3 })).toBe('created');
  });

  it('frees a cap slot when an intent finishes, and finishes only once', async () => {
    const { store } = setup();
    const record = newRecord('team-a');
    await store.create(record, { maxActive: 1 });
    expect(await store.create(newRecord('team-a'), { maxActive: 1 })).toBe('cap_reached');
    expect(await store.finish(record.id, 'cancelled')).toBe(true);
    expect(await store.finish(record.id, 'succeeded', { result: { ok: true } })).toBe(false);
    expect((await store.get(record.id))?.status).toBe('cancelled');
    expect(await store.update(record.id, { status: 'running' })).toBe(false);
    expect(await store.create(newRecord('team-a'), { maxActive: 1 })).toBe('created');
  });

  it('records steps and progress, and sets the retention TTL when finished', async () => {
    const { store, client, prefix } = setup({ retentionSeconds: 3600 });
    const record = newRecord('team-a');
    await store.create(record);
    expect(await client.ttl(`${corePrefix(prefix)}intent:${record.id}`)).toBe(-1);
    await store.update(record.id, { status: 'running', startedAt: new Date().toISOString() });
    await store.recordStep(record.id, { name: 'create_branch', status: 'running', attempts: 1 });
    await store.recordStep(record.id, { name: 'create_branch', status: 'succeeded', attempts: 1 });
    await store.recordStep(record.id, { name: 'await_operations', status: 'waiting', attempts: 0 });
    await store.update(record.id, { status: 'waiting', operationIds: ['op-1', 'op-2'] });
    await store.putSecrets(record.id, 'v1.sealed');
    await store.finish(record.id, 'succeeded', { result: { branch: { id: 'br-1' } } });
    const done = await store.get(record.id);
    expect(done).toMatchObject({
      status: 'succeeded',
      operationIds: ['op-1', 'op-2'],
      hasSecrets: true,
      result: { branch: { id: 'br-1' } },
      steps: [
        { name: 'create_branch', status: 'succeeded' },
        { name: 'await_operations', status: 'waiting' },
      ],
    });
    expect(done?.finishedAt).toBeDefined();
    expect(await store.getSecrets(record.id)).toBe('v1.sealed');
    for (const key of [`${corePrefix(prefix)}intent:${record.id}`, `${corePrefix(prefix)}intent:${record.id}:secrets`]) {
      const ttl = await client.ttl(key);
      expect(ttl).toBeGreaterThan(3500);
      expect(ttl).toBeLessThanOrEqual(3600);
    }
  });

  it('marks a running intent for cancellation', async () => {
    const { store } = setup();
    const record = newRecord('team-a', { status: 'running' });
    await store.create(record);
    expect(await store.requestCancel(record.id)).toBe(true);
    expect((await store.get(record.id))?.cancelRequested).toBe(true);
  });

  it('lists a team’s intents newest first with filters and cursors', async () => {
    const { store } = setup();
    // An hour ago, not a fixed date: a date older than the store's retention (30 days) is
    // pruned from the index by the next create (this test began failing on 2026-12-01).
    const base = Date.now() - 3_600_000;
    const created: IntentRecord[] = [];
    for (let i = 0; i < 25; i++) {
      const record = newRecord('team-a', { kind: i % 2 ? 'branch.delete' : 'branch.create' }, new Date(base + i));
      created.push(record);
      await store.create(record);
    }
    await store.create(newRecord('team-b'));
    await store.finish(created[24]!.id, 'failed', { error: { code: 'neon_conflict', message: 'x' } });

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list('team-a', { limit: 10, cursor });
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(created.map((r) => r.id).reverse());

    const deletes = await store.list('team-a', { kind: 'branch.delete', limit: 100 });
    expect(deletes.items).toHaveLength(12);
    expect(deletes.items.every((r) => r.kind === 'branch.delete')).toBe(true);
    const failed = await store.list('team-a', { status: 'failed' });
    expect(failed.items.map((r) => r.id)).toEqual([created[24]!.id]);
    expect((await store.list('team-c')).items).toEqual([]);
  });

  it('drops index entries of intents that expired', async () => {
    const { store, client, prefix } = setup();
    const keep = newRecord('team-a');
    const gone = newRecord('team-a');
    await store.create(keep);
    await store.create(gone);
    await client.del(`${corePrefix(prefix)}intent:${gone.id}`);
    expect((await store.list('team-a')).items.map((r) => r.id)).toEqual([keep.id]);
    expect(await client.zcard(`${corePrefix(prefix)}team:team-a:intents`)).toBe(1);
  });

  it('writes the intent.finished event to the outbox in the same step as the status, once', async () => {
    const { store, client } = setup();
    const record = newRecord('team-a');
    await store.create(record);
    expect(await client.xlen(store.outboxKey)).toBe(0);
    expect(await store.finish(record.id, 'failed', { error: { code: 'x', message: 'y' } })).toBe(true);
    expect(await store.finish(record.id, 'succeeded')).toBe(false);
    const entries = await client.xrange(store.outboxKey, '-', '+');
    expect(entries).toHaveLength(1);
    const [id, flat] = entries[0]!;
    const finished = await store.get(record.id);
    expect(parseOutboxEntry(id, flat)).toEqual({
      id,
      event: { type: 'intent.finished', intentId: record.id, teamId: 'team-a', kind: 'branch.create', status: 'failed', at: finished?.finishedAt },
    });
  });

  it('stores the idempotent answer with the record, and nothing when the claim was lost', async () => {
    const { store, client, prefix } = setup();
    const key = `${corePrefix(prefix)}idem:team-a:k1`;
    await client.set(key, 'in-flight-1', 'PX', 60_000);
    const record = newRecord('team-a');
    const idempotency = { key, inFlightValue: 'in-flight-1', completedValue: 'answer-1', ttlMs: 86_400_000 };
    expect(await store.create(record, { idempotency })).toBe('created');
    expect(await client.get(key)).toBe('answer-1');
    expect(await client.pttl(key)).toBeGreaterThan(86_000_000);

    // Another request's claim (or none) on the key: the create changes nothing.
    const other = newRecord('team-a');
    expect(await store.create(other, { idempotency: { ...idempotency, inFlightValue: 'in-flight-2' } })).toBe('lease_lost');
    expect(await store.get(other.id)).toBeUndefined();
    expect(await store.countActive('team-a')).toBe(1);
    expect(await client.get(key)).toBe('answer-1');
  });

  it('claims an Idempotency-Key in the create script: a free key gets the record and its answer at once; a held key is handed back and nothing is written, even at the cap', async () => {
    const { store, client, prefix } = setup();
    const key = `${corePrefix(prefix)}idem:team-a:k1`;
    const claim = { key, completedValue: 'answer-1', ttlMs: 86_400_000 };
    const first = newRecord('team-a');
    expect(await store.createClaiming(first, { maxActive: 1, claim })).toBe('created');
    expect(await store.get(first.id)).toEqual(first);
    expect(await client.get(key)).toBe('answer-1');
    expect(await client.pttl(key)).toBeGreaterThan(86_000_000);

    // The same key again, with the team at its cap: the answer is handed back, nothing is written.
    const repeat = newRecord('team-a');
    expect(await store.createClaiming(repeat, { maxActive: 1, claim: { ...claim, completedValue: 'answer-2' } })).toEqual({ held: 'answer-1' });
    expect(await store.get(repeat.id)).toBeUndefined();
    expect(await client.get(key)).toBe('answer-1');
    // A new key at the cap: refused, and the key stays free.
    const capped = newRecord('team-a');
    const other = `${corePrefix(prefix)}idem:team-a:k2`;
    expect(await store.createClaiming(capped, { maxActive: 1, claim: { ...claim, key: other } })).toBe('cap_reached');
    expect(await client.exists(other)).toBe(0);
    // A key held in flight by another request (a lease): handed back as it is.
    await client.set(other, 'in-flight-x', 'PX', 60_000);
    expect(await store.createClaiming(newRecord('team-a'), { claim: { ...claim, key: other } })).toEqual({ held: 'in-flight-x' });
    expect(await store.countActive('team-a')).toBe(1);
  });

  it('refuses fenced writes once the job lock holds another token, and secrets after the end', async () => {
    const { store, client, prefix } = setup();
    const record = newRecord('team-a');
    await store.create(record);
    const lockKey = `${corePrefix(prefix)}bull:intents:${record.id}:lock`;
    await client.set(lockKey, 'token-1');
    const fence = { lockKey, token: 'token-1' };
    expect(await store.update(record.id, { status: 'running' }, fence)).toBe(true);
    expect(await store.putSecrets(record.id, 'sealed-1', fence)).toBe(true);

    await client.set(lockKey, 'token-2'); // the job moved to another worker
    await expect(store.update(record.id, { status: 'waiting' }, fence)).rejects.toBeInstanceOf(JobFenceLostError);
    await expect(store.putSecrets(record.id, 'sealed-2', fence)).rejects.toBeInstanceOf(JobFenceLostError);
    await expect(store.finish(record.id, 'succeeded', {}, { fence })).rejects.toBeInstanceOf(JobFenceLostError);
    await client.del(lockKey); // and when the lock is gone altogether
    await expect(store.finish(record.id, 'succeeded', {}, { fence })).rejects.toBeInstanceOf(JobFenceLostError);
    expect(await store.get(record.id)).toMatchObject({ status: 'running' });
    expect(await store.getSecrets(record.id)).toBe('sealed-1');
    expect(await client.xlen(store.outboxKey)).toBe(0);

    expect(await store.finish(record.id, 'succeeded', {}, { fence: { lockKey, token: '' } })).toBe(true);
    expect(await store.putSecrets(record.id, 'late')).toBe(false);
    expect(await store.getSecrets(record.id)).toBe('sealed-1');
  });

  it('keeps the created resources and the undo with the record, and leaves them out when nothing was created', async () => {
    const { store } = setup();
    const record = newRecord('team-a');
    await store.create(record);
    const branch = { type: 'branch' as const, projectId: 'p-1', branchId: 'br-1' };
    const endpoint = { type: 'endpoint' as const, projectId: 'p-1', branchId: 'br-1', endpointId: 'ep-1' };
    await store.update(record.id, { resources: [branch, endpoint] });
    expect((await store.get(record.id))?.resources).toEqual([branch, endpoint]);
    const at = new Date().toISOString();
    const undo = { status: 'done' as const, after: 'failed' as const, note: 'Deleted branch br-1 (project p-1) with endpoint ep-1.' };
    await store.finish(record.id, 'failed', {
      error: { code: 'neon_not_found', message: 'gone' },
      resources: [{ ...branch, deletedAt: at }, { ...endpoint, deletedAt: at }],
      undo,
    });
    const done = await store.get(record.id);
    expect(done).toMatchObject({ status: 'failed', error: { code: 'neon_not_found' }, undo });
    expect(done?.resources?.every((r) => r.deletedAt === at)).toBe(true);
    // Records of intents that created nothing (or of older versions) have no such fields.
    const plain = newRecord('team-a');
    await store.create(plain);
    expect(await store.get(plain.id)).not.toHaveProperty('resources');
  });

  it('keeps an index of active intents for the sweeper in creation order, pages it exactly, and forgets orphans', async () => {
    const { store, client, prefix } = setup();
    const base = Date.parse('2026-11-01T00:00:00Z');
    const a = newRecord('team-a', {}, new Date(base));
    const b = newRecord('team:b', {}, new Date(base + 1000));
    const c = newRecord('team-a', {}, new Date(base + 2000));
    // Three made in the same millisecond: a page boundary among them skips none.
    const same = [0, 1, 2].map(() => newRecord('team-a', {}, new Date(base + 3000)));
    for (const r of [a, b, c, ...same]) await store.create(r);
    await store.finish(a.id, 'succeeded');
    const all = await store.listActive({ createdBefore: new Date(base + 5000), limit: 10 });
    expect(all.slice(0, 2)).toEqual([
      { teamId: 'team:b', intentId: b.id },
      { teamId: 'team-a', intentId: c.id },
    ]);
    expect(all.slice(2).map((r) => r.intentId).sort()).toEqual(same.map((r) => r.id).sort());
    expect(await store.listActive({ createdBefore: new Date(base + 1500), limit: 10 })).toHaveLength(1);
    const paged: string[] = [];
    for (let after: (typeof all)[number] | undefined; ; ) {
      const page = await store.listActive({ createdBefore: new Date(base + 5000), limit: 2, ...(after ? { after } : {}) });
      if (page.length === 0) break;
      paged.push(...page.map((r) => r.intentId));
      after = page.at(-1);
    }
    expect(paged).toEqual(all.map((r) => r.intentId));

    await client.del(`${corePrefix(prefix)}intent:${c.id}`);
    await store.forgetActive(all[1]!);
    expect(await store.countActive('team-a')).toBe(3);
    expect((await store.listActive({ createdBefore: new Date(base + 5000), limit: 10 })).map((r) => r.intentId)).not.toContain(c.id);
  });


  it('publishes the intent id on its events channel with every change, from the same script', async () => {
    const { store } = setup();
    const redis = useTestRedis('intents-events');
    const subscriber = redis.connect();
    const heard: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => heard.push(message));
    await subscriber.subscribe(store.eventsChannel);
    const record = newRecord('team-a');
    await store.create(record);
    await store.update(record.id, { status: 'running' });
    await store.finish(record.id, 'succeeded');
    expect(await store.update(record.id, { status: 'running' })).toBe(false); // refused: nothing published
    await waitUntil(() => heard.length >= 2);
    expect(heard).toEqual([record.id, record.id]);
  });
});
