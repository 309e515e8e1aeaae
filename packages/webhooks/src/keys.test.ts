import { corePrefix, scanKeys } from '@neonops/intents';
import { keysWithoutTtl } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DeliveryLog } from './delivery-log.js';
import { messageIdFor } from './ids.js';
import type { DeliveryRecord } from './schemas.js';
import { useHarness } from './test/harness.js';
import { startReceiver } from './test/receiver.js';

function record(id: string, at: Date): DeliveryRecord {
  return {
    id,
    subscriptionId: 'wh_bounded',
    teamId: 't',
    eventType: 'ping',
    messageId: messageIdFor(id),
    eventTimestamp: at.toISOString(),
    status: 'pending',
    replays: 0,
    jobId: id,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
  };
}

describe('keys on a diet', () => {
  it('after deliveries, retries, a replay, a ping and a delete, only documented keys lack a TTL, and nothing of the deleted subscription is left', async () => {
    const h = useHarness();
    let calls = 0;
    const r = await startReceiver((_req, res) => void res.writeHead(++calls <= 2 ? 500 : 200).end());
    onTestFinished(() => r.close());
    const gone = (await h.subscriptions.create('t', { url: `${r.url}/gone`, events: ['intent.*'] })).subscription;
    const kept = (await h.subscriptions.create('t', { url: `${r.url}/kept`, events: ['intent.succeeded'] })).subscription;
    h.startDispatcher({ retryScheduleMs: [0, 10, 10] });

    const intent = await h.finishedIntent('t', 'succeeded');
    const made = await h.publisher.publishIntentEnd({ teamId: 't', intentId: intent.id, status: 'succeeded', at: new Date(intent.finishedAt!) });
    const ping = await h.publisher.ping(gone);
    for (const d of [...made, ping]) await h.waitForDelivery(d.id, (x) => x.status === 'succeeded');
    const { delivery: replayed } = await h.publisher.replay((await h.deliveries.get(ping.id))!);
    await h.waitForDelivery(replayed.id, (x) => x.status === 'succeeded' && x.replays === 1);
    const goneDeliveries = [...made, ping].filter((d) => d.subscriptionId === gone.id).map((d) => d.id);
    expect(goneDeliveries).toHaveLength(2);

    expect(await h.subscriptions.delete('t', gone.id)).toBe(true);

    const untimed = await keysWithoutTtl(h.redis, h.prefix);
    const own = untimed.filter((k) => k.startsWith(`${corePrefix(h.prefix)}webhook:`));
    // A subscription lives until it is deleted; a team's index holds one entry per subscription.
    expect(own).toEqual([`${corePrefix(h.prefix)}webhook:sub:${kept.id}`, `${corePrefix(h.prefix)}webhook:team:t`].sort());
    // The queue's keys are BullMQ's, bounded by removeOnComplete/removeOnFail (see the README).
    expect(untimed.filter((k) => k.startsWith(`${corePrefix(h.prefix)}bull:`)).every((k) => k.startsWith(`${corePrefix(h.prefix)}bull:webhooks:`))).toBe(true);
    // (Other keys under the prefix, intent records and the outbox, are the intents package's.)

    const all: string[] = [];
    for await (const batch of scanKeys(h.redis, `${corePrefix(h.prefix)}webhook:*`)) all.push(...batch);
    for (const needle of [gone.id, ...goneDeliveries]) expect(all.filter((k) => k.includes(needle))).toEqual([]);
    expect(await h.redis.zrange(`${corePrefix(h.prefix)}webhook:team:t`, 0, -1)).toEqual([kept.id]);
  });

  it('a subscription’s delivery log keeps the newest deliveries up to its bound, and a delivery its newest attempts', async () => {
    const h = useHarness();
    const log = new DeliveryLog(h.redis, { prefix: h.prefix, maxDeliveriesPerSubscription: 3, maxAttemptsPerDelivery: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i));
      const id = `dlv_${at.getTime().toString(36).padStart(9, '0')}${String(i).padStart(20, '0')}`;
      ids.push(id);
      expect(await log.create(record(id, at))).toBe(true);
      await log.recordAttempt(record(id, at), { at: at.toISOString(), latencyMs: 1, responseStatus: 500 }, { status: 'pending', nextAttemptAt: at }, { jobId: id });
    }
    expect((await log.list('wh_bounded')).items.map((d) => d.id)).toEqual(ids.slice(2).reverse());
    for (const id of ids.slice(0, 2)) expect(await h.redis.exists(`${corePrefix(h.prefix)}webhook:dlv:${id}`, `${corePrefix(h.prefix)}webhook:dlv:${id}:attempts`)).toBe(0);

    const last = record(ids[4]!, new Date());
    for (const status of [501, 502, 503]) await log.recordAttempt(last, { at: new Date().toISOString(), latencyMs: 1, responseStatus: status }, { status: 'pending', nextAttemptAt: new Date() }, { jobId: last.id });
    expect((await log.attempts(last.id)).map((a) => a.responseStatus)).toEqual([502, 503]);
    expect(await keysWithoutTtl(h.redis, `${corePrefix(h.prefix)}webhook:`)).toEqual([]);
  });

  it('an index entry whose delivery expired is pruned by the next write', async () => {
    const h = useHarness();
    const log = new DeliveryLog(h.redis, { prefix: h.prefix });
    const old = record('dlv_000000001old', new Date(1000));
    await log.create(old);
    await h.redis.del(`${corePrefix(h.prefix)}webhook:dlv:${old.id}`); // what its TTL does after the retention
    await log.create(record('dlv_000000002new', new Date(2000)));
    expect(await h.redis.zrange(`${corePrefix(h.prefix)}webhook:sub:wh_bounded:dlv`, 0, -1)).toEqual(['dlv_000000002new']);
  });
});
