import { DEFAULT_WEBHOOK_SETTINGS, SubscriptionStore } from '@neonops/webhooks';
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
    const webhooks = startWorkerWebhooks({
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
    h.startWorker({ hooks: { onFinished: webhooks.onFinished } });

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
    const [, , third] = await r.waitFor(3);
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

  it('an intent finished without its event (its worker died in between): the rerun job publishes it', async () => {
    const h = await startHarness();
    const r = await startReceiver();
    onTestFinished(() => r.close());
    const webhooks = startWorkerWebhooks({
      connection: () => h.redis.connect(),
      redis: h.redis.connect(),
      keyPrefix: h.redis.prefix,
      store: h.store,
      secretBox: h.box,
      logger: createLogger({ level: 'silent' }),
      settings: { ...DEFAULT_WEBHOOK_SETTINGS, allowCidrs: ['127.0.0.1/32'] },
    });
    onTestFinished(() => webhooks.close());
    const subs = new SubscriptionStore(h.redis.connect(), { prefix: h.redis.prefix, secretBox: h.box });
    const { secret } = await subs.create('team-a', { url: r.url, events: ['intent.*'] });
    // The state a crash leaves: the intent is finished, no event was published, its job is still there.
    const id = await h.enqueue('branch.delete', { projectId: 'p-1', branchId: 'br-1' });
    await h.store.finish(id, 'succeeded', { result: { branchId: 'br-1', deleted: true } });
    const { worker } = h.startWorker();
    webhooks.watch(worker.worker);
    const [got] = await r.waitFor(1);
    const payload = new Webhook(secret).verify(got!.body, got!.headers) as Payload;
    expect(payload).toMatchObject({ type: 'intent.succeeded', data: { id, status: 'succeeded' } });
  });
});
