import { IntentHistory, migrateToLatest, openDatabase } from '@neonops/durable-store';
import { corePrefix, type IntentRecord, IntentStore, queuedIntentRecord } from '@neonops/intents';
import { useTestDatabase, useTestRedis, waitUntil } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../logger.js';
import { HISTORY_OUTBOX_GROUP, startWorkerHistory } from './index.js';

function queued(teamId: string, at = new Date()): IntentRecord {
  return queuedIntentRecord({ teamId, kind: 'branch.create', params: { projectId: 'p-1', name: 'feature' }, at });
}

async function setup() {
  const redis = useTestRedis('history');
  const target = useTestDatabase('history');
  const database = await openDatabase({ url: target.url, schema: target.schema });
  onTestFinished(() => database.close());
  const client = redis.connect();
  const store = new IntentStore(client, { prefix: redis.prefix });
  const logs: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void logs.push(line) } as unknown as NodeJS.WritableStream });
  const start = async () => {
    const running = await startWorkerHistory({ connection: () => redis.connect(), redis: client, store, database, logger, consumer: { blockMs: 100, reclaimIdleMs: 300 } });
    onTestFinished(() => running.close());
    return running;
  };
  /** Resolves once the group has handled (and acknowledged) every entry up to `lastId`. */
  const drained = (lastId: string) =>
    waitUntil(async () => {
      const groups = (await client.xinfo('GROUPS', store.outboxKey)) as unknown[][];
      const group = groups.map((flat) => Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]))).find((g) => g.name === HISTORY_OUTBOX_GROUP);
      return group?.['last-delivered-id'] === lastId && group.pending === 0;
    });
  return { client, store, database, history: new IntentHistory(database), start, drained, logs, prefix: redis.prefix };
}

describe('worker history (the outbox’s history group)', () => {
  it('writes each ended intent once, even when its event is delivered twice', async () => {
    const { client, store, database, history, start, drained } = await setup();
    const records = [queued('team-a'), queued('team-a'), queued('team-b')];
    for (const r of records) await store.create(r);
    await store.update(records[0]!.id, { status: 'running', startedAt: new Date().toISOString(), operationIds: ['op-1'] });
    await store.finish(records[0]!.id, 'succeeded', { result: { branch: { id: 'br-1' } }, resources: [{ type: 'branch', projectId: 'p-1', branchId: 'br-1' }] });
    await store.finish(records[1]!.id, 'failed', { error: { code: 'neon_conflict', message: 'exists', neonStatus: 409 } });
    await start();
    await store.finish(records[2]!.id, 'cancelled');
    // The consumer migrates the store itself; until it has, the table is not there.
    const count = () => database.db.selectFrom('intent_history').select('id').execute().then((rows) => rows.length, () => 0);
    await waitUntil(async () => (await count()) === 3);
    const firstWrite = await database.db.selectFrom('intent_history').select(['id', 'recorded_at']).orderBy('id').execute();

    // The same event again, as after a worker died between the write and its acknowledgement.
    const entries = await client.xrange(store.outboxKey, '-', '+');
    const [, fields] = entries[0]!;
    const again = (await client.xadd(store.outboxKey, '*', ...fields))!;
    await drained(again);

    expect(await database.db.selectFrom('intent_history').select(['id', 'recorded_at']).orderBy('id').execute()).toEqual(firstWrite);
    for (const r of records) {
      const kept = await history.get(r.teamId, r.id);
      expect(kept).toEqual(await store.get(r.id));
      expect(kept?.partial).toBeUndefined();
    }
  });

  it('keeps what the event carries, marked partial, for an intent whose Redis record expired before the event was read', async () => {
    const { client, store, history, start, drained, logs, prefix } = await setup();
    const created = new Date(Date.now() - 60_000);
    const record = queued('team-a', created);
    await store.create(record);
    await store.finish(record.id, 'failed', { error: { code: 'worker_lost', message: 'gone' } });
    const [[eventId]] = (await client.xrange(store.outboxKey, '-', '+')) as [[string, string[]]];
    // Retention, simulated: the record and its secrets are gone (the outbox entry stays).
    await client.del(`${corePrefix(prefix)}intent:${record.id}`, `${corePrefix(prefix)}intent:${record.id}:secrets`);
    await start();
    await drained(eventId);
    const kept = await history.get('team-a', record.id);
    expect(kept).toMatchObject({ id: record.id, teamId: 'team-a', kind: 'branch.create', status: 'failed', params: {}, steps: [], partial: true, createdAt: created.toISOString() });
    expect(kept?.finishedAt).toBeDefined();
    expect(logs.join('')).toContain('intent record gone before it reached the history');
  });

  it('migrates the store at start', async () => {
    const { database, start } = await setup();
    await start();
    await waitUntil(async () => (await migrateToLatest(database)).length === 0);
    expect(await database.db.selectFrom('intent_history').select('id').execute()).toEqual([]);
  });
});
