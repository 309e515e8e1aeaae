import { hash, randomBytes } from 'node:crypto';

/** A time-sortable id: `<prefix>_` + ms since epoch (base36, fixed width) + 12 random hex chars. */
export function newId(prefix: string, now: Date): string {
  return `${prefix}_${now.getTime().toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}

/**
 * The delivery id of one event to one subscription: derived, so that publishing the same
 * event twice (a retried hook) makes one delivery, not two. Sortable by the event's time.
 */
export function deliveryIdFor(eventKey: string, subscriptionId: string, eventTime: Date): string {
  const digest = hash('sha256', `${eventKey}\n${subscriptionId}`, 'hex').slice(0, 20);
  return `dlv_${eventTime.getTime().toString(36).padStart(9, '0')}${digest}`;
}

/** The Standard Webhooks message id of a delivery (stable across its retries and replays). */
export function messageIdFor(deliveryId: string): string {
  return `msg_${deliveryId.slice(4)}`;
}
