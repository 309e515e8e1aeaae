import { queuedIntentRecord, type IntentRecord } from '@neonops/intents';
import { describe, expect, it } from 'vitest';
import { buildBody } from './payload.js';
import type { DeliveryRecord, SubscriptionRecord } from './schemas.js';
import { useHarness, type Harness } from './test/harness.js';

/** An intent as the worker leaves one: steps patched as it went (keys in its own order), resources, undo, then its end. */
async function workedIntent(h: Harness, end: 'succeeded' | 'failed'): Promise<IntentRecord> {
  const record = queuedIntentRecord({ teamId: 'payments', kind: 'branch.create', params: { projectId: 'proud-sun-123456', endpoints: [{ type: 'read_write' }] } });
  await h.intents.create(record);
  await h.intents.update(record.id, {
    status: 'running',
    startedAt: new Date().toISOString(),
    steps: [{ attempts: 1, status: 'succeeded', name: 'create_branch', neonRequestIds: ['req-1'] }],
    operationIds: ['op-1', 'op-2'],
    resources: [{ type: 'branch', projectId: 'proud-sun-123456', branchId: 'br-1' }],
  });
  await h.intents.finish(
    record.id,
    end,
    end === 'succeeded'
      ? { result: { branch: { id: 'br-1', name: 'b', parent_id: null }, endpoints: [{ id: 'ep-1', host: 'ep-1.neon.tech' }], note: 'ünïcode "quoted" \\ <tag>' } }
      : { error: { code: 'neon_operation_failed', message: 'boom', neonStatus: 500 }, undo: { status: 'done', after: 'failed', note: 'Deleted branch br-1.' } },
  );
  const finished = await h.intents.get(record.id);
  if (!finished) throw new Error('intent vanished');
  return finished;
}

function deliveryOf(intent: IntentRecord, subscription: SubscriptionRecord): DeliveryRecord {
  const at = intent.finishedAt ?? new Date().toISOString();
  return {
    id: `dlv_${intent.id}`,
    subscriptionId: subscription.id,
    teamId: intent.teamId,
    eventType: `intent.${intent.status}` as DeliveryRecord['eventType'],
    messageId: `msg_${intent.id}`,
    intentId: intent.id,
    eventTimestamp: at,
    status: 'pending',
    nextAttemptAt: at,
    replays: 0,
    createdAt: at,
    updatedAt: at,
  };
}

describe('buildBody', () => {
  it('writes an intent delivery from the stored fields as the JSON of the parsed record: same properties, order and values', async () => {
    const h = useHarness();
    const { subscription } = await h.subscriptions.create('payments', { url: 'http://127.0.0.1:9/hook', events: ['intent.*'] });
    for (const end of ['succeeded', 'failed'] as const) {
      const intent = await workedIntent(h, end);
      const delivery = deliveryOf(intent, subscription);
      const expected = { type: delivery.eventType, timestamp: delivery.eventTimestamp, data: intent };
      // Read by the dispatcher alongside the subscription, and read here.
      const [fields] = await h.intents.getManyEncoded([intent.id]);
      for (const body of [await buildBody(delivery, subscription, h.intents, h.secretBox, Promise.resolve(fields)), await buildBody(delivery, subscription, h.intents, h.secretBox)]) {
        const parsed = JSON.parse(body ?? 'null') as typeof expected;
        expect(parsed).toEqual(expected);
        expect(Object.keys(parsed)).toEqual(['type', 'timestamp', 'data']);
        // The record's properties in the order the API shows them (the parsed record's).
        expect(Object.keys(parsed.data)).toEqual(Object.keys(intent));
      }
    }
  });

  it('adds the opened secrets for include_secrets only, and is undefined for an intent that is gone', async () => {
    const h = useHarness();
    const plain = await h.subscriptions.create('payments', { url: 'http://127.0.0.1:9/plain', events: ['intent.*'] });
    const withSecrets = await h.subscriptions.create('payments', { url: 'http://127.0.0.1:9/secrets', events: ['intent.*'], includeSecrets: true });
    const intent = await h.finishedIntent('payments', 'succeeded', { password: 'hunter2-pw' });
    expect(intent.hasSecrets).toBe(true);

    const open = JSON.parse((await buildBody(deliveryOf(intent, withSecrets.subscription), withSecrets.subscription, h.intents, h.secretBox)) ?? 'null') as { data: Record<string, unknown> };
    expect(open.data).toEqual({ ...intent, secrets: { password: 'hunter2-pw' } });
    const closed = (await buildBody(deliveryOf(intent, plain.subscription), plain.subscription, h.intents, h.secretBox)) ?? '';
    expect(JSON.parse(closed)).toEqual({ type: 'intent.succeeded', timestamp: intent.finishedAt, data: intent });
    expect(closed).not.toContain('hunter2-pw');

    // include_secrets on an intent without secrets: the record alone.
    const bare = await h.finishedIntent('payments', 'succeeded');
    const body = JSON.parse((await buildBody(deliveryOf(bare, withSecrets.subscription), withSecrets.subscription, h.intents, h.secretBox)) ?? 'null') as { data: unknown };
    expect(body.data).toEqual(bare);

    // An intent that is gone (expired): no body.
    const gone = { ...intent, id: 'int_expired' };
    expect(await buildBody(deliveryOf(gone, plain.subscription), plain.subscription, h.intents, h.secretBox)).toBeUndefined();
  });

  it('writes ping and data deliveries from the delivery record', async () => {
    const h = useHarness();
    const { subscription } = await h.subscriptions.create('payments', { url: 'http://127.0.0.1:9/hook', events: ['usage.*'] });
    const at = new Date().toISOString();
    const base = { id: 'dlv_1', subscriptionId: subscription.id, teamId: 'payments', messageId: 'msg_1', eventTimestamp: at, status: 'pending', nextAttemptAt: at, replays: 0, createdAt: at, updatedAt: at } as const;
    const ping = await buildBody({ ...base, eventType: 'ping' }, subscription, h.intents, h.secretBox);
    expect(JSON.parse(ping ?? 'null')).toEqual({ type: 'ping', timestamp: at, data: { subscriptionId: subscription.id, message: 'ping from neonops' } });
    const data = { teamId: 'payments', period: '2026-11', threshold: 80 };
    const crossed = await buildBody({ ...base, eventType: 'usage.threshold_crossed', data }, subscription, h.intents, h.secretBox);
    expect(JSON.parse(crossed ?? 'null')).toEqual({ type: 'usage.threshold_crossed', timestamp: at, data });
  });
});
