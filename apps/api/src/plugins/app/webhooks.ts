import { closeHandshaken } from '@neonops/intents';
import {
  createWebhooksQueue,
  DEFAULT_WEBHOOK_SETTINGS,
  DeliveryLog,
  redactUrl,
  SsrfGuard,
  SubscriptionStore,
  WebhookPublisher,
  type WebhookJobData,
  type DeliveryRecord,
  type DeliveryView,
  type EventFilter,
  type ListDeliveriesQuery,
  type SubscriptionPatch,
  type SubscriptionRecord,
  type WebhookSettings,
} from '@neonops/webhooks';
import type { Queue } from 'bullmq';
import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { SecretBox } from '@neonops/intents';
import { WebhookDeliveryNotFoundError, WebhookDisabledError, WebhookNotFoundError, WebhookUrlForbiddenError } from '../../errors.js';
import { withRedis } from '../../redis-errors.js';
import type { Team } from '../../teams/teams-file.js';

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: WebhooksService;
  }
}

/** A subscription as the API shows it (never its secret; the team is implied). */
export type SubscriptionView = Omit<SubscriptionRecord, 'teamId'>;

export function subscriptionView(record: SubscriptionRecord): SubscriptionView {
  const { teamId: _teamId, ...view } = record;
  // A subscription stored before user names and passwords were refused never shows them.
  return { ...view, url: redactUrl(record.url) };
}

export interface NewSubscriptionInput {
  url: string;
  events: EventFilter[];
  description?: string;
  include_secrets?: boolean;
}

export interface WebhooksServiceDeps {
  redis: Redis;
  subscriptions: SubscriptionStore;
  deliveries: DeliveryLog;
  publisher: WebhookPublisher;
  settings: WebhookSettings;
  log: FastifyBaseLogger;
}

/**
 * Webhook subscriptions and their delivery log, always within one team (another team's
 * subscription or delivery is 404). Sending is the worker's: this service only records
 * deliveries and queues them on `webhooks` (tests, replays). An intent's end, a cancel by
 * the API included, reaches subscribers through the outbox the worker relays.
 */
export class WebhooksService {
  private readonly guard: SsrfGuard;

  constructor(private readonly deps: WebhooksServiceDeps) {
    this.guard = new SsrfGuard({ allowHosts: deps.settings.allowHosts, allowCidrs: deps.settings.allowCidrs });
  }

  /**
   * Early, friendly refusal of URLs that name a refused address literally (the dispatcher
   * checks every connect anyway), and of plain-http receivers of `include_secrets` deliveries.
   */
  private assertUrlAllowed(url: string, includeSecrets: boolean): void {
    const parsed = new URL(url);
    const host = parsed.hostname.toLowerCase();
    const decision =
      host === 'localhost' || host.endsWith('.localhost') ? this.guard.decide('127.0.0.1', host) : this.guard.checkUrl(parsed);
    if (!decision.allowed) throw new WebhookUrlForbiddenError(`${parsed.hostname}: ${decision.reason}`);
    const secrets = includeSecrets ? this.guard.checkSecretsReceiver(parsed) : decision;
    if (!secrets.allowed) throw new WebhookUrlForbiddenError(`${parsed.hostname}: ${secrets.reason}`);
  }

  private redis<T>(call: () => Promise<T>): Promise<T> {
    return withRedis(this.deps.redis, call);
  }

  async create(team: Team, input: NewSubscriptionInput): Promise<{ subscription: SubscriptionRecord; secret: string }> {
    this.assertUrlAllowed(input.url, input.include_secrets ?? false);
    return this.redis(() =>
      this.deps.subscriptions.create(team.id, {
        url: input.url,
        events: input.events,
        ...(input.description === undefined ? {} : { description: input.description }),
        includeSecrets: input.include_secrets ?? false,
      }),
    );
  }

  async list(team: Team): Promise<SubscriptionRecord[]> {
    return this.redis(() => this.deps.subscriptions.list(team.id));
  }

  async get(team: Team, id: string): Promise<SubscriptionRecord> {
    const record = await this.redis(() => this.deps.subscriptions.getForTeam(team.id, id));
    if (!record) throw new WebhookNotFoundError(`No webhook subscription ${id}`);
    return record;
  }

  async update(team: Team, id: string, patch: SubscriptionPatch): Promise<SubscriptionRecord> {
    const current = await this.get(team, id);
    if (patch.url !== undefined) this.assertUrlAllowed(patch.url, current.includeSecrets);
    const updated = await this.redis(() => this.deps.subscriptions.update(id, patch));
    if (!updated) throw new WebhookNotFoundError(`No webhook subscription ${id}`);
    return updated;
  }

  async delete(team: Team, id: string): Promise<void> {
    const deleted = await this.redis(() => this.deps.subscriptions.delete(team.id, id));
    if (!deleted) throw new WebhookNotFoundError(`No webhook subscription ${id}`);
  }

  async rotateSecret(team: Team, id: string): Promise<{ subscription: SubscriptionRecord; secret: string }> {
    await this.get(team, id);
    const secret = await this.redis(() => this.deps.subscriptions.rotateSecret(id, this.deps.settings.secretOverlapSeconds));
    if (!secret) throw new WebhookNotFoundError(`No webhook subscription ${id}`);
    return { subscription: await this.get(team, id), secret };
  }

  async ping(team: Team, id: string): Promise<DeliveryView> {
    const subscription = await this.enabled(team, id);
    const delivery = await this.redis(() => this.deps.publisher.ping(subscription));
    return this.view(delivery);
  }

  async deliveries(team: Team, id: string, query: ListDeliveriesQuery): Promise<{ items: DeliveryView[]; nextCursor?: string }> {
    await this.get(team, id);
    const page = await this.redis(() => this.deps.deliveries.list(id, query));
    const items = await Promise.all(page.items.map((d) => this.view(d)));
    return { items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  async delivery(team: Team, deliveryId: string): Promise<DeliveryView> {
    return this.view(await this.ownDelivery(team, deliveryId));
  }

  /**
   * Sends a delivery again. A finished one starts a new retry chain; one still being retried
   * keeps its chain and has its next attempt brought forward (one chain per delivery).
   */
  async replay(team: Team, deliveryId: string): Promise<DeliveryView> {
    const delivery = await this.ownDelivery(team, deliveryId);
    await this.enabled(team, delivery.subscriptionId);
    const replayed = await this.redis(() => this.deps.publisher.replay(delivery));
    return this.view(replayed.delivery);
  }

  /** Re-sends the subscription's deliveries since `since` that failed, or are pending without a job. */
  async recover(team: Team, id: string, since: Date): Promise<DeliveryRecord[]> {
    await this.enabled(team, id);
    return this.redis(() => this.deps.publisher.recover(id, since));
  }

  private async enabled(team: Team, id: string): Promise<SubscriptionRecord> {
    const subscription = await this.get(team, id);
    if (!subscription.enabled) {
      throw new WebhookDisabledError(`The subscription is disabled${subscription.disabledReason ? `: ${subscription.disabledReason}` : ''}`);
    }
    return subscription;
  }

  private async ownDelivery(team: Team, deliveryId: string): Promise<DeliveryRecord> {
    const delivery = await this.redis(() => this.deps.deliveries.getForTeam(team.id, deliveryId));
    if (!delivery) throw new WebhookDeliveryNotFoundError(`No webhook delivery ${deliveryId}`);
    return delivery;
  }

  private view(delivery: DeliveryRecord): Promise<DeliveryView> {
    return this.redis(() => this.deps.deliveries.view(delivery));
  }
}

export interface WebhooksPluginOptions {
  keyPrefix: string;
  secretBox: SecretBox;
  /** Default {@link DEFAULT_WEBHOOK_SETTINGS}. */
  settings?: Partial<WebhookSettings>;
  now: () => Date;
}

/** The webhooks service, and its `webhooks` queue on the API's fail-fast queue connection. */
export default fp<WebhooksPluginOptions>(
  async (fastify, options) => {
    const settings: WebhookSettings = { ...DEFAULT_WEBHOOK_SETTINGS, ...options.settings };
    const queue: Queue<WebhookJobData> = createWebhooksQueue(fastify.queueRedis, options.keyPrefix);
    queue.on('error', (error: Error) => fastify.log.warn({ err: { message: error.message } }, 'webhooks queue error'));
    const subscriptions = new SubscriptionStore(fastify.redis, { prefix: options.keyPrefix, secretBox: options.secretBox, now: options.now });
    const deliveries = new DeliveryLog(fastify.redis, { prefix: options.keyPrefix, now: options.now });
    const service = new WebhooksService({
      redis: fastify.redis,
      subscriptions,
      deliveries,
      publisher: new WebhookPublisher({ subscriptions, deliveries, queue, firstDelayMs: settings.retryScheduleMs[0] ?? 0, now: options.now }),
      settings,
      log: fastify.log,
    });
    fastify.decorate('webhooks', service);
    fastify.addHook('onClose', async () => {
      await closeHandshaken(queue);
    });
  },
  { name: 'webhooks-service', dependencies: ['redis'] },
);
