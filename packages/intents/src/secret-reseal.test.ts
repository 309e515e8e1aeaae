import { corePrefix } from './keyspace.js';
import { createCipheriv, randomBytes } from 'node:crypto';
import { useTestRedis } from '@neonops/testing';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { queuedIntentRecord, type IntentRecord } from './record.js';
import { SecretBox, secretContext, SecretOpenError } from './secret-box.js';
import { intentSecretsTarget, resealSecrets, sourceSecretsTarget } from './secret-reseal.js';
import { SourceStore } from './sources/source-store.js';
import { IntentStore } from './store.js';

function sealV1(key: string, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key, 'base64'), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

function newRecord(teamId: string): IntentRecord {
  return queuedIntentRecord({ teamId, kind: 'branch.create', params: { projectId: 'p-1' } });
}

function setup() {
  const redis = useTestRedis('reseal');
  const client = redis.connect();
  return { client, prefix: redis.prefix, store: new IntentStore(client, { prefix: redis.prefix, retentionSeconds: 3600 }) };
}

describe('resealSecrets', () => {
  it('rotate the key, run the job, drop the old key: every intent and source secret still opens, TTLs kept; a second run changes nothing', async () => {
    const { client, prefix, store } = setup();
    const oldKey = SecretBox.generateKey();
    const oldBox = new SecretBox(oldKey);
    const sources = (box: SecretBox) => new SourceStore(client, { prefix, secretBox: box });

    // An unfinished intent (no TTL), a finished one (TTL), and one sealed in the old v1 format.
    const running = newRecord('team-a');
    const finished = newRecord('team-a');
    const legacy = newRecord('team-b');
    for (const r of [running, finished, legacy]) await store.create(r);
    await store.putSecrets(running.id, oldBox.seal({ password: 'running-pw' }, secretContext.intent(running.id)));
    await store.putSecrets(finished.id, oldBox.seal({ password: 'finished-pw' }, secretContext.intent(finished.id)));
    await store.putSecrets(legacy.id, sealV1(oldKey, { password: 'legacy-pw' }));
    await store.finish(finished.id, 'succeeded', { result: {} });
    const ttlBefore = await client.ttl(`${corePrefix(prefix)}intent:${finished.id}:secrets`);
    expect(ttlBefore).toBeGreaterThan(0);
    const created = await sources(oldBox).create('team-a', { kind: 'standard-webhooks' });
    expect(created).toBeDefined();

    const newKey = SecretBox.generateKey();
    const rotated = new SecretBox(newKey, [oldKey]);
    const report = await resealSecrets({ redis: client, secretBox: rotated, targets: [intentSecretsTarget(prefix), sourceSecretsTarget(prefix)] });
    expect(report).toEqual({ seen: 4, resealed: 4, current: 0, changed: 0, unopenable: [] });

    const only = new SecretBox(newKey);
    const open = async (r: IntentRecord) => only.open((await store.getSecrets(r.id)) ?? '', secretContext.intent(r.id));
    expect(await open(running)).toEqual({ password: 'running-pw' });
    expect(await open(finished)).toEqual({ password: 'finished-pw' });
    expect(await open(legacy)).toEqual({ password: 'legacy-pw' });
    expect(await client.ttl(`${corePrefix(prefix)}intent:${running.id}:secrets`)).toBe(-1);
    const ttlAfter = await client.ttl(`${corePrefix(prefix)}intent:${finished.id}:secrets`);
    expect(ttlAfter).toBeGreaterThan(0);
    expect(ttlAfter).toBeLessThanOrEqual(ttlBefore);
    const source = await sources(only).get(created?.source.id ?? '');
    expect(source && sources(only).secretOf(source)).toBe(created?.secret);
    // The old key alone no longer opens anything: nothing was left behind.
    expect(() => oldBox.open(source?.sealedSecret ?? '', secretContext.source(created?.source.id ?? ''))).toThrow(SecretOpenError);

    expect(await resealSecrets({ redis: client, secretBox: rotated, targets: [intentSecretsTarget(prefix), sourceSecretsTarget(prefix)] })).toEqual({
      seen: 4,
      resealed: 0,
      current: 4,
      changed: 0,
      unopenable: [],
    });
  });

  it('a moved ciphertext fails to open after re-sealing too, and a value no key opens is left alone and reported by key', async () => {
    const { client, prefix, store } = setup();
    const key = SecretBox.generateKey();
    const a = newRecord('team-a');
    const b = newRecord('team-a');
    await store.create(a);
    await store.create(b);
    const sealedForA = new SecretBox(key).seal({ password: 'a' }, secretContext.intent(a.id));
    // Copied onto b: the re-seal job cannot open it for b, and leaves it as it is.
    await store.putSecrets(b.id, sealedForA);
    await store.putSecrets(a.id, sealedForA);
    const rotated = new SecretBox(SecretBox.generateKey(), [key]);
    const report = await resealSecrets({ redis: client, secretBox: rotated, targets: [intentSecretsTarget(prefix)] });
    expect(report.resealed).toBe(1);
    expect(report.unopenable).toEqual([`${corePrefix(prefix)}intent:${b.id}:secrets`]);
    expect(await store.getSecrets(b.id)).toBe(sealedForA);
    expect(() => rotated.open(sealedForA, secretContext.intent(b.id))).toThrow(SecretOpenError);
  });

  it('never overwrites a value written between its read and its write (compare-and-set)', async () => {
    const { client, prefix, store } = setup();
    const oldKey = SecretBox.generateKey();
    const rotated = new SecretBox(SecretBox.generateKey(), [oldKey]);
    const r = newRecord('team-a');
    await store.create(r);
    const secretsKey = `${corePrefix(prefix)}intent:${r.id}:secrets`;
    await store.putSecrets(r.id, new SecretBox(oldKey).seal({ password: 'old' }, secretContext.intent(r.id)));
    const fresh = rotated.seal({ password: 'new' }, secretContext.intent(r.id));
    // Fault injection on a real connection: right after the job reads the value, another
    // writer (the worker storing new secrets) replaces it.
    const writer = client.duplicate();
    const racing = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop === 'get') {
          return async (key: string) => {
            const value = await target.get(key);
            if (key === secretsKey) await writer.set(secretsKey, fresh);
            return value;
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as Redis;
    try {
      const report = await resealSecrets({ redis: racing, secretBox: rotated, targets: [intentSecretsTarget(prefix)] });
      expect(report).toMatchObject({ seen: 1, resealed: 0, changed: 1 });
      expect(await client.get(secretsKey)).toBe(fresh);
    } finally {
      writer.disconnect();
    }
  });
});
