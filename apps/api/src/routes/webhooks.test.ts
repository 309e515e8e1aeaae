import { waitUntil } from '@neonops/testing';
import { IntentStore, outboxKey, parseOutboxEntry } from '@neonops/intents';
import { createWebhookDispatcher, DEFAULT_WEBHOOK_SETTINGS, DeliveryLog, SubscriptionStore, type DeliveryView } from '@neonops/webhooks';
import { startWorkerWebhooks } from '@neonops/worker';
import { startReceiver, type Handler } from '@neonops/webhooks/test-receiver';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it, onTestFinished } from 'vitest';
import { branchCreate, buildTestApp, type TestApp } from '../../test/helper.js';

const loopback = { allowCidrs: ['127.0.0.1/32'], retryScheduleMs: [0, 10] };

async function withReceiver(handler?: Handler) {
  const r = await startReceiver(handler);
  onTestFinished(() => r.close());
  return r;
}

/** A real dispatcher on the test app's Redis prefix and secret box. */
function startDispatcher(t: TestApp) {
  const redis = t.redis.connect();
  const d = createWebhookDispatcher({
    connection: () => t.redis.connect(),
    keyPrefix: t.redis.prefix,
    subscriptions: new SubscriptionStore(redis, { prefix: t.redis.prefix, secretBox: t.secretBox }),
    deliveries: new DeliveryLog(redis, { prefix: t.redis.prefix }),
    intents: new IntentStore(redis, { prefix: t.redis.prefix }),
    secretBox: t.secretBox,
    logger: pino({ level: 'silent' }),
    settings: loopback,
  });
  onTestFinished(() => d.close());
  return d;
}

async function waitForDelivery(t: TestApp, team: string, id: string, status: string): Promise<DeliveryView> {
  let last = '';
  return waitUntil(
    async () => {
      const res = await t.as(team, { method: 'GET', url: `/v1/webhook-deliveries/${id}` });
      last = res.body;
      const body = res.json<DeliveryView>();
      return body.status === status ? body : undefined;
    },
    { timeoutMs: 15_000, what: () => `delivery ${id} ${status} (last: ${last})` },
  );
}

describe('/v1/webhooks', () => {
  it('create, read, list, update, delete; the secret is shown once and never logged', async () => {
    const t = await buildTestApp({ webhooks: loopback });
    const created = await t.as('alpha', {
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: 'https://hooks.example.com/neon', events: ['intent.succeeded', 'intent.failed'], description: 'CI' },
    });
    expect(created.statusCode).toBe(201);
    const sub = created.json();
    expect(sub.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(sub.secret.slice(6), 'base64')).toHaveLength(32);
    expect(created.headers.location).toBe(`/v1/webhooks/${sub.id}`);
    expect(sub).toMatchObject({ url: 'https://hooks.example.com/neon', events: ['intent.succeeded', 'intent.failed'], enabled: true, includeSecrets: false, description: 'CI' });
    expect(sub.teamId).toBeUndefined();

    const read = await t.as('alpha', { method: 'GET', url: `/v1/webhooks/${sub.id}` });
    expect(read.statusCode).toBe(200);
    expect(read.json().secret).toBeUndefined();
    expect(read.body).not.toContain(sub.secret.slice(6));

    const list = await t.as('alpha', { method: 'GET', url: '/v1/webhooks' });
    expect(list.json().items.map((s: { id: string }) => s.id)).toEqual([sub.id]);

    const patched = await t.as('alpha', { method: 'PATCH', url: `/v1/webhooks/${sub.id}`, payload: { events: ['intent.*'], enabled: false, url: 'https://other.example.com/x' } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ events: ['intent.*'], enabled: false, url: 'https://other.example.com/x' });

    const rotated = await t.as('alpha', { method: 'POST', url: `/v1/webhooks/${sub.id}/rotate-secret` });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().secret).toMatch(/^whsec_/);
    expect(rotated.json().secret).not.toBe(sub.secret);
    expect(Date.parse(rotated.json().previousSecretExpiresAt) - Date.now()).toBeGreaterThan(86_000_000);

    expect((await t.as('alpha', { method: 'DELETE', url: `/v1/webhooks/${sub.id}` })).statusCode).toBe(204);
    const gone = await t.as('alpha', { method: 'GET', url: `/v1/webhooks/${sub.id}` });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().code).toBe('webhook_not_found');
    expect(t.logs()).not.toContain(sub.secret.slice(6));
    expect(t.logs()).not.toContain(rotated.json().secret.slice(6));

    // The OpenAPI document has the routes.
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/webhooks', '/v1/webhooks/{id}/deliveries', '/v1/webhook-deliveries/{id}/replay']));
  });

  it('a team never sees another team’s subscriptions or deliveries (404)', async () => {
    const t = await buildTestApp({ webhooks: loopback });
    const sub = (await t.as('alpha', { method: 'POST', url: '/v1/webhooks', payload: { url: 'https://a.example.com/', events: ['intent.*'] } })).json();
    const ping = (await t.as('alpha', { method: 'POST', url: `/v1/webhooks/${sub.id}/test` })).json();
    for (const [method, url, payload] of [
      ['GET', `/v1/webhooks/${sub.id}`],
      ['PATCH', `/v1/webhooks/${sub.id}`, { enabled: false }],
      ['DELETE', `/v1/webhooks/${sub.id}`],
      ['POST', `/v1/webhooks/${sub.id}/test`],
      ['POST', `/v1/webhooks/${sub.id}/rotate-secret`],
      ['GET', `/v1/webhooks/${sub.id}/deliveries`],
      ['POST', `/v1/webhooks/${sub.id}/recover`, { since: new Date(0).toISOString() }],
      ['GET', `/v1/webhook-deliveries/${ping.id}`],
      ['POST', `/v1/webhook-deliveries/${ping.id}/replay`],
    ] as const) {
      const res = await t.as('beta', { method, url, ...(payload ? { payload } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await t.as('beta', { method: 'GET', url: '/v1/webhooks' })).json().items).toEqual([]);
    expect((await t.as('alpha', { method: 'GET', url: `/v1/webhooks/${sub.id}` })).json().enabled).toBe(true);
  });

  it('bad input is a 4xx problem and creates nothing', async () => {
    const t = await buildTestApp({ webhooks: { allowCidrs: [] } });
    const bad: [unknown, string][] = [
      [{ url: 'ftp://x.example.com/', events: ['intent.*'] }, 'validation_failed'],
      [{ url: 'not a url', events: ['intent.*'] }, 'validation_failed'],
      [{ url: 'https://x.example.com/', events: [] }, 'validation_failed'],
      [{ url: 'https://x.example.com/', events: ['intent.started'] }, 'validation_failed'],
      [{ url: 'https://x.example.com/', events: ['intent.*'], secret: 'mine' }, 'validation_failed'],
      [{ url: 'https://x.example.com/' }, 'validation_failed'],
      [{ url: 'http://169.254.169.254/latest', events: ['intent.*'] }, 'webhook_url_forbidden'],
      [{ url: 'http://10.0.0.5/hook', events: ['intent.*'] }, 'webhook_url_forbidden'],
      [{ url: 'http://localhost:8080/hook', events: ['intent.*'] }, 'webhook_url_forbidden'],
      [{ url: 'http://[::1]/hook', events: ['intent.*'] }, 'webhook_url_forbidden'],
    ];
    for (const [payload, code] of bad) {
      const res = await t.as('alpha', { method: 'POST', url: '/v1/webhooks', payload: payload as object });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe(code);
    }
    expect((await t.as('alpha', { method: 'GET', url: '/v1/webhooks' })).json().items).toEqual([]);
    expect((await t.app.inject({ method: 'GET', url: '/v1/webhooks' })).statusCode).toBe(401);

    const sub = (await t.as('alpha', { method: 'POST', url: '/v1/webhooks', payload: { url: 'https://x.example.com/', events: ['intent.*'] } })).json();
    expect((await t.as('alpha', { method: 'PATCH', url: `/v1/webhooks/${sub.id}`, payload: {} })).statusCode).toBe(400);
    expect((await t.as('alpha', { method: 'PATCH', url: `/v1/webhooks/${sub.id}`, payload: { url: 'http://192.168.1.1/' } })).json().code).toBe('webhook_url_forbidden');
    expect((await t.as('alpha', { method: 'POST', url: `/v1/webhooks/${sub.id}/recover`, payload: { since: 'yesterday' } })).statusCode).toBe(400);
    expect((await t.as('alpha', { method: 'GET', url: `/v1/webhooks/${sub.id}/deliveries?status=lost` })).statusCode).toBe(400);
    expect((await t.as('alpha', { method: 'POST', url: '/v1/webhook-deliveries/dlv_nope/replay' })).json().code).toBe('webhook_delivery_not_found');
    await t.as('alpha', { method: 'PATCH', url: `/v1/webhooks/${sub.id}`, payload: { enabled: false } });
    const disabled = await t.as('alpha', { method: 'POST', url: `/v1/webhooks/${sub.id}/test` });
    expect(disabled.statusCode).toBe(409);
    expect(disabled.json().code).toBe('webhook_disabled');
  });

  it('test pings through a real dispatcher; the log shows the attempt; rotation signs with both secrets', async () => {
    const t = await buildTestApp({ webhooks: loopback });
    const r = await withReceiver();
    startDispatcher(t);
    const sub = (await t.as('alpha', { method: 'POST', url: '/v1/webhooks', payload: { url: `${r.url}/hook`, events: ['intent.failed'] } })).json();
    const ping = await t.as('alpha', { method: 'POST', url: `/v1/webhooks/${sub.id}/test` });
    expect(ping.statusCode).toBe(202);
    expect(ping.json()).toMatchObject({ eventType: 'ping', status: 'pending', attempts: [] });
    const delivered = await waitForDelivery(t, 'alpha', ping.json().id, 'succeeded');
    expect(delivered.attempts).toHaveLength(1);
    expect(delivered.attempts[0]).toMatchObject({ responseStatus: 200, responseBody: 'ok' });
    const [got] = await r.waitFor(1);
    expect(got!.headers['webhook-id']).toBe(delivered.messageId);
    expect(new Webhook(sub.secret).verify(got!.body, got!.headers)).toMatchObject({ type: 'ping' });

    const rotated = (await t.as('alpha', { method: 'POST', url: `/v1/webhooks/${sub.id}/rotate-secret` })).json();
    const second = (await t.as('alpha', { method: 'POST', url: `/v1/webhooks/${sub.id}/test` })).json();
    await waitForDelivery(t, 'alpha', second.id, 'succeeded');
    const [, got2] = await r.waitFor(2);
    expect(new Webhook(sub.secret).verify(got2!.body, got2!.headers)).toBeTruthy();
    expect(new Webhook(rotated.secret).verify(got2!.body, got2!.headers)).toBeTruthy();

    const log = (await t.as('alpha', { method: 'GET', url: `/v1/webhooks/${sub.id}/deliveries?limit=1` })).json();
    expect(log.items).toHaveLength(1);
    expect(log.items[0].id).toBe(second.id);
    const page2 = (await t.as('alpha', { method: 'GET', url: `/v1/webhooks/${sub.id}/deliveries?limit=1&cursor=${log.nextCursor}` })).json();
    expect(page2.items.map((d: DeliveryView) => d.id)).toEqual([ping.json().id]);
    expect((await t.as('alpha', { method: 'GET', url: `/v1/webhooks/${sub.id}/deliveries?status=failed` })).json().items).toEqual([]);
    expect((await t.as('alpha', { method: 'GET', url: `/v1/webhooks/${sub.id}/deliveries?eventType=ping` })).json().items).toHaveLength(2);
    expect((await t.as('alpha', { method: 'GET', url: `/v1/webhooks/${sub.id}/deliveries?eventType=intent.failed` })).json().items).toHaveLength(0);
  });

  it('replay and recover re-send failed deliveries', async () => {
    const t = await buildTestApp({ webhooks: loopback });
    let up = false;
    const r = await withReceiver((_req, res) => void res.writeHead(up ? 200 : 503).end(up ? 'fine' : 'nope'));
    startDispatcher(t);
    const since = new Date(Date.now() - 1000).toISOString();
    const sub = (await t.as('alpha', { method: 'POST', url: '/v1/webhooks', payload: { url: r.url, events: ['intent.*'] } })).json();
    const a = (await t.as('alpha', { method: 'POST', url: `/v1/webhooks/${sub.id}/test` })).json();
    const b = (await t.as('alpha', { method: 'POST', url: `/v1/webhooks/${sub.id}/test` })).json();
    const failedA = await waitForDelivery(t, 'alpha', a.id, 'failed');
    await waitForDelivery(t, 'alpha', b.id, 'failed');
    expect(failedA.attempts.map((x) => x.responseStatus)).toEqual([503, 503]);
    expect((await t.as('alpha', { method: 'GET', url: `/v1/webhooks/${sub.id}/deliveries?status=failed` })).json().items).toHaveLength(2);
    up = true;

    const replay = await t.as('alpha', { method: 'POST', url: `/v1/webhook-deliveries/${a.id}/replay` });
    expect(replay.statusCode).toBe(202);
    expect(replay.json()).toMatchObject({ status: 'pending', replays: 1 });
    expect((await waitForDelivery(t, 'alpha', a.id, 'succeeded')).attempts).toHaveLength(3);

    const recover = await t.as('alpha', { method: 'POST', url: `/v1/webhooks/${sub.id}/recover`, payload: { since } });
    expect(recover.statusCode).toBe(202);
    expect(recover.json()).toEqual({ replayed: 1, deliveryIds: [b.id] });
    await waitForDelivery(t, 'alpha', b.id, 'succeeded');
    const ids = r.received.map((x) => x.headers['webhook-id']);
    expect(ids.filter((id) => id === a.messageId)).toHaveLength(3);
    for (const x of r.received) expect(new Webhook(sub.secret).verify(x.body, x.headers)).toBeTruthy();
  });

  it('a queued intent cancelled by the API reaches subscribers as intent.cancelled through the outbox, once', async () => {
    const t = await buildTestApp({ webhooks: loopback });
    const r = await withReceiver();
    const sub = (await t.as('alpha', { method: 'POST', url: '/v1/webhooks', payload: { url: `${r.url}/hook`, events: ['intent.cancelled'] } })).json();
    const intent = (await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate() })).json();
    const cancel = await t.as('alpha', { method: 'POST', url: `/v1/intents/${intent.id}/cancel` });
    expect(cancel.statusCode).toBe(200);
    expect(cancel.json()).toMatchObject({ id: intent.id, status: 'cancelled' });

    // The cancel wrote its event in the same script as the status: it is in the outbox
    // before any worker runs, and the API made no delivery of its own.
    const redis = t.redis.connect();
    const entries = (await redis.xrange(outboxKey(t.redis.prefix), '-', '+')).map(([id, fields]) => parseOutboxEntry(id, fields).event);
    expect(entries).toEqual([expect.objectContaining({ type: 'intent.finished', teamId: 'alpha', intentId: intent.id, status: 'cancelled' })]);
    expect((await t.as('alpha', { method: 'GET', url: `/v1/webhooks/${sub.id}/deliveries` })).json().items).toEqual([]);

    // A worker's relay (every worker runs one) sends it.
    const webhooks = await startWorkerWebhooks({
      connection: () => t.redis.connect(),
      redis,
      keyPrefix: t.redis.prefix,
      store: new IntentStore(redis, { prefix: t.redis.prefix }),
      secretBox: t.secretBox,
      logger: pino({ level: 'silent' }),
      settings: { ...DEFAULT_WEBHOOK_SETTINGS, ...loopback },
      relay: { blockMs: 200 },
    });
    onTestFinished(() => webhooks.close());
    const [got] = await r.waitFor(1);
    const payload = new Webhook(sub.secret).verify(got!.body, got!.headers) as { type: string; data: { id: string; status: string } };
    expect(payload).toMatchObject({ type: 'intent.cancelled', data: { id: intent.id, status: 'cancelled' } });
    const items = (await t.as('alpha', { method: 'GET', url: `/v1/webhooks/${sub.id}/deliveries` })).json<{ items: DeliveryView[] }>().items;
    expect(items).toHaveLength(1);
    await waitForDelivery(t, 'alpha', items[0]!.id, 'succeeded');
    expect(r.received).toHaveLength(1);
  });
});
