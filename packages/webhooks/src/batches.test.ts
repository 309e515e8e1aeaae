import { corePrefix } from '@neonops/intents';
import { waitUntil } from '@neonops/testing';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebhookPublisher, WebhookPublishError } from './publisher.js';
import { isBatchJob, type DeliveryRecord } from './schemas.js';
import { useHarness, type Harness } from './test/harness.js';
import { ok, startReceiver, type Handler, type Receiver } from './test/receiver.js';

async function receiver(handler: Handler = ok): Promise<Receiver> {
  const r = await startReceiver(handler);
  onTestFinished(() => r.close());
  return r;
}

/** `n` intents of `teamId` that end together, published at once (as the outbox relay hands over the events of one read). */
async function publishTogether(h: Harness, teamId: string, n: number, publisher: WebhookPublisher = h.publisher) {
  const intents = await Promise.all(Array.from({ length: n }, () => h.finishedIntent(teamId, 'succeeded')));
  const events = intents.map((i) => ({ teamId, intentId: i.id, status: 'succeeded' as const, at: new Date(i.finishedAt!) }));
  const made = await Promise.all(events.map((e) => publisher.publishIntentEnd(e)));
  return { intents, events, deliveries: made.flat() };
}

const settled = (d: DeliveryRecord) => d.status !== 'pending';

async function expectNoLiveJobs(h: Harness): Promise<void> {
  await waitUntil(async () => (await h.queue.getJobCounts('active')).active === 0, { what: 'the last job to end' });
  expect(await h.queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized')).toMatchObject({ active: 0, waiting: 0, delayed: 0, prioritized: 0 });
}

describe('deliveries published together share a job', () => {
  it('one job per subscription for events published at once (at most maxDeliveriesPerJob each); each delivery sent once, signed, under its own webhook-id', async () => {
    const h = useHarness();
    const r = await receiver();
    const a = await h.subscriptions.create('t', { url: `${r.url}/a`, events: ['intent.*'] });
    const b = await h.subscriptions.create('t', { url: `${r.url}/b`, events: ['intent.succeeded'] });
    const { deliveries, events } = await publishTogether(h, 't', 5);
    expect(deliveries).toHaveLength(10);

    for (const sub of [a.subscription, b.subscription]) {
      const mine = deliveries.filter((d) => d.subscriptionId === sub.id);
      expect(new Set(mine.map((d) => d.jobId)).size).toBe(1);
      const job = await h.queue.getJob(mine[0]!.jobId!);
      expect(job?.name).toBe('deliver-batch');
      expect(job?.data).toEqual({ subscriptionId: sub.id, deliveryIds: mine.map((d) => d.id) });
    }
    // Publishing the same events again makes nothing new.
    expect((await Promise.all(events.map((e) => h.publisher.publishIntentEnd(e)))).flat()).toEqual([]);
    expect(await h.queue.getJobCounts('waiting')).toMatchObject({ waiting: 2 });

    h.startDispatcher();
    for (const d of deliveries) expect((await h.waitForDelivery(d.id, settled)).status).toBe('succeeded');
    for (const d of deliveries) expect(await h.deliveries.attempts(d.id)).toHaveLength(1);
    expect(r.received).toHaveLength(10);
    expect(new Set(r.received.map((x) => x.headers['webhook-id']))).toEqual(new Set(deliveries.map((d) => d.messageId)));
    for (const x of r.received) {
      const delivery = deliveries.find((d) => d.messageId === x.headers['webhook-id']);
      const secret = delivery?.subscriptionId === a.subscription.id ? a.secret : b.secret;
      const payload = new Webhook(secret).verify(x.body, x.headers) as { type: string; data: { id: string } };
      expect(payload.type).toBe('intent.succeeded');
      expect(events.map((e) => e.intentId)).toContain(payload.data.id);
    }
    await expectNoLiveJobs(h);
  });

  it('a job carries at most maxDeliveriesPerJob; a lone delivery gets a job of its own', async () => {
    const h = useHarness();
    await h.subscriptions.create('t', { url: 'http://127.0.0.1:9/hook', events: ['intent.*'] });
    const publisher = new WebhookPublisher({ subscriptions: h.subscriptions, deliveries: h.deliveries, queue: h.queue, maxDeliveriesPerJob: 2 });
    const { deliveries } = await publishTogether(h, 't', 5, publisher);
    const jobs = new Map<string, string[]>();
    for (const d of deliveries) jobs.set(d.jobId!, [...(jobs.get(d.jobId!) ?? []), d.id]);
    expect([...jobs.values()].map((ids) => ids.length)).toEqual([2, 2, 1]);
    const [lone] = [...jobs].find(([, ids]) => ids.length === 1)!;
    const job = await h.queue.getJob(lone);
    expect(job?.name).toBe('deliver');
    expect(job && isBatchJob(job.data)).toBe(false);
    expect(job?.id).toBe(jobs.get(lone)![0]);
  });

  it('afterDelivery hears of each delivery made once it is queued, alone or in a shared job, and not of one published before', async () => {
    const h = useHarness();
    await h.subscriptions.create('t', { url: 'http://127.0.0.1:9/hook', events: ['intent.*'] });
    const heard: { id: string; queued: boolean }[] = [];
    const publisher = new WebhookPublisher({
      subscriptions: h.subscriptions,
      deliveries: h.deliveries,
      queue: h.queue,
      afterDelivery: async (d) => void heard.push({ id: d.id, queued: (await h.queue.getJob(d.jobId!)) !== undefined }),
    });
    const shared = await publishTogether(h, 't', 3, publisher);
    const lone = await publishTogether(h, 't', 1, publisher);
    const made = [...shared.deliveries, ...lone.deliveries];
    expect(heard.map((x) => x.id).sort()).toEqual(made.map((d) => d.id).sort());
    expect(heard.every((x) => x.queued)).toBe(true);
    await Promise.all([...shared.events, ...lone.events].map((e) => publisher.publishIntentEnd(e)));
    expect(heard).toHaveLength(4);
  });

  it('when some deliveries of a job fail, only those are sent again; the others are not sent twice', async () => {
    const h = useHarness();
    const failOnce = new Set<string>();
    const seen = new Set<string>();
    const r = await receiver((_req, res, got) => {
      const id = got.headers['webhook-id']!;
      // The first two deliveries to arrive fail once.
      if (!seen.has(id) && seen.size < 2) failOnce.add(id);
      const fail = failOnce.has(id) && !seen.has(id);
      seen.add(id);
      res.writeHead(fail ? 503 : 200).end(fail ? 'busy' : 'ok');
    });
    const { subscription } = await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    const { deliveries } = await publishTogether(h, 't', 6);
    expect(new Set(deliveries.map((d) => d.jobId)).size).toBe(1);
    h.startDispatcher();
    for (const d of deliveries) expect((await h.waitForDelivery(d.id, settled)).status).toBe('succeeded');
    for (const d of deliveries) {
      const attempts = await h.deliveries.attempts(d.id);
      expect(attempts.map((x) => x.responseStatus)).toEqual(failOnce.has(d.messageId) ? [503, 200] : [200]);
    }
    expect(failOnce.size).toBe(2);
    expect(r.received).toHaveLength(8);
    await expectNoLiveJobs(h);
    // Every delivery got through in the end: the run of failures the 503s began is over.
    expect((await h.subscriptions.get(subscription.id))?.failingSince).toBeUndefined();
  });

  it('a job to a subscription that was failing ends its run of failures, and a failure after a success in the job begins a new one', async () => {
    const h = useHarness();
    let answered = 0;
    // Deliveries 1–3 succeed; the 4th fails for good (one attempt), after the run was ended.
    const r = await receiver((_req, res) => void res.writeHead(++answered === 4 ? 500 : 200).end());
    const { subscription } = await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    await h.subscriptions.recordFailure(subscription.id, 3600);
    const before = (await h.subscriptions.get(subscription.id))?.failingSince;
    expect(before).toBeDefined();
    const { deliveries } = await publishTogether(h, 't', 4);
    h.startDispatcher({ retryScheduleMs: [0] }, { maxInFlightPerSubscription: 1 });
    for (const d of deliveries) await h.waitForDelivery(d.id, settled);
    expect(answered).toBe(4);
    const after = await h.subscriptions.get(subscription.id);
    expect(after?.enabled).toBe(true);
    // A new run, begun by the 4th delivery: the successes before it ended the old one.
    expect(after?.failingSince).toBeDefined();
    expect(Date.parse(after!.failingSince!)).toBeGreaterThan(Date.parse(before!));
    await expectNoLiveJobs(h);
  });

  it('410 in the middle of a job disables the subscription: its later deliveries are dropped, nothing more is sent', async () => {
    const h = useHarness();
    const r = await receiver((_req, res) => void res.writeHead(r.received.length === 2 ? 410 : 200).end());
    const { subscription } = await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    const { deliveries } = await publishTogether(h, 't', 5);
    // One slot: the job's deliveries go one after another.
    h.startDispatcher({}, { maxInFlightPerSubscription: 1 });
    const final = await Promise.all(deliveries.map((d) => h.waitForDelivery(d.id, settled)));
    expect(final.map((d) => d.status)).toEqual(['succeeded', 'failed', 'failed', 'failed', 'failed']);
    expect(r.received.map((x) => x.headers['webhook-id'])).toEqual(deliveries.slice(0, 2).map((d) => d.messageId));
    expect((await h.subscriptions.get(subscription.id))?.enabled).toBe(false);
    for (const d of deliveries.slice(2)) expect(await h.deliveries.attempts(d.id)).toEqual([]);
    await expectNoLiveJobs(h);
  });

  it('a job never holds more of its subscription’s slots than allowed', async () => {
    const h = useHarness();
    let inFlight = 0;
    let most = 0;
    const r = await receiver((_req, res) => {
      most = Math.max(most, ++inFlight);
      setTimeout(() => {
        inFlight -= 1;
        res.writeHead(200).end();
      }, 30);
    });
    await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    const { deliveries } = await publishTogether(h, 't', 8);
    h.startDispatcher({}, { maxInFlightPerSubscription: 3 });
    for (const d of deliveries) expect((await h.waitForDelivery(d.id, settled)).status).toBe('succeeded');
    expect(r.received).toHaveLength(8);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(3);
  });

  it('a crash between the records and their job: publishing again gives each delivery a job of its own, each sent once', async () => {
    const h = useHarness();
    const r = await receiver();
    await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    // Redis refuses the job (its queue's wait list is a string: WRONGTYPE) after the records were written.
    const waitList = `${corePrefix(h.prefix)}bull:webhooks:wait`;
    await h.redis.set(waitList, 'not a list');
    const publisher = h.publisher;
    const intents = await Promise.all(Array.from({ length: 3 }, () => h.finishedIntent('t', 'succeeded')));
    const events = intents.map((i) => ({ teamId: 't', intentId: i.id, status: 'succeeded' as const, at: new Date(i.finishedAt!) }));
    const errors = await Promise.all(events.map((e) => publisher.publishIntentEnd(e).then(() => undefined, (error: unknown) => error)));
    for (const error of errors) expect(error).toBeInstanceOf(WebhookPublishError);
    const orphans = await h.deliveries.unfinishedSince((await h.subscriptions.list('t'))[0]!.id, new Date(0));
    expect(orphans).toHaveLength(3);
    expect(new Set(orphans.map((d) => d.jobId)).size).toBe(1);
    await h.redis.del(waitList);
    expect(['unknown', 'completed', 'failed']).toContain(await h.queue.getJobState(orphans[0]!.jobId!));

    // The outbox relay hands the events over again.
    expect((await Promise.all(events.map((e) => h.publisher.publishIntentEnd(e)))).flat()).toEqual([]);
    h.startDispatcher();
    for (const d of orphans) expect((await h.waitForDelivery(d.id, settled)).status).toBe('succeeded');
    expect(r.received.map((x) => x.headers['webhook-id']).sort()).toEqual(orphans.map((d) => d.messageId).sort());
    await expectNoLiveJobs(h);
  });

  it('replaying a delivery of a job that waits for its retry brings the whole job forward', async () => {
    const h = useHarness();
    let up = false;
    const r = await receiver((_req, res) => void res.writeHead(up ? 200 : 500).end());
    await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    // The second attempt is a minute away.
    h.startDispatcher({ retryScheduleMs: [0, 60_000, 60_000] });
    const { deliveries } = await publishTogether(h, 't', 3);
    await r.waitFor(3);
    const jobId = deliveries[0]!.jobId!;
    await waitUntil(async () => (await h.queue.getJobState(jobId)) === 'delayed', { what: 'the job to wait for its retry' });
    const waiting = await h.deliveries.get(deliveries[1]!.id);
    expect(Date.parse(waiting!.nextAttemptAt!)).toBeGreaterThan(Date.now() + 30_000);

    up = true;
    const replayed = await h.publisher.replay(waiting!);
    expect(replayed.outcome).toBe('brought_forward');
    // Each one is sent again now (or already was), not in a minute.
    for (const d of deliveries) {
      const now = (await h.deliveries.get(d.id))!;
      if (now.status === 'pending') expect(Date.parse(now.nextAttemptAt!)).toBeLessThan(Date.now() + 1000);
    }
    for (const d of deliveries) expect((await h.waitForDelivery(d.id, settled)).status).toBe('succeeded');
    for (const d of deliveries) expect((await h.deliveries.attempts(d.id)).map((x) => x.responseStatus)).toEqual([500, 200]);
    await expectNoLiveJobs(h);
  });
});
