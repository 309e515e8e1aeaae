import { z } from 'zod';

/** Event types a subscription can receive. `ping` is only sent by `POST /v1/webhooks/:id/test`. */
export const intentEventTypeSchema = z.enum(['intent.succeeded', 'intent.failed', 'intent.cancelled']);
export type IntentEventType = z.infer<typeof intentEventTypeSchema>;

/** Usage events: a team's month-to-date spend reached a threshold of its budget (see the worker's budget watch). */
export const usageEventTypeSchema = z.enum(['usage.threshold_crossed']);
export type UsageEventType = z.infer<typeof usageEventTypeSchema>;

export const eventTypeSchema = z.enum(['intent.succeeded', 'intent.failed', 'intent.cancelled', 'usage.threshold_crossed', 'ping']);
export type EventType = z.infer<typeof eventTypeSchema>;

/** What a subscription filters on: an exact event type, or `intent.*` / `usage.*` for all of a family. */
export const eventFilterSchema = z.enum(['intent.succeeded', 'intent.failed', 'intent.cancelled', 'intent.*', 'usage.threshold_crossed', 'usage.*']);
export type EventFilter = z.infer<typeof eventFilterSchema>;

/** True when an event of `type` passes `filters` (a ping always passes: it is sent to one subscription on purpose). */
export function matchesFilters(filters: readonly EventFilter[], type: EventType): boolean {
  if (type === 'ping') return true;
  return filters.some((f) => f === type || (f === 'intent.*' && type.startsWith('intent.')) || (f === 'usage.*' && type.startsWith('usage.')));
}

/** The event type an intent's terminal status publishes. */
export function eventTypeForStatus(status: 'succeeded' | 'failed' | 'cancelled'): IntentEventType {
  return `intent.${status}`;
}

/** A receiver URL: absolute http(s), no fragment. The SSRF guard decides at connect time where it may go. */
export const webhookUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an absolute http:// or https:// URL' })
  .max(2048)
  .refine((u) => !u.includes('#'), 'must not contain a fragment');

/**
 * A receiver URL as a team may give it: {@link webhookUrlSchema}, without a user name or
 * password (a receiver authenticates us by the signature; a password would be stored and shown).
 */
export const receiverUrlSchema = webhookUrlSchema.refine((u) => {
  if (!URL.canParse(u)) return true; // the URL check above reports it
  const url = new URL(u);
  return url.username === '' && url.password === '';
}, 'must not contain a user name or password; receivers authenticate deliveries by their signature');

/** `url` without its user name and password, for showing a subscription stored before they were refused. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * A subscription as stored. The signing secrets are sealed (SecretBox) in `sealedSecrets`
 * and never leave the store except to sign.
 */
export const subscriptionRecordSchema = z.object({
  id: z.string(),
  teamId: z.string(),
  url: webhookUrlSchema,
  events: z.array(eventFilterSchema).min(1),
  description: z.string().optional(),
  /** Opt-in: payloads carry the intent's opened secrets (passwords, connection URIs, keys). */
  includeSecrets: z.boolean(),
  enabled: z.boolean(),
  /** Why the service disabled the subscription (410, failing too long); cleared when re-enabled. */
  disabledReason: z.string().optional(),
  disabledAt: z.string().optional(),
  /** Start of the current run of failed attempts; cleared by a success. */
  failingSince: z.string().optional(),
  /** When the previous secret stops being used to sign (end of the rotation overlap). */
  previousSecretExpiresAt: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type SubscriptionRecord = z.infer<typeof subscriptionRecordSchema>;

/** A subscription as the API shows it: never its secret. */
export const subscriptionViewSchema = subscriptionRecordSchema.omit({ teamId: true }).meta({ id: 'WebhookSubscription' });
export type SubscriptionView = z.infer<typeof subscriptionViewSchema>;

export const deliveryStatusSchema = z.enum(['pending', 'succeeded', 'failed']);
export type DeliveryStatus = z.infer<typeof deliveryStatusSchema>;

/** One try of a delivery: what the receiver answered (or why nothing was sent). */
export const deliveryAttemptSchema = z
  .object({
    at: z.string().describe('When the request was sent (RFC 3339)'),
    /** The receiver's HTTP status; absent when no answer came (timeout, refused, network). */
    responseStatus: z.number().int().optional(),
    latencyMs: z.number().int().min(0),
    /** The first bytes (at most 1 KiB) of the response body, as text. */
    responseBody: z.string().optional(),
    /** Why the attempt failed, when it did: `timeout`, `network`, `address_refused`, `redirect`, `http_status`, … */
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .meta({ id: 'WebhookDeliveryAttempt' });
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

/** One event sent to one subscription, with every attempt. The request body is never stored. */
export const deliveryRecordSchema = z.object({
  id: z.string(),
  subscriptionId: z.string(),
  teamId: z.string(),
  eventType: eventTypeSchema,
  /** The Standard Webhooks `webhook-id`: the same across every retry and replay of this event to this subscription. */
  messageId: z.string(),
  /** The intent the event is about (absent for a ping and usage events). */
  intentId: z.string().optional(),
  /**
   * The payload's `data` of an event that is not about an intent (usage events): kept with
   * the delivery, since there is no record to rebuild it from. Never holds secrets.
   */
  data: z.record(z.string(), z.unknown()).optional(),
  /** The event's own time (the payload's `timestamp`). */
  eventTimestamp: z.string(),
  status: deliveryStatusSchema,
  /** When the next attempt is due, while pending. */
  nextAttemptAt: z.string().optional(),
  /** How often it was replayed by hand. */
  replays: z.number().int().min(0),
  /**
   * The BullMQ job of the delivery's current retry chain (the delivery id, then `<id>-<n>`
   * after each restart). A delivery has one chain at a time: a job with another id sends
   * nothing, and only this job's dispatcher may change the status. Internal; not in the view.
   */
  jobId: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DeliveryRecord = z.infer<typeof deliveryRecordSchema>;

export const deliveryViewSchema = deliveryRecordSchema
  .omit({ teamId: true, jobId: true })
  .extend({ attempts: z.array(deliveryAttemptSchema) })
  .meta({ id: 'WebhookDelivery' });
export type DeliveryView = z.infer<typeof deliveryViewSchema>;

/** The JSON body every delivery carries. */
export const webhookPayloadSchema = z.object({
  type: eventTypeSchema,
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/**
 * A `webhooks` queue job: ids only (no payload, no secrets in job data). The subscription and
 * intent ids (copies of the delivery's) let the dispatcher read the delivery, its subscription
 * and its intent at once; jobs added before they existed carry the delivery id only.
 */
export const deliveryJobDataSchema = z.object({ deliveryId: z.string(), subscriptionId: z.string().optional(), intentId: z.string().optional() });
export type DeliveryJobData = z.infer<typeof deliveryJobDataSchema>;

/**
 * A `webhooks` queue job that carries several deliveries to one subscription, published
 * together (events the outbox relay read at once): they share the job's retry chain, so one
 * job and one read of the subscription serve them all. Ids only, as above.
 */
export const deliveryBatchJobDataSchema = z.object({ subscriptionId: z.string(), deliveryIds: z.array(z.string()).min(1) });
export type DeliveryBatchJobData = z.infer<typeof deliveryBatchJobDataSchema>;

/** Any job of the `webhooks` queue. */
export type WebhookJobData = DeliveryJobData | DeliveryBatchJobData;

/** Whether a `webhooks` job carries a batch of deliveries. */
export const isBatchJob = (data: WebhookJobData): data is DeliveryBatchJobData => 'deliveryIds' in data;

export const WEBHOOKS_QUEUE = 'webhooks';
