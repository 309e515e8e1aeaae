import { IntentStore } from '@neonops/intents';
import { waitUntil } from '@neonops/testing';
import { createWebhookDispatcher, DeliveryLog, SubscriptionStore, type DeliveryView } from '@neonops/webhooks';
import { startReceiver } from '@neonops/webhooks/test-receiver';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helper.js';

const loopback = { allowCidrs: ['127.0.0.1/32'], retryScheduleMs: [0, 10] };

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

async function waitForDelivery(t: TestApp, id: string, status: string): Promise<DeliveryView> {
  return waitUntil(
    async () => {
      const res = await t.as('alpha', { method: 'GET', url: `/v1/webhook-deliveries/${id}` });
      return res.json().status === status ? (res.json() as DeliveryView) : undefined;
    },
    { what: `delivery ${id} ${status}` },
  );
}

describe('webhook receiver URLs', () => {
  it('refuses a user name or password in the URL (400 naming url), on create and update, and stores nothing', async () => {
    const t = await buildTestApp({ webhooks: loopback });
    for (const url of ['https://user:hunter2@hooks.example.com/x', 'https://user@hooks.example.com/x', 'https://:hunter2@hooks.example.com/x']) {
      const res = await t.as('alpha', { method: 'POST', url: '/v1/webhooks', payload: { url, events: ['intent.*'] } });
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('validation_failed');
      expect(res.body).toMatch(/url/);
      expect(res.body).not.toContain('hunter2');
    }
    expect((await t.as('alpha', { method: 'GET', url: '/v1/webhooks' })).json().items).toEqual([]);
    const sub = (await t.as('alpha', { method: 'POST', url: '/v1/webhooks', payload: { url: 'https://hooks.example.com/x', events: ['intent.*'] } })).json();
    const patched = await t.as('alpha', { method: 'PATCH', url: `/v1/webhooks/${sub.id}`, payload: { url: 'https://u:p@hooks.example.com/y' } });
    expect(patched.statusCode).toBe(400);
    expect((await t.as('alpha', { method: 'GET', url: `/v1/webhooks/${sub.id}` })).json().url).toBe('https://hooks.example.com/x');
  });

  it.each(['[::a9fe:a9fe]', '[::ffff:0:a9fe:a9fe]', '[2002:a9fe:a9fe::1]', '[::7f00:1]', '[64:ff9b::a9fe:a9fe]', '[2001:0:a9fe:a9fe::1]'])(
    'refuses the IPv4-embedding literal %s at subscribe time, even with loopback allowlisted',
    async (host) => {
      const t = await buildTestApp({ webhooks: loopback });
      const res = await t.as('alpha', { method: 'POST', url: '/v1/webhooks', payload: { url: `http://${host}/hook`, events: ['intent.*'] } });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('webhook_url_forbidden');
      expect((await t.as('alpha', { method: 'GET', url: '/v1/webhooks' })).json().items).toEqual([]);
    },
  );

  it('include_secrets only to https receivers (an allowlisted loopback receiver excepted), on create and on a URL change', async () => {
    const t = await buildTestApp({ webhooks: loopback });
    const create = (url: string) => t.as('alpha', { method: 'POST', url: '/v1/webhooks', payload: { url, events: ['intent.*'], include_secrets: true } });
    const refused = await create('http://hooks.example.com/x');
    expect(refused.statusCode).toBe(400);
    expect(refused.json().code).toBe('webhook_url_forbidden');
    expect(refused.json().detail).toMatch(/https/);
    expect((await t.as('alpha', { method: 'GET', url: '/v1/webhooks' })).json().items).toEqual([]);
    // Without include_secrets, the same http receiver is fine.
    expect((await t.as('alpha', { method: 'POST', url: '/v1/webhooks', payload: { url: 'http://hooks.example.com/x', events: ['intent.*'] } })).statusCode).toBe(201);
    const secure = await create('https://hooks.example.com/x');
    expect(secure.statusCode).toBe(201);
    expect((await create('http://127.0.0.1:9/x')).statusCode).toBe(201);
    // A loopback receiver that is not allowlisted stays refused.
    expect((await create('http://127.0.0.2:9/x')).statusCode).toBe(400);
    const moved = await t.as('alpha', { method: 'PATCH', url: `/v1/webhooks/${secure.json().id}`, payload: { url: 'http://hooks.example.com/y' } });
    expect(moved.statusCode).toBe(400);
    expect(moved.json().code).toBe('webhook_url_forbidden');
    expect((await t.as('alpha', { method: 'GET', url: `/v1/webhooks/${secure.json().id}` })).json().url).toBe('https://hooks.example.com/x');
  });

  it('a subscription stored with a password before the rule: never shown with it, never sent as Basic auth', async () => {
    const t = await buildTestApp({ webhooks: loopback });
    const r = await startReceiver();
    onTestFinished(() => r.close());
    startDispatcher(t);
    const store = new SubscriptionStore(t.redis.connect(), { prefix: t.redis.prefix, secretBox: t.secretBox });
    const { subscription } = await store.create('alpha', { url: `http://alice:hunter2@127.0.0.1:${r.port}/hook`, events: ['intent.*'] });
    const one = await t.as('alpha', { method: 'GET', url: `/v1/webhooks/${subscription.id}` });
    expect(one.json().url).toBe(`http://127.0.0.1:${r.port}/hook`);
    const list = await t.as('alpha', { method: 'GET', url: '/v1/webhooks' });
    expect(list.body).not.toContain('hunter2');
    expect(list.body).not.toContain('alice');
    const ping = (await t.as('alpha', { method: 'POST', url: `/v1/webhooks/${subscription.id}/test` })).json();
    expect(ping.eventType).toBe('ping');
    await waitForDelivery(t, ping.id, 'succeeded');
    const [got] = await r.waitFor(1);
    expect(got?.headers.authorization).toBeUndefined();
  });

  it('an include_secrets subscription stored with a plain-http receiver: its delivery fails (insecure_receiver) without being sent', async () => {
    const t = await buildTestApp({ webhooks: { ...loopback, allowHosts: ['hooks.example.com'] } });
    startDispatcher(t);
    const store = new SubscriptionStore(t.redis.connect(), { prefix: t.redis.prefix, secretBox: t.secretBox });
    const { subscription } = await store.create('alpha', { url: 'http://hooks.example.com/hook', events: ['intent.*'], includeSecrets: true });
    const ping = (await t.as('alpha', { method: 'POST', url: `/v1/webhooks/${subscription.id}/test` })).json();
    const failed = await waitForDelivery(t, ping.id, 'failed');
    expect(failed.attempts).toHaveLength(1);
    expect(failed.attempts[0]).toMatchObject({ latencyMs: 0, error: { code: 'insecure_receiver' } });
    expect(failed.attempts[0]?.responseStatus).toBeUndefined();
  });
});
