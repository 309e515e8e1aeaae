import { useTestRedis, waitUntil } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { OutboxConsumer } from './consumer.js';
import { outboxKey, type OutboxEvent } from './outbox.js';
import { trimOutbox } from './trim.js';

/** The intent of an `intent.finished` event (the only type these tests write). */
const idOf = (e: OutboxEvent): string => (e.type === 'intent.finished' ? e.intentId : e.type);

const silent = { warn: () => undefined, error: () => undefined };

function event(intentId: string): string[] {
  return ['type', 'intent.finished', 'intentId', intentId, 'teamId', 'team-a', 'kind', 'branch.create', 'status', 'succeeded', 'at', '2026-11-29T00:00:00.000Z'];
}

function setup() {
  const redis = useTestRedis('outbox');
  const client = redis.connect();
  const key = outboxKey(redis.prefix);
  const consumers: OutboxConsumer[] = [];
  const consume = (handle: (e: OutboxEvent, id: string) => Promise<void>, options: { reclaimIdleMs?: number; group?: string } = {}) => {
    const consumer = new OutboxConsumer({
      blocking: redis.connect(),
      redis: client,
      key,
      group: options.group ?? 'webhooks',
      handle,
      blockMs: 200,
      reclaimIdleMs: options.reclaimIdleMs ?? 300,
      closeTimeoutMs: 200,
      logger: silent,
    });
    consumers.push(consumer);
    return consumer;
  };
  return { client, key, consume, closeAll: () => Promise.all(consumers.map((c) => c.close())) };
}

describe('OutboxConsumer', () => {
  it('hands every event to its group once, in order, and acknowledges it', async () => {
    const { client, key, consume, closeAll } = setup();
    await client.xadd(key, '*', ...event('int_before')); // written before the group existed
    const seen: string[] = [];
    const history: string[] = [];
    await consume(async (e) => void seen.push(idOf(e))).start();
    await consume(async (e) => void history.push(idOf(e)), { group: 'history' }).start();
    for (let i = 0; i < 20; i++) await client.xadd(key, '*', ...event(`int_${i}`));
    await waitUntil(() => seen.length === 21 && history.length === 21);
    await closeAll();
    expect(seen).toEqual(['int_before', ...Array.from({ length: 20 }, (_, i) => `int_${i}`)]);
    expect(history).toEqual(seen);
    expect((await client.xpending(key, 'webhooks'))[0]).toBe(0);
  });

  it('retries an event whose handling failed, and another process takes over a dead one’s events', async () => {
    const { client, key, consume, closeAll } = setup();
    let failures = 0;
    const handled: string[] = [];
    const flaky = consume(async (e) => {
      if (failures++ < 2) throw new Error('receiver store down');
      handled.push(idOf(e));
    });
    await flaky.start();
    await client.xadd(key, '*', ...event('int_a'));
    await waitUntil(() => handled.length === 1);
    expect(handled).toEqual(['int_a']);
    await flaky.close();

    // A consumer that takes an event and dies before acknowledging it (never resolves).
    const dead = consume(() => new Promise<void>(() => undefined));
    await dead.start();
    await client.xadd(key, '*', ...event('int_b'));
    await waitUntil(async () => (await client.xpending(key, 'webhooks'))[0] === 1);
    const survivor: string[] = [];
    await consume(async (e) => void survivor.push(idOf(e))).start();
    await waitUntil(() => survivor.length === 1);
    expect(survivor).toEqual(['int_b']);
    await waitUntil(async () => (await client.xpending(key, 'webhooks'))[0] === 0);
    // The dead one's handler never returns: closing it still ends (its event is already taken over).
    await closeAll();
  });

  it('trims the stream to what every group still needs', async () => {
    const { client, key, consume, closeAll } = setup();
    expect(await trimOutbox(client, key)).toBe(0); // no stream
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await client.xadd(key, '*', ...event(`int_${i}`))) as string);
    expect(await trimOutbox(client, key)).toBe(0); // no group yet: kept for the first consumer
    const seen: string[] = [];
    await consume(async (e) => void seen.push(idOf(e))).start();
    await waitUntil(() => seen.length === 10);
    // A second group that has read only half (its reader stopped): the first half may go, no more.
    await client.xgroup('CREATE', key, 'history', ids[4]!);
    await trimOutbox(client, key);
    expect((await client.xrange(key, '-', '+')).map(([id]) => id)).toEqual(ids.slice(4));
    await closeAll();
  });
});
