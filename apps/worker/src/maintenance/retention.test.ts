import { IntentHistory, migrateToLatest, openDatabase } from '@neonops/durable-store';
import { bullPrefix, IntentStore, queuedIntentRecord, type IntentRecord } from '@neonops/intents';
import { useTestDatabase, useTestRedis, waitUntil } from '@neonops/testing';
import { Queue } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { MAINTENANCE_QUEUE, RETENTION_SCHEDULER_ID, startMaintenance } from './index.js';

function ended(teamId: string, createdAt: Date): IntentRecord {
  const record = queuedIntentRecord({ teamId, kind: 'endpoint.start', params: { projectId: 'p-1', endpointId: 'ep-1' }, at: createdAt });
  return { ...record, status: 'succeeded', finishedAt: record.createdAt };
}

describe('the durable store’s retention job', () => {
  it('runs on its schedule (a BullMQ job scheduler) and deletes the history past HISTORY_RETENTION_DAYS, keeping the rest', async () => {
    const redis = useTestRedis('retention-job');
    const target = useTestDatabase('retention_job');
    const database = await openDatabase({ url: target.url, schema: target.schema });
    onTestFinished(() => database.close());
    await migrateToLatest(database);
    const history = new IntentHistory(database);
    const old = ended('team-a', new Date(Date.now() - 31 * 86_400_000));
    const young = ended('team-a', new Date(Date.now() - 29 * 86_400_000));
    await history.record(old);
    await history.record(young);

    const config = loadConfig({ NEON_API_KEY: 'k', SECRETS_KEY: 'a'.repeat(64), NEON_BASE_URL: 'http://127.0.0.1:1/api/v2', HISTORY_RETENTION_DAYS: '30', RETENTION_INTERVAL_MS: '200' });
    expect(config.retention).toEqual({ intervalMs: 200, policy: { historyDays: 30, usageDays: 400, collectionRunsDays: 30, resolvedFindingsDays: 90 } });
    const client = redis.connect();
    const maintenance = await startMaintenance({
      connection: () => redis.connect({ maxRetriesPerRequest: null }),
      redis: client,
      keyPrefix: redis.prefix,
      store: new IntentStore(client, { prefix: redis.prefix }),
      logger: createLogger({ level: 'silent' }),
      sweepIntervalMs: 3_600_000,
      retention: { database, ...config.retention },
    });
    onTestFinished(() => maintenance.close());
    const queue = new Queue(MAINTENANCE_QUEUE, { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
    onTestFinished(() => queue.close());
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toContain(RETENTION_SCHEDULER_ID);

    // The scheduled tick (not retentionNow) deletes the old row.
    await waitUntil(async () => (await history.get('team-a', old.id)) === undefined || undefined, { what: 'the scheduled retention run' });
    expect(await history.get('team-a', young.id)).toBeDefined();
    expect(await maintenance.retentionNow()).toEqual({ history: 0, usageHours: 0, collectionRuns: 0, resolvedFindings: 0 });
  });
});
