import { corePrefix, type IntentRecord, IntentStore, queuedIntentRecord, type ResealReport, SecretBox, secretContext, SourceStore } from '@neonops/intents';
import { useTestRedis, waitUntil } from '@neonops/testing';
import { SubscriptionStore } from '@neonops/webhooks';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../logger.js';
import { startMaintenance } from './index.js';

function record(): IntentRecord {
  return queuedIntentRecord({ teamId: 'team-a', kind: 'branch.create', params: { projectId: 'p-1' } });
}

describe('the re-seal job', () => {
  it('rotate SECRETS_KEY, the job runs once at start, drop the old key: intent, webhook and source secrets all still open', async () => {
    const redis = useTestRedis('reseal-job');
    const client = redis.connect();
    const prefix = redis.prefix;
    const logger = createLogger({ level: 'silent' });
    const oldKey = SecretBox.generateKey();
    const oldBox = new SecretBox(oldKey);

    // Data sealed under the old key by every store that seals something.
    const intents = new IntentStore(client, { prefix });
    const intent = record();
    await intents.create(intent);
    await intents.putSecrets(intent.id, oldBox.seal({ password: 'pw-1' }, secretContext.intent(intent.id)));
    const { subscription, secret: signing } = await new SubscriptionStore(client, { prefix, secretBox: oldBox }).create('team-a', {
      url: 'https://hooks.example.com/x',
      events: ['intent.*'],
    });
    const source = await new SourceStore(client, { prefix, secretBox: oldBox }).create('team-a', { kind: 'standard-webhooks' });
    expect(source).toBeDefined();

    // The new deployment: SECRETS_KEY=new, SECRETS_KEYS_PREVIOUS=old.
    const newKey = SecretBox.generateKey();
    const reports: ResealReport[] = [];
    const maintenance = await startMaintenance({
      connection: () => redis.connect({ maxRetriesPerRequest: null }),
      redis: client,
      keyPrefix: prefix,
      store: intents,
      logger,
      sweepIntervalMs: 3_600_000,
      secretBox: new SecretBox(newKey, [oldKey]),
      onReseal: (report) => reports.push(report),
    });
    onTestFinished(() => maintenance.close());
    await waitUntil(() => reports.length >= 1, { what: 'the re-seal job ran at start' });
    expect(reports[0]).toEqual({ seen: 3, resealed: 3, current: 0, changed: 0, unopenable: [] });

    // The old key dropped: everything opens with the new key alone.
    const only = new SecretBox(newKey);
    expect(only.open((await intents.getSecrets(intent.id)) ?? '', secretContext.intent(intent.id))).toEqual({ password: 'pw-1' });
    expect(await new SubscriptionStore(client, { prefix, secretBox: only }).signingSecrets(subscription.id)).toEqual([signing]);
    const sources = new SourceStore(client, { prefix, secretBox: only });
    const stored = await sources.get(source?.source.id ?? '');
    expect(stored && sources.secretOf(stored)).toBe(source?.secret);

    // Run again (the schedule, another worker): idempotent.
    expect(await maintenance.resealNow()).toEqual({ seen: 3, resealed: 0, current: 3, changed: 0, unopenable: [] });
  });

  it('a signing secret moved to another subscription does not open there', async () => {
    const redis = useTestRedis('reseal-move');
    const client = redis.connect();
    const box = new SecretBox(SecretBox.generateKey());
    const store = new SubscriptionStore(client, { prefix: redis.prefix, secretBox: box });
    const a = await store.create('team-a', { url: 'https://hooks.example.com/a', events: ['intent.*'] });
    const b = await store.create('team-a', { url: 'https://hooks.example.com/b', events: ['intent.*'] });
    const sealedA = await client.hget(`${corePrefix(redis.prefix)}webhook:sub:${a.subscription.id}`, 'sealedSecrets');
    await client.hset(`${corePrefix(redis.prefix)}webhook:sub:${b.subscription.id}`, 'sealedSecrets', sealedA ?? '');
    await expect(store.signingSecrets(b.subscription.id)).rejects.toThrow(/could not be opened/);
    expect(await store.signingSecrets(a.subscription.id)).toEqual([a.secret]);
  });
});
