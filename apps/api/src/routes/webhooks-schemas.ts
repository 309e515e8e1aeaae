import {
  deliveryStatusSchema,
  deliveryViewSchema,
  eventFilterSchema,
  eventTypeSchema,
  subscriptionViewSchema,
  receiverUrlSchema,
} from '@neonops/webhooks';
import { z } from 'zod';

const events = z
  .array(eventFilterSchema)
  .min(1)
  .max(4)
  .describe('Event types to receive: `intent.succeeded`, `intent.failed`, `intent.cancelled`, or `intent.*` for all');

export const createWebhookBodySchema = z.strictObject({
  url: receiverUrlSchema.describe(
    'Receiver URL (https, or http); no user name or password; redirects are not followed. With `include_secrets`: https only (an allowlisted loopback receiver excepted)',
  ),
  events,
  description: z.string().max(500).optional(),
  include_secrets: z
    .boolean()
    .optional()
    .describe('Payloads carry the intent’s opened secrets (passwords, connection URIs, keys). Default false'),
});

export const updateWebhookBodySchema = z
  .strictObject({
    url: receiverUrlSchema.optional(),
    events: events.optional(),
    enabled: z.boolean().optional().describe('`true` re-enables a disabled subscription and clears its disable reason'),
    description: z.string().max(500).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one of url, events, enabled, description' });

export const webhookIdParamsSchema = z.strictObject({ id: z.string().min(1).max(64) });

export const webhookWithSecretSchema = subscriptionViewSchema
  .extend({ secret: z.string().describe('The signing secret (`whsec_…`); shown only in this answer') })
  .meta({ id: 'WebhookSubscriptionWithSecret' });

export const webhookListSchema = z.object({ items: z.array(subscriptionViewSchema) });

export const listDeliveriesQuerySchema = z.strictObject({
  status: deliveryStatusSchema.optional(),
  eventType: eventTypeSchema.optional(),
  cursor: z.string().min(1).max(64).optional().describe('`nextCursor` of the previous page'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const deliveryListSchema = z.object({
  items: z.array(deliveryViewSchema),
  nextCursor: z.string().optional().describe('Pass as `cursor` for the next page; absent on the last page'),
});

export const recoverBodySchema = z.strictObject({
  since: z.iso.datetime({ offset: true }).describe('Re-send every failed delivery whose event happened at or after this time (RFC 3339)'),
});

export const recoverResultSchema = z.object({
  replayed: z.number().int().describe('How many failed deliveries were queued again'),
  deliveryIds: z.array(z.string()),
});
