import { decodeIntent, intentRecordSchema, secretContext, type EncodedIntent, type IntentStore, type SecretBox } from '@neonops/intents';
import type { DeliveryRecord, SubscriptionRecord, WebhookPayload } from './schemas.js';

/** The intent record's properties in the order `GET /v1/intents/:id` (the parsed record) shows them. */
const INTENT_PROPERTIES = Object.keys(intentRecordSchema.shape);

/**
 * `{ type, timestamp, data }` with the intent as `data`, written from its stored JSON texts:
 * the JSON of the parsed record (the same properties in the same order, the same values; a
 * nested object's keys in the order they were written) without parsing each value and writing
 * it again. The store writes every field as `JSON.stringify` of its value.
 */
function intentBody(type: string, timestamp: string, fields: EncodedIntent): string {
  let data = '';
  for (const name of INTENT_PROPERTIES) {
    const value = fields[name];
    if (value !== undefined) data += `${data === '' ? '' : ','}"${name}":${value}`;
  }
  return `{"type":${JSON.stringify(type)},"timestamp":${JSON.stringify(timestamp)},"data":{${data}}}`;
}

/** Whether {@link buildBody} reads the delivery's intent record. */
export const payloadNeedsIntent = (delivery: DeliveryRecord): delivery is DeliveryRecord & { intentId: string } =>
  delivery.eventType !== 'ping' && delivery.data === undefined && delivery.intentId !== undefined;

/**
 * The body of one delivery (JSON of {@link WebhookPayload}), rebuilt at each attempt from the
 * (finished, so unchanging) intent: `{ type, timestamp, data }`, `data` being the intent as
 * `GET /v1/intents/:id` shows it, plus its opened `secrets` when the subscription opted in
 * with `includeSecrets`. Undefined when the intent has expired.
 */
export async function buildBody(
  delivery: DeliveryRecord,
  subscription: SubscriptionRecord,
  store: IntentStore,
  secretBox: SecretBox,
  /** The intent's stored fields when the caller read them already (alongside the subscription: one round trip less). */
  prefetched?: Promise<EncodedIntent | undefined>,
): Promise<string | undefined> {
  const json = (data: Record<string, unknown>) => JSON.stringify({ type: delivery.eventType, timestamp: delivery.eventTimestamp, data } satisfies WebhookPayload);
  if (delivery.eventType === 'ping') return json({ subscriptionId: subscription.id, message: 'ping from neonops' });
  if (delivery.data !== undefined) return json(delivery.data);
  const intentId = delivery.intentId;
  if (intentId === undefined) return undefined;
  const fields = (await prefetched) ?? (await store.getManyEncoded([intentId]))[0];
  if (fields?.id === undefined) return undefined;
  if (!subscription.includeSecrets || fields.hasSecrets !== 'true') return intentBody(delivery.eventType, delivery.eventTimestamp, fields);
  const record = decodeIntent(fields);
  if (!record) return undefined;
  const sealed = await store.getSecrets(intentId);
  return json(sealed === undefined ? record : { ...record, secrets: secretBox.open(sealed, secretContext.intent(intentId)) as Record<string, unknown> });
}
