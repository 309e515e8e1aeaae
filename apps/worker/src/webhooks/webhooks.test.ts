import { DEFAULT_WEBHOOK_SETTINGS, DeliveryLog, SubscriptionStore } from '@neonops/webhooks';
import { startReceiver } from '@neonops/webhooks/test-receiver';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../logger.js';
import { startHarness } from '../test/harness.js';
import { startWorkerWebhooks } from './index.js';

interface Payload {
  type: string;
  timestamp: string;
  data: {
    id: string;
    status: string;
    result?: { branch: { id: string }; endpoints: { host: string }[] };
    secrets?: { connectionUris: { uri: string }[] };
    error?: { code: string };
  };
}

describe('worker webhooks', () => {
  it('an intent’s end reaches its team’s subscribers, signed; connection URIs only with include_secrets', async () => {
    const h = await startHarness();
    const r = await startReceiver();
    onTestFinished(() => r.close());
    const logs: string[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void logs.push(s) } as unknown as NodeJS.WritableStream });
    const webhooks = await startWorkerWebhooks({
      connection: () => h.redis.connect(),
      redis: h.redis.connect(),
      keyPrefix: h.redis.prefix,
      store: h.store,
      secretBox: h.box,
      logger,
      settings: { ...DEFAULT_WEBHOOK_SETTINGS, allowCidrs: ['127.0.0.1/32'], retryScheduleMs: [0, 10] },
    });
    onTestFinished(() => webhooks.close());
    const subs = new SubscriptionStore(h.redis.connect(), { prefix: h.redis.prefix, secretBox: h.box });
    const plain = await subs.create('team-a', { url: `${r.url}/plain`, events: ['intent.*'] });
    const secret = await subs.create('team-a', { url: `${r.url}/secrets`, events: ['intent.succeeded'], includeSecrets: true });
    await subs.create('team-b', { url: `${r.url}/other`, events: ['intent.*'] });
    h.startWorker();

    const { projectId } = await h.createProject();
    const id = await h.enqueue('branch.create', { projectId, name: 'hooked', endpoints: [{ type: 'read_write' }] });
    const record = await h.waitForTerminal(id);
    expect(record.status).toBe('succeeded');
    const got = await r.waitFor(2);
    const byPath = (p: string) => {
      const i = got.findIndex((g) => g.headers['webhook-id'] && (p === 'plain' ? !g.body.includes('connectionUris') : g.body.includes('connectionUris')));
      return got[i]!;
    };
    const plainPayload = new Webhook(plain.secret).verify(byPath('plain').body, byPath('plain').headers) as Payload;
    const secretPayload = new Webhook(secret.secret).verify(byPath('secrets').body, byPath('secrets').headers) as Payload;
    for (const p of [plainPayload, secretPayload]) {
      expect(p.type).toBe('intent.succeeded');
      expect(p.data.id).toBe(id);
      expect(p.data.result?.branch.id).toBeDefined();
      expect(p.data.result?.endpoints[0]?.host).toMatch(/\./);
      expect(p.timestamp).toBe(record.finishedAt);
    }
    expect(plainPayload.data.secrets).toBeUndefined();
    const uri = secretPayload.data.secrets?.connectionUris[0]?.uri ?? '';
    expect(uri).toMatch(/^postgres(ql)?:\/\/[^:]+:[^@]+@/);
    const password = decodeURIComponent(new URL(uri).password);
    expect(got.filter((g) => g.body.includes(password))).toHaveLength(1);

    // A failed intent: intent.failed reaches only the intent.* subscription.
    const failedId = await h.enqueue('branch.create', { projectId: 'no-such-project-1', name: 'nope' });
    expect((await h.waitForTerminal(failedId)).status).toBe('failed');
    const third = (await r.waitFor(3)).find((g) => g.body.includes(failedId));
    const failed = new Webhook(plain.secret).verify(third!.body, third!.headers) as Payload;
    expect(failed).toMatchObject({ type: 'intent.failed', data: { id: failedId, status: 'failed' } });
    expect(failed.data.error?.code).toBeDefined();
    expect(r.received).toHaveLength(3);

    const allLogs = logs.join('') + h.logs.join('');
    expect(allLogs).toContain('webhook delivered');
    expect(allLogs).not.toContain(password);
    expect(allLogs).not.toContain(plain.secret.slice(6));
    expect(allLogs).not.toContain(secret.secret.slice(6));
  });

  it('every way an intent ends reaches subscribers through the outbox, once each, even with the relay down meanwhile', async () => {
    const h = await startHarness();
    const r = await startReceiver();
    onTestFinished(() => r.close());
    const settings = { ...DEFAULT_WEBHOOK_SETTINGS, allowCidrs: ['127.0.0.1/32'], retryScheduleMs: [0, 10] };
    const start = () =>
      startWorkerWebhooks({
        connection: () => h.redis.connect(),
        redis: h.redis.connect(),
        keyPrefix: h.redis.prefix,
        store: h.store,
        secretBox: h.box,
        logger: createLogger({ level: 'silent' }),
        settings,
        relay: { blockMs: 200, reclaimIdleMs: 500 },
      });
    const subs = new SubscriptionStore(h.redis.connect(), { prefix: h.redis.prefix, secretBox: h.box });
    const secrets = await Promise.all(Array.from({ length: 3 }, (_, i) => subs.create('team-a', { url: `${r.url}/s${i}`, events: ['intent.*'] })));

    // Intents end while no relay runs (every worker down): the events wait in the outbox.
    const succeeded = await h.enqueue('branch.delete', { projectId: 'p-1', branchId: 'br-1' });
    await h.store.finish(succeeded, 'succeeded', { result: { branchId: 'br-1', deleted: true } });
    const cancelled = await h.enqueue('branch.delete', { projectId: 'p-1', branchId: 'br-2' });
    await h.store.finish(cancelled, 'cancelled', { error: { code: 'cancelled', message: 'Cancelled before it started' } });
    const lost = await h.enqueue('branch.delete', { projectId: 'p-1', branchId: 'br-3' });
    await h.store.finish(lost, 'failed', { error: { code: 'worker_lost', message: 'gone' } });

    const webhooks = await start();
    onTestFinished(() => webhooks.close());
    const got = await r.waitFor(9);
    // Which subscription got each request: the one whose secret verifies its signature.
    const seen = got.map((g) => {
      const i = secrets.findIndex((sub) => {
        try {
          new Webhook(sub.secret).verify(g.body, g.headers);
          return true;
        } catch {
          return false;
        }
      });
      const p = JSON.parse(g.body) as Payload;
      return `s${i} ${p.data.id} ${p.type}`;
    });
    for (const [id, type] of [
      [succeeded, 'intent.succeeded'],
      [cancelled, 'intent.cancelled'],
      [lost, 'intent.failed'],
    ] as const) {
      for (const sub of ['s0', 's1', 's2']) expect(seen).toContain(`${sub} ${id} ${type}`);
    }
    expect(new Set(seen).size).toBe(9);
    const pending = await h.redis.connect().xpending(h.store.outboxKey, 'webhooks');
    expect(pending[0]).toBe(0);
    // The relay read the three events at once: each subscription's deliveries shared one job.
    const log = new DeliveryLog(h.redis.connect(), { prefix: h.redis.prefix });
    for (const { subscription } of secrets) {
      const { items } = await log.list(subscription.id);
      expect(items).toHaveLength(3);
      expect(new Set(items.map((d) => d.jobId)).size).toBe(1);
      expect(items[0]?.jobId).toMatch(/^bat_/);
    }
  });
});
