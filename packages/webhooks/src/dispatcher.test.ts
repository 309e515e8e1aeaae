import { Webhook } from 'standardwebhooks';
import type { Job } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import { useHarness, type Harness } from './test/harness.js';
import { ok, startReceiver, type Receiver } from './test/receiver.js';
import type { DeliveryJobData, DeliveryRecord } from './schemas.js';

async function receiver(handler = ok): Promise<Receiver> {
  const r = await startReceiver(handler);
  onTestFinished(() => r.close());
  return r;
}

async function publish(h: Harness, teamId: string, status: 'succeeded' | 'failed' | 'cancelled' = 'succeeded', secrets?: Record<string, unknown>) {
  const intent = await h.finishedIntent(teamId, status, secrets);
  const deliveries = await h.publisher.publishIntentEnd({ teamId, intentId: intent.id, status, at: new Date(intent.finishedAt ?? Date.now()) });
  return { intent, deliveries };
}

const done = (d: DeliveryRecord) => d.status !== 'pending';

describe('dispatcher', () => {
  it('delivers signed events that standardwebhooks verifies; filters hold; secrets only with include_secrets; no secret in logs', async () => {
    const h = useHarness();
    const r = await receiver();
    const all = await h.subscriptions.create('payments', { url: `${r.url}/all`, events: ['intent.*'] });
    const failedOnly = await h.subscriptions.create('payments', { url: `${r.url}/failed`, events: ['intent.failed'] });
    const withSecrets = await h.subscriptions.create('payments', { url: `${r.url}/secrets`, events: ['intent.succeeded'], includeSecrets: true });
    await h.subscriptions.create('search', { url: `${r.url}/other-team`, events: ['intent.*'] });
    h.startDispatcher();

    const { intent, deliveries } = await publish(h, 'payments', 'succeeded', { connectionUris: [{ uri: 'postgres://u:hunter2-pw@h/db' }], password: 'hunter2-pw' });
    expect(deliveries.map((d) => d.subscriptionId).sort()).toEqual([all.subscription.id, withSecrets.subscription.id].sort());
    // Publishing the same event again makes nothing new.
    expect(await h.publisher.publishIntentEnd({ teamId: 'payments', intentId: intent.id, status: 'succeeded', at: new Date(intent.finishedAt!) })).toEqual([]);
    for (const d of deliveries) expect((await h.waitForDelivery(d.id, done)).status).toBe('succeeded');
    const got = await r.waitFor(2);
    expect(got.map((g) => new URL(r.url + '/x').origin && g.headers['webhook-id']).sort()).toEqual(deliveries.map((d) => d.messageId).sort());

    const secretsFor: Record<string, string> = { [all.subscription.id]: all.secret, [withSecrets.subscription.id]: withSecrets.secret };
    for (const g of got) {
      const d = deliveries.find((x) => x.messageId === g.headers['webhook-id'])!;
      const payload = new Webhook(secretsFor[d.subscriptionId]!).verify(g.body, g.headers) as { type: string; timestamp: string; data: Record<string, unknown> };
      expect(payload.type).toBe('intent.succeeded');
      expect(payload.timestamp).toBe(intent.finishedAt);
      expect(payload.data.id).toBe(intent.id);
      expect(payload.data.status).toBe('succeeded');
      expect(payload.data.result).toEqual(intent.result);
      if (d.subscriptionId === withSecrets.subscription.id) expect(g.body).toContain('hunter2-pw');
      else {
        expect(g.body).not.toContain('hunter2-pw');
        expect(payload.data.secrets).toBeUndefined();
      }
    }
    // Only the include_secrets subscription ever saw the password; the other team nothing.
    expect(got.filter((g) => g.body.includes('hunter2-pw'))).toHaveLength(1);
    expect(r.received).toHaveLength(2);
    expect(failedOnly.subscription.events).toEqual(['intent.failed']);

    // A failed intent reaches the intent.* and intent.failed subscriptions.
    const second = await publish(h, 'payments', 'failed');
    expect(second.deliveries.map((d) => d.subscriptionId).sort()).toEqual([all.subscription.id, failedOnly.subscription.id].sort());
    for (const d of second.deliveries) await h.waitForDelivery(d.id, done);
    await r.waitFor(4);

    const logText = h.logs.join('');
    expect(logText).toContain('webhook delivered');
    for (const secret of ['hunter2-pw', all.secret, withSecrets.secret, 'whsec_', all.secret.slice(6)]) expect(logText).not.toContain(secret);
  });

  it('during a rotation every delivery carries both signatures; the old and the new secret verify', async () => {
    const h = useHarness();
    const r = await receiver();
    const { subscription, secret: oldSecret } = await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    const newSecret = (await h.subscriptions.rotateSecret(subscription.id, 3600))!;
    expect(newSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(newSecret).not.toBe(oldSecret);
    h.startDispatcher();
    const { deliveries } = await publish(h, 't');
    await h.waitForDelivery(deliveries[0]!.id, done);
    const [got] = await r.waitFor(1);
    expect(got!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(oldSecret).verify(got!.body, got!.headers)).toBeTruthy();
    expect(new Webhook(newSecret).verify(got!.body, got!.headers)).toBeTruthy();

    // Without overlap only the new secret signs.
    const third = (await h.subscriptions.rotateSecret(subscription.id, 0))!;
    const next = await publish(h, 't');
    await h.waitForDelivery(next.deliveries[0]!.id, done);
    const [, got2] = await r.waitFor(2);
    expect(got2!.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(new Webhook(third).verify(got2!.body, got2!.headers)).toBeTruthy();
    expect(() => new Webhook(newSecret).verify(got2!.body, got2!.headers)).toThrow();
  });

  it('a receiver down for several attempts, then up: every event arrives with one webhook-id each, and the log shows each attempt', async () => {
    const h = useHarness();
    const r = await receiver();
    r.setHandler((_req, res) => {
      // Down for the first 9 requests (3 events × about 3 attempts), then up.
      if (r.received.length <= 9) res.writeHead(500).end('down for maintenance');
      else res.writeHead(204).end();
    });
    const { subscription, secret } = await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    h.startDispatcher({ retryScheduleMs: [0, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10] });
    const published = [];
    for (let i = 0; i < 3; i++) published.push(...(await publish(h, 't')).deliveries);
    let logged = 0;
    for (const d of published) {
      const final = await h.waitForDelivery(d.id, done);
      expect(final.status).toBe('succeeded');
      const attempts = await h.deliveries.attempts(final.id);
      logged += attempts.length;
      expect(attempts.at(-1)?.responseStatus).toBe(204);
      for (const a of attempts.slice(0, -1)) {
        expect(a).toMatchObject({ responseStatus: 500, responseBody: 'down for maintenance', error: { code: 'http_status' } });
      }
      expect(attempts.every((a) => a.latencyMs >= 0 && !Number.isNaN(Date.parse(a.at)))).toBe(true);
      const sent = r.received.filter((x) => x.headers['webhook-id'] === final.messageId);
      expect(sent).toHaveLength(attempts.length);
    }
    expect(logged).toBe(r.received.length);
    expect(r.received.length).toBeGreaterThanOrEqual(12);
    for (const x of r.received) expect(new Webhook(secret).verify(x.body, x.headers)).toBeTruthy();
    expect((await h.subscriptions.get(subscription.id))?.failingSince).toBeUndefined();

    // The list route's view: filterable by status and type.
    expect((await h.deliveries.list(subscription.id, { status: 'succeeded' })).items.map((d) => d.id).sort()).toEqual(published.map((d) => d.id).sort());
    expect((await h.deliveries.list(subscription.id, { status: 'failed' })).items).toEqual([]);
    expect((await h.deliveries.list(subscription.id, { eventType: 'intent.failed' })).items).toEqual([]);
  });

  it('a receiver that is not listening at all: network errors until the last attempt, then failed', async () => {
    const h = useHarness();
    const r = await startReceiver();
    const url = r.url;
    await r.close();
    const { subscription } = await h.subscriptions.create('t', { url, events: ['intent.*'] });
    h.startDispatcher({ retryScheduleMs: [0, 10, 10] });
    const { deliveries } = await publish(h, 't');
    const final = await h.waitForDelivery(deliveries[0]!.id, done);
    expect(final.status).toBe('failed');
    expect(final.nextAttemptAt).toBeUndefined();
    const attempts = await h.deliveries.attempts(final.id);
    expect(attempts).toHaveLength(3);
    expect(attempts.every((a) => a.error?.code === 'network')).toBe(true);
    expect((await h.subscriptions.get(subscription.id))?.failingSince).toBeDefined();
  });

  it('410 disables the subscription with a reason; later events are not sent', async () => {
    const h = useHarness();
    const r = await receiver((_req, res) => void res.writeHead(410).end('gone'));
    const { subscription } = await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    h.startDispatcher();
    const { deliveries } = await publish(h, 't');
    const final = await h.waitForDelivery(deliveries[0]!.id, done);
    expect(final.status).toBe('failed');
    expect(await h.deliveries.attempts(final.id)).toHaveLength(1);
    const sub = await h.subscriptions.get(subscription.id);
    expect(sub?.enabled).toBe(false);
    expect(sub?.disabledReason).toMatch(/410/);
    expect((await publish(h, 't')).deliveries).toEqual([]);
  });

  it('a subscription failing continuously for the configured time is disabled with the reason', async () => {
    const h = useHarness();
    const r = await receiver((_req, res) => void res.writeHead(500).end());
    const { subscription } = await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    h.startDispatcher({ disableAfterSeconds: 0 });
    const { deliveries } = await publish(h, 't');
    expect((await h.waitForDelivery(deliveries[0]!.id, done)).status).toBe('failed');
    const sub = await h.subscriptions.get(subscription.id);
    expect(sub?.enabled).toBe(false);
    expect(sub?.disabledReason).toMatch(/failed for/);
    // Re-enabling clears the reason.
    const again = await h.subscriptions.update(subscription.id, { enabled: true });
    expect(again?.disabledReason).toBeUndefined();
    expect(again?.failingSince).toBeUndefined();
  });

  it('a redirect is not followed and counts as a failed attempt', async () => {
    const h = useHarness();
    const r = await receiver((req, res) => {
      if (req.url === '/target') res.writeHead(200).end('ok');
      else res.writeHead(302, { location: '/target' }).end();
    });
    await h.subscriptions.create('t', { url: `${r.url}/start`, events: ['intent.*'] });
    h.startDispatcher({ retryScheduleMs: [0] });
    const { deliveries } = await publish(h, 't');
    const final = await h.waitForDelivery(deliveries[0]!.id, done);
    expect(final.status).toBe('failed');
    const [attempt] = await h.deliveries.attempts(final.id);
    expect(attempt?.responseStatus).toBe(302);
    expect(attempt?.error?.code).toBe('redirect');
    expect(r.received).toHaveLength(1);
  });

  it('a timeout counts as a failed attempt; a slow receiver does not delay another subscription', async () => {
    const h = useHarness();
    const slow = await receiver(() => new Promise(() => undefined));
    const fast = await receiver();
    await h.subscriptions.create('t', { url: slow.url, events: ['intent.*'] });
    await h.subscriptions.create('t', { url: fast.url, events: ['intent.*'] });
    h.startDispatcher({ timeoutMs: 1500, retryScheduleMs: [0] });
    const { deliveries } = await publish(h, 't');
    const [first] = await fast.waitFor(1);
    // The fast receiver got its event while the slow one still held its request.
    expect(slow.received).toHaveLength(1);
    const slowDelivery = deliveries.find((d) => d.messageId !== first!.headers['webhook-id'])!;
    expect((await h.deliveries.get(slowDelivery.id))?.status).toBe('pending');
    const final = await h.waitForDelivery(slowDelivery.id, done);
    expect(final.status).toBe('failed');
    const [attempt] = await h.deliveries.attempts(final.id);
    expect(attempt?.error?.code).toBe('timeout');
    expect(attempt?.responseStatus).toBeUndefined();
  });

  it('429 and 503 honour Retry-After: the next attempt is scheduled that far ahead', async () => {
    const h = useHarness();
    const r = await receiver((req, res) => void res.writeHead(req.url === '/busy' ? 503 : 429, { 'retry-after': '120' }).end('slow down'));
    await h.subscriptions.create('t', { url: `${r.url}/limited`, events: ['intent.*'] });
    await h.subscriptions.create('t', { url: `${r.url}/busy`, events: ['intent.*'] });
    const dispatcher = h.startDispatcher();
    const { deliveries } = await publish(h, 't');
    for (const d of deliveries) {
      const pending = await h.waitForDelivery(d.id, (x) => x.nextAttemptAt !== undefined && x.nextAttemptAt !== d.nextAttemptAt);
      const [attempt] = await h.deliveries.attempts(d.id);
      expect(pending.status).toBe('pending');
      expect(Date.parse(pending.nextAttemptAt!) - Date.parse(attempt!.at)).toBe(120_000);
    }
    // BullMQ holds the job delayed until then (not the 20 ms of the schedule).
    await dispatcher.close();
    for (const d of deliveries) {
      const job = await h.queue.getJob(d.id);
      expect(await job?.getState()).toBe('delayed');
      expect(job!.delay).toBeGreaterThanOrEqual(119_000);
    }
    expect(r.received).toHaveLength(2);
  });

  it('SSRF: a delivery to localhost is refused when not allowlisted; nothing reaches the receiver', async () => {
    const h = useHarness();
    const r = await receiver();
    await h.subscriptions.create('t', { url: `http://localhost:${r.port}/hook`, events: ['intent.*'] });
    await h.subscriptions.create('t', { url: `http://127.0.0.1:${r.port}/literal`, events: ['intent.*'] });
    h.startDispatcher({ allowCidrs: [], allowHosts: [] });
    const { deliveries } = await publish(h, 't');
    for (const d of deliveries) {
      const final = await h.waitForDelivery(d.id, done);
      expect(final.status).toBe('failed');
      const attempts = await h.deliveries.attempts(d.id);
      expect(attempts).toHaveLength(1);
      expect(attempts[0]?.error?.code).toBe('address_refused');
      expect(attempts[0]?.error?.message).toMatch(/loopback/);
    }
    expect(r.received).toHaveLength(0);
  });

  it('SSRF: localhost allowlisted by host name is delivered to', async () => {
    const h = useHarness();
    const r = await receiver();
    const { secret } = await h.subscriptions.create('t', { url: `http://localhost:${r.port}/hook`, events: ['intent.*'] });
    h.startDispatcher({ allowCidrs: [], allowHosts: ['localhost'] });
    const { deliveries } = await publish(h, 't');
    const final = await h.waitForDelivery(deliveries[0]!.id, done);
    // localhost may resolve to ::1 first where 127.0.0.1 answers; either way the guard let it through.
    const [attempt] = await h.deliveries.attempts(final.id);
    expect(attempt?.error?.code).not.toBe('address_refused');
    if (final.status === 'succeeded') expect(new Webhook(secret).verify(r.received[0]!.body, r.received[0]!.headers)).toBeTruthy();
  });

  it('replay re-sends a failed delivery with the same webhook-id; recover re-sends every failed one since a time', async () => {
    const h = useHarness();
    let up = false;
    const r = await receiver((_req, res) => void res.writeHead(up ? 200 : 500).end());
    const { subscription, secret } = await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    h.startDispatcher({ retryScheduleMs: [0, 5] });
    const since = new Date(Date.now() - 1000);
    const a = (await publish(h, 't')).deliveries[0]!;
    const b = (await publish(h, 't', 'failed')).deliveries[0]!;
    for (const d of [a, b]) expect((await h.waitForDelivery(d.id, done)).status).toBe('failed');
    expect(r.received).toHaveLength(4);
    up = true;

    const replayed = await h.publisher.replay((await h.deliveries.get(a.id))!);
    expect(replayed.outcome).toBe('restarted');
    expect(replayed.delivery.status).toBe('pending');
    expect(replayed.delivery.replays).toBe(1);
    expect((await h.waitForDelivery(a.id, (d) => d.status === 'succeeded')).messageId).toBe(a.messageId);
    const last = r.received.at(-1)!;
    expect(last.headers['webhook-id']).toBe(a.messageId);
    expect(new Webhook(secret).verify(last.body, last.headers)).toBeTruthy();
    expect(await h.deliveries.attempts(a.id)).toHaveLength(3);

    expect((await h.publisher.recover(subscription.id, new Date(Date.now() + 60_000)))).toEqual([]);
    const recovered = await h.publisher.recover(subscription.id, since);
    expect(recovered.map((d) => d.id)).toEqual([b.id]);
    expect((await h.waitForDelivery(b.id, (d) => d.status === 'succeeded')).replays).toBe(1);
  });

  it('a ping reaches a subscription whatever its filters; a disabled subscription gets nothing', async () => {
    const h = useHarness();
    const r = await receiver();
    const { subscription, secret } = await h.subscriptions.create('t', { url: r.url, events: ['intent.failed'] });
    h.startDispatcher();
    const ping = await h.publisher.ping(subscription);
    expect((await h.waitForDelivery(ping.id, done)).status).toBe('succeeded');
    const payload = new Webhook(secret).verify(r.received[0]!.body, r.received[0]!.headers) as { type: string; data: { subscriptionId: string } };
    expect(payload.type).toBe('ping');
    expect(payload.data.subscriptionId).toBe(subscription.id);
    await h.subscriptions.update(subscription.id, { enabled: false });
    expect((await publish(h, 't', 'failed')).deliveries).toEqual([]);
    const dropped = await h.publisher.ping((await h.subscriptions.get(subscription.id))!);
    expect((await h.waitForDelivery(dropped.id, done)).status).toBe('failed');
    expect(r.received).toHaveLength(1);
  });

  it('a receiver that hangs holds at most its share of slots: another subscription is served at once', async () => {
    const h = useHarness();
    const hanging = await receiver(() => new Promise(() => undefined));
    const fast = await receiver();
    await h.subscriptions.create('slow-team', { url: hanging.url, events: ['intent.*'] });
    await h.subscriptions.create('fast-team', { url: fast.url, events: ['intent.*'] });
    h.startDispatcher({ concurrency: 4, timeoutMs: 10_000, retryScheduleMs: [0] }, { maxInFlightPerSubscription: 2, inFlightRetryDelayMs: 50 });
    for (let i = 0; i < 8; i++) await publish(h, 'slow-team');
    await hanging.waitFor(2);
    const { deliveries } = await publish(h, 'fast-team');
    expect((await h.waitForDelivery(deliveries[0]!.id, done)).status).toBe('succeeded');
    // The hanging receiver never got more than its two slots' worth of requests meanwhile.
    expect(hanging.received).toHaveLength(2);
  });

  it('a job names its delivery, subscription and intent (ids only); a job of the delivery id alone (added before) is delivered the same', async () => {
    const h = useHarness();
    const r = await receiver();
    const { subscription, secret } = await h.subscriptions.create('payments', { url: r.url, events: ['intent.*'] });
    const { intent, deliveries } = await publish(h, 'payments');
    const delivery = deliveries[0]!;
    const job = (await h.queue.getJob(delivery.jobId!)) as Job<DeliveryJobData>;
    expect(job.data).toEqual({ deliveryId: delivery.id, subscriptionId: subscription.id, intentId: intent.id });
    await job.updateData({ deliveryId: delivery.id });
    h.startDispatcher();
    expect((await h.waitForDelivery(delivery.id, done)).status).toBe('succeeded');
    const [got] = await r.waitFor(1);
    const payload = new Webhook(secret).verify(got!.body, got!.headers) as { data: Record<string, unknown> };
    expect(payload.data.id).toBe(intent.id);
  });
});
