import { corePrefix, intentJobId, type IntentRecord, newIntentId, parseOutboxEntry, queuedIntentRecord } from '@neonops/intents';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { startHarness } from '../test/harness.js';
import { sweepIntents } from './sweep-intents.js';

function record(status: IntentRecord['status'], teamId = 'team-a'): IntentRecord {
  return { ...queuedIntentRecord({ teamId, kind: 'branch.delete', params: { projectId: 'p-1', branchId: 'br-1' }, at: new Date(Date.now() - 60_000) }), status };
}

describe('sweepIntents', () => {
  it('queues a queued intent without job, fails a running one whose job is gone, forgets orphans, leaves live jobs alone', async () => {
    const h = await startHarness();
    const redis = h.redis.connect();
    const logger = createLogger({ level: 'silent' });

    const unqueued = record('queued'); // its submit died between storing and queueing
    const orphaned = record('running'); // its job was removed (or expired) while it ran
    const live = record('waiting'); // waiting on Neon in a delayed job: fine
    const vanished = record('queued'); // its record is gone (deleted by hand)
    for (const r of [unqueued, orphaned, live, vanished]) expect(await h.store.create(r)).toBe('created');
    await h.queue.add(live.kind, { intentId: live.id, teamId: live.teamId, kind: live.kind }, { jobId: intentJobId(live.id), delay: 60_000 });
    await redis.del(`${corePrefix(h.redis.prefix)}intent:${vanished.id}`);
    const fresh = record('queued');
    fresh.createdAt = new Date().toISOString(); // younger than the grace: its submit may still be queueing it
    fresh.id = newIntentId();
    await h.store.create(fresh);

    const report = await sweepIntents({ store: h.store, queue: h.queue, redis, logger, graceMs: 10_000 });
    expect(report).toMatchObject({ checked: 4, requeued: 1, lost: 1, orphans: 1 });

    expect(await h.queue.getJob(intentJobId(unqueued.id))).toBeDefined();
    expect((await h.store.get(unqueued.id))?.status).toBe('queued');
    expect(await h.queue.getJob(intentJobId(fresh.id))).toBeUndefined();
    const lost = await h.store.get(orphaned.id);
    expect(lost).toMatchObject({ status: 'failed', error: { code: 'worker_lost' } });
    expect((await h.store.get(live.id))?.status).toBe('waiting');
    expect(await h.store.countActive('team-a')).toBe(3); // unqueued, live, fresh

    // The lost intent's end went through the outbox like any other.
    const events = (await redis.xrange(h.store.outboxKey, '-', '+')).map(([id, flat]) => parseOutboxEntry(id, flat).event);
    expect(events).toEqual([expect.objectContaining({ intentId: orphaned.id, status: 'failed' })]);

    // A second sweep changes nothing more (the re-added job is not added twice).
    expect(await sweepIntents({ store: h.store, queue: h.queue, redis, logger, graceMs: 10_000 })).toMatchObject({ requeued: 0, lost: 0, orphans: 0 });
    expect(await h.queue.getJobCounts('wait', 'delayed')).toEqual({ wait: 1, delayed: 1 });
  });

  it('a requeued intent runs to the end with a worker, once', async () => {
    const h = await startHarness();
    const { projectId } = await h.createProject();
    const unqueued: IntentRecord = { ...record('queued'), kind: 'branch.create', params: { projectId, name: 'swept' } };
    await h.store.create(unqueued);
    const redis = h.redis.connect();
    const logger = createLogger({ level: 'silent' });
    await sweepIntents({ store: h.store, queue: h.queue, redis, logger, graceMs: 0 });
    await sweepIntents({ store: h.store, queue: h.queue, redis, logger, graceMs: 0 });
    h.startWorker();
    const done = await h.waitForTerminal(unqueued.id);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(h.sim.control.state().branches.filter((b) => b.name === 'swept')).toHaveLength(1);
  });
});
