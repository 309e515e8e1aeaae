import { corePrefix } from '@neonops/intents';
import { waitUntil } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { deliveryIdFor, messageIdFor } from './ids.js';
import { WebhookPublishError } from './publisher.js';
import type { DeliveryRecord } from './schemas.js';
import { useHarness, type Harness } from './test/harness.js';
import { ok, startReceiver, type Handler, type Receiver } from './test/receiver.js';

async function receiver(handler: Handler = ok): Promise<Receiver> {
  const r = await startReceiver(handler);
  onTestFinished(() => r.close());
  return r;
}

/** The state a crash between writing a delivery record and adding its job leaves: a pending delivery, no job. */
async function pendingWithoutJob(h: Harness, subscriptionId: string, teamId: string, intentId: string, at: Date): Promise<DeliveryRecord> {
  const id = deliveryIdFor(`${intentId}:intent.succeeded`, subscriptionId, at);
  const record: DeliveryRecord = {
    id,
    subscriptionId,
    teamId,
    eventType: 'intent.succeeded',
    messageId: messageIdFor(id),
    intentId,
    eventTimestamp: at.toISOString(),
    status: 'pending',
    nextAttemptAt: at.toISOString(),
    replays: 0,
    jobId: id,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
  };
  expect(await h.deliveries.create(record)).toBe(true);
  return record;
}

/** No job of the `webhooks` queue is left to run: every chain has ended. */
async function expectNoLiveJobs(h: Harness): Promise<void> {
  const counts = await h.queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
  expect(counts).toMatchObject({ active: 0, waiting: 0, delayed: 0, prioritized: 0 });
}

const settled = (d: DeliveryRecord) => d.status !== 'pending';

describe('one delivery per event × subscription, one chain per delivery', () => {
  it('a subscription whose delivery cannot be written does not stop the others; publishing again completes it and sends nothing twice', async () => {
    const h = useHarness();
    const r = await receiver();
    const subs = [];
    for (const name of ['a', 'b', 'c']) subs.push((await h.subscriptions.create('t', { url: `${r.url}/${name}`, events: ['intent.*'] })).subscription);
    const broken = subs[1]!;
    // A real Redis error for b alone: its delivery index is a string, so the create script fails (WRONGTYPE).
    const index = `${corePrefix(h.prefix)}webhook:sub:${broken.id}:dlv`;
    await h.redis.set(index, 'not a sorted set');
    h.startDispatcher();
    const intent = await h.finishedIntent('t', 'succeeded');
    const event = { teamId: 't', intentId: intent.id, status: 'succeeded' as const, at: new Date(intent.finishedAt!) };

    const error = await h.publisher.publishIntentEnd(event).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WebhookPublishError);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as WebhookPublishError).failures.map((f) => f.subscriptionId)).toEqual([broken.id]);
    expect((error as WebhookPublishError).errors[0]).toBeInstanceOf(Error);
    // The two others were served anyway.
    await r.waitFor(2);

    await h.redis.del(index);
    const second = await h.publisher.publishIntentEnd(event);
    expect(second.map((d) => d.subscriptionId)).toEqual([broken.id]);
    const third = await h.publisher.publishIntentEnd(event);
    expect(third).toEqual([]);
    await h.waitForDelivery(second[0]!.id, settled);
    const got = await r.waitFor(3);
    for (const s of subs) {
      const id = deliveryIdFor(`${intent.id}:intent.succeeded`, s.id, event.at);
      expect((await h.waitForDelivery(id, settled)).status).toBe('succeeded');
    }
    await waitUntil(async () => (await h.queue.getJobCounts('active')).active === 0, { what: 'the last job to complete' });
    await expectNoLiveJobs(h);
    expect(new Set(got.map((g) => g.headers['webhook-id'])).size).toBe(3);
    expect(r.received).toHaveLength(3);
  });

  it('publishing an event again gives a pending delivery whose job never made it (crash) its job', async () => {
    const h = useHarness();
    const r = await receiver();
    const { subscription } = await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    const intent = await h.finishedIntent('t', 'succeeded');
    const at = new Date(intent.finishedAt!);
    const orphan = await pendingWithoutJob(h, subscription.id, 't', intent.id, at);
    h.startDispatcher();

    expect(await h.publisher.publishIntentEnd({ teamId: 't', intentId: intent.id, status: 'succeeded', at })).toEqual([]);
    expect((await h.waitForDelivery(orphan.id, settled)).status).toBe('succeeded');
    const [got] = await r.waitFor(1);
    expect(got!.headers['webhook-id']).toBe(orphan.messageId);
    expect(await h.deliveries.attempts(orphan.id)).toHaveLength(1);
  });

  it('a job that is not its delivery’s current chain sends nothing', async () => {
    const h = useHarness();
    const r = await receiver();
    await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    const intent = await h.finishedIntent('t', 'succeeded');
    const [delivery] = await h.publisher.publishIntentEnd({ teamId: 't', intentId: intent.id, status: 'succeeded', at: new Date(intent.finishedAt!) });
    // Another chain took over (as a replay racing a late enqueue would), without a job yet.
    const restarted = await h.deliveries.restart(delivery!, { nextAttemptAt: new Date(), replay: false });
    expect(restarted).toEqual({ outcome: 'restarted', jobId: `${delivery!.id}-1` });
    const dispatcher = h.startDispatcher();
    const outcome = await new Promise((resolve) => dispatcher.worker.on('completed', (job, value) => job.id === delivery!.id && resolve(value)));
    expect(outcome).toBe('superseded');
    expect(r.received).toHaveLength(0);
    expect((await h.deliveries.get(delivery!.id))?.status).toBe('pending');
  });

  it('replaying a delivery that is being retried brings its next attempt forward instead of starting a second chain', async () => {
    const h = useHarness();
    const r = await receiver((_req, res) => void res.writeHead(500).end('still down'));
    await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    // Four attempts, half a second apart: a chain takes 1.5 s.
    h.startDispatcher({ retryScheduleMs: [0, 500, 500, 500] });
    const intent = await h.finishedIntent('t', 'succeeded');
    const [first] = await h.publisher.publishIntentEnd({ teamId: 't', intentId: intent.id, status: 'succeeded', at: new Date(intent.finishedAt!) });
    const failed = await h.waitForDelivery(first!.id, settled);
    expect(failed.status).toBe('failed');
    expect(await h.deliveries.attempts(failed.id)).toHaveLength(4);

    // Two replays at once start one chain between them.
    const racing = await Promise.all([h.publisher.replay(failed), h.publisher.replay(failed)]);
    expect(racing.map((x) => x.outcome)).toEqual(['restarted', 'restarted']);
    // Replays while it is pending keep that chain: its next attempt is brought forward (or running).
    await r.waitFor(5);
    for (let i = 0; i < 2; i++) {
      const again = await h.publisher.replay((await h.deliveries.get(failed.id))!);
      expect(['brought_forward', 'in_flight']).toContain(again.outcome);
    }

    const final = await h.waitForDelivery(failed.id, (d) => d.status === 'failed' && d.updatedAt !== failed.updatedAt && d.replays === 1);
    expect(final.replays).toBe(1);
    expect(await h.deliveries.attempts(final.id)).toHaveLength(8);
    await waitUntil(async () => (await h.queue.getJobCounts('active')).active === 0, { what: 'the last job to end' });
    await expectNoLiveJobs(h);
    expect(r.received).toHaveLength(8);
  });

  it('recover re-sends failed deliveries and pending ones without a job, and leaves a live chain alone', async () => {
    const h = useHarness();
    const r = await receiver();
    const { subscription } = await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    const since = new Date(Date.now() - 1000);
    // A live chain: published while no dispatcher runs, so its job waits.
    const live = await h.finishedIntent('t', 'succeeded');
    const [waiting] = await h.publisher.publishIntentEnd({ teamId: 't', intentId: live.id, status: 'succeeded', at: new Date(live.finishedAt!) });
    // A crash between record and job.
    const lost = await h.finishedIntent('t', 'succeeded');
    const orphan = await pendingWithoutJob(h, subscription.id, 't', lost.id, new Date(lost.finishedAt!));
    // A failed one.
    const gaveUp = await h.finishedIntent('t', 'succeeded');
    const [failedOne] = await h.publisher.publishIntentEnd({ teamId: 't', intentId: gaveUp.id, status: 'succeeded', at: new Date(gaveUp.finishedAt!) });
    await h.queue.remove(failedOne!.id);
    expect(await h.deliveries.fail(failedOne!, { jobId: failedOne!.id })).toBe('done');

    const recovered = await h.publisher.recover(subscription.id, since);
    expect(recovered.map((d) => d.id).sort()).toEqual([orphan.id, failedOne!.id].sort());
    expect(recovered.every((d) => d.status === 'pending')).toBe(true);
    // Recovering again while those run starts nothing new.
    expect(await h.publisher.recover(subscription.id, since)).toEqual([]);

    h.startDispatcher();
    for (const d of [waiting!, orphan, failedOne!]) expect((await h.waitForDelivery(d.id, settled)).status).toBe('succeeded');
    const got = await r.waitFor(3);
    expect(got.map((g) => g.headers['webhook-id']).sort()).toEqual([waiting!, orphan, failedOne!].map((d) => d.messageId).sort());
    await waitUntil(async () => (await h.queue.getJobCounts('active')).active === 0, { what: 'the last job to end' });
    await expectNoLiveJobs(h);
    expect(r.received).toHaveLength(3);
  });
});
