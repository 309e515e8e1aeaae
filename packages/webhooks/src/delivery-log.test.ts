import { corePrefix } from '@neonops/intents';
import { describe, expect, it } from 'vitest';
import { DeliveryLog } from './delivery-log.js';
import { messageIdFor } from './ids.js';
import type { DeliveryRecord } from './schemas.js';
import { useHarness } from './test/harness.js';

function pending(id: string): DeliveryRecord {
  const now = new Date().toISOString();
  return { id, subscriptionId: 'wh_1', teamId: 't', eventType: 'ping', messageId: messageIdFor(id), eventTimestamp: now, status: 'pending', replays: 0, jobId: id, createdAt: now, updatedAt: now };
}

const attempt = { at: new Date().toISOString(), latencyMs: 3, responseStatus: 200 };

describe('delivery log fences', () => {
  it('only the job that holds the lock of the current chain changes the status; the attempt is logged either way', async () => {
    const h = useHarness();
    const log = new DeliveryLog(h.redis, { prefix: h.prefix });
    const d = pending('dlv_fence1');
    await log.create(d);
    const lockKey = `${corePrefix(h.prefix)}bull:webhooks:${d.id}:lock`;
    await h.redis.set(lockKey, 'token-2'); // another dispatcher has the job now

    expect(await log.recordAttempt(d, attempt, { status: 'succeeded' }, { jobId: d.id, lockKey, token: 'token-1' })).toBe('fence_lost');
    expect(await log.fail(d, { jobId: d.id, lockKey, token: 'token-1' })).toBe('fence_lost');
    const restarted = await log.restart(d, { nextAttemptAt: new Date(), replay: true });
    expect(restarted).toEqual({ outcome: 'restarted', jobId: `${d.id}-1` });
    // The old chain, even with its lock, no longer owns the delivery.
    expect(await log.recordAttempt(d, attempt, { status: 'succeeded' }, { jobId: d.id, lockKey, token: 'token-2' })).toBe('superseded');
    expect(await log.fail(d, { jobId: d.id })).toBe('superseded');
    // A restart from a stale view loses to the one that happened.
    expect(await log.restart(d, { nextAttemptAt: new Date(), replay: true })).toEqual({ outcome: 'raced', jobId: `${d.id}-1` });

    const current = (await log.get(d.id))!;
    expect(current).toMatchObject({ status: 'pending', jobId: `${d.id}-1`, replays: 1 });
    expect(await log.attempts(d.id)).toHaveLength(2);
    expect(await log.recordAttempt(current, attempt, { status: 'succeeded' }, { jobId: `${d.id}-1` })).toBe('done');
    expect((await log.get(d.id))?.status).toBe('succeeded');
    expect((await log.get(d.id))?.nextAttemptAt).toBeUndefined();
    expect(await log.fail(current, { jobId: `${d.id}-1` })).toBe('not_pending');
    expect(await log.view(current)).not.toHaveProperty('jobId');
  });
});
