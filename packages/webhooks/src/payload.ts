import { secretContext, type IntentRecord, type IntentStore, type SecretBox } from '@neonops/intents';
import type { DeliveryRecord, SubscriptionRecord, WebhookPayload } from './schemas.js';

/**
 * The intent as `GET /v1/intents/:id` shows it: the record, plus its opened `secrets` — the
 * latter only when the subscription opted in with `includeSecrets`.
 */
export async function intentView(
  store: IntentStore,
  secretBox: SecretBox,
  intentId: string,
  includeSecrets: boolean,
  prefetched?: Promise<IntentRecord | undefined>,
): Promise<Record<string, unknown> | undefined> {
  const record = await (prefetched ?? store.get(intentId));
  if (!record) return undefined;
  if (!includeSecrets || !record.hasSecrets) return record;
  const sealed = await store.getSecrets(intentId);
  if (sealed === undefined) return record;
  return { ...record, secrets: secretBox.open(sealed, secretContext.intent(intentId)) as Record<string, unknown> };
}

/** Whether {@link buildPayload} reads the delivery's intent record. */
export const payloadNeedsIntent = (delivery: DeliveryRecord): delivery is DeliveryRecord & { intentId: string } =>
  delivery.eventType !== 'ping' && delivery.data === undefined && delivery.intentId !== undefined;

/**
 * The body of one delivery, rebuilt at each attempt from the (finished, so unchanging)
 * intent: `{ type, timestamp, data }`. Undefined when the intent has expired.
 */
export async function buildPayload(
  delivery: DeliveryRecord,
  subscription: SubscriptionRecord,
  store: IntentStore,
  secretBox: SecretBox,
  /** The intent record when the caller read it already (alongside the subscription: one round trip less). */
  prefetched?: Promise<IntentRecord | undefined>,
): Promise<WebhookPayload | undefined> {
  if (delivery.eventType === 'ping') {
    return { type: 'ping', timestamp: delivery.eventTimestamp, data: { subscriptionId: subscription.id, message: 'ping from neonops' } };
  }
  if (delivery.data !== undefined) return { type: delivery.eventType, timestamp: delivery.eventTimestamp, data: delivery.data };
  if (delivery.intentId === undefined) return undefined;
  const data = await intentView(store, secretBox, delivery.intentId, subscription.includeSecrets, prefetched);
  return data ? { type: delivery.eventType, timestamp: delivery.eventTimestamp, data } : undefined;
}
