import { createHash } from 'node:crypto';
import { corePrefix, intentCatalog, intentRequestSchema, scopeOf, type IntentRecord, type PullRequestStates, type SourceRecord, type SourceStore, type TraceJobAdd } from '@neonops/intents';
import { verify } from '@octokit/webhooks-methods';
import type { PullRequestEvent } from '@octokit/webhooks-types';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { z } from 'zod';
import {
  HookSignatureInvalidError,
  IdempotencyKeyMismatchError,
  IdempotencyRequestInFlightError,
  MalformedJsonError,
  SourceNotFoundError,
  TriggerForbiddenError,
  ValidationError,
  type FieldError,
} from '../errors.js';
import type { IntentsService } from '../plugins/app/intents-service.js';
import type { IdempotencyLease, IdempotencyStore, StoredResponse } from '../plugins/app/idempotency/store.js';
import { withRedis } from '../redis-errors.js';
import type { TeamDirectory } from '../teams/team-directory.js';
import { decidePullRequest, pullRequestEventSchema } from './github-pull-request.js';
import type { PreviewIndex } from './preview-index.js';

/** A hook's answer; `replayed` when it is the stored answer of an earlier delivery with the same id. */
export type HookAnswer = StoredResponse & { replayed?: boolean };

type Headers = Record<string, string | string[] | undefined>;

const JSON_TYPE = 'application/json; charset=utf-8';
const deliveryIdPattern = /^[A-Za-z0-9_.:-]{1,128}$/;

export interface HookIntakeDeps {
  redis: Redis;
  prefix: string;
  sources: SourceStore;
  teams: TeamDirectory;
  intents: IntentsService;
  pullRequests: PullRequestStates;
  /** The latest intent of each preview, for `GET /v1/previews`. */
  previews: PreviewIndex;
  /** Queues a post-back of the intent's state to GitHub (sources with a token: a `pending` status at once). */
  postBack?: (intentId: string) => Promise<void>;
  /** Delivery ids seen per source (kept ≥ 3 days: GitHub redelivers for 3 days), with their first answer. */
  deliveries: IdempotencyStore;
  log: FastifyBaseLogger;
}

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The repository's `owner/name` of a (validated) pull_request event. */
function eventRepository(json: unknown): string {
  return (json as PullRequestEvent).repository.full_name;
}

function ignored(reason: string): StoredResponse {
  return { status: 200, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify({ outcome: 'ignored', reason }) };
}

function queued(record: IntentRecord): StoredResponse {
  return {
    status: 202,
    headers: { 'content-type': JSON_TYPE, location: `/v1/intents/${record.id}` },
    body: JSON.stringify({ outcome: 'queued', intentId: record.id, kind: record.kind }),
  };
}

function fieldErrors(error: z.ZodError, where: string): FieldError[] {
  return error.issues.map((issue) => ({ in: where, path: issue.path.join('.'), message: issue.message }));
}

/**
 * Hook deliveries: verify the signature over the raw body before anything is parsed,
 * dedupe on the delivery id, turn the delivery into an intent (or nothing), answer at once.
 */
export class HookIntake {
  constructor(private readonly deps: HookIntakeDeps) {}

  /** `POST /v1/hooks/github/:sourceId`: a GitHub delivery (`X-Hub-Signature-256`, `X-GitHub-Event`, `X-GitHub-Delivery`). */
  async github(sourceId: string, headers: Headers, raw: Buffer, traceAdd?: TraceJobAdd): Promise<HookAnswer> {
    const source = await this.source(sourceId, 'github');
    const signature = header(headers, 'x-hub-signature-256');
    const valid = signature !== undefined && (await verify(this.deps.sources.secretOf(source), raw.toString('utf8'), signature).catch(() => false));
    if (!valid) throw new HookSignatureInvalidError(signature === undefined ? 'X-Hub-Signature-256 is missing' : 'X-Hub-Signature-256 does not match the body');
    const event = header(headers, 'x-github-event');
    const delivery = header(headers, 'x-github-delivery');
    if (!event || !delivery || !deliveryIdPattern.test(delivery)) {
      throw new ValidationError([{ in: 'headers', path: event ? 'x-github-delivery' : 'x-github-event', message: 'required (as GitHub sends it)' }]);
    }
    const json = parseJson(raw);
    return this.once(source, delivery, raw, async (lease) => {
      if (event !== 'pull_request') return this.finish(lease, ignored(event === 'ping' ? 'ping' : 'event_not_handled'));
      const parsed = pullRequestEventSchema.safeParse(json);
      if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error, 'body'));
      const decision = decidePullRequest(source as Extract<SourceRecord, { kind: 'github' }>, json as PullRequestEvent);
      if ('ignore' in decision) return this.finish(lease, ignored(decision.ignore));
      const team = this.team(source);
      if ((await withRedis(this.deps.redis, () => this.deps.pullRequests.advance(decision.pr, decision.state))) === 'stale') {
        return this.finish(lease, ignored('stale_event'));
      }
      const { intent, response } = await this.deps.intents.submit(team, decision.request, {
        key: `github:${delivery}`,
        lease,
        store: this.deps.deliveries,
        response: queued,
      }, { type: 'source', id: source.id }, traceAdd);
      await withRedis(this.deps.redis, () =>
        this.deps.previews.record(team.id, {
          repo: eventRepository(json),
          pr: decision.pr.number,
          state: decision.state.state,
          intentId: intent.id,
          sourceId: source.id,
          at: intent.createdAt,
        }),
      ).catch((error: unknown) => this.deps.log.warn({ err: error, intentId: intent.id }, 'could not index the preview; GET /v1/previews shows the previous intent until the next event'));
      if (source.kind === 'github' && source.postsToGitHub && this.deps.postBack) {
        // Best effort: the intent's end queues its own post-back from the outbox whatever happens here.
        await this.deps.postBack(intent.id).catch((error: unknown) =>
          this.deps.log.warn({ err: { message: error instanceof Error ? error.message : String(error) }, intentId: intent.id }, 'could not queue the pending GitHub status; the final one follows the intent'),
        );
      }
      return response;
    });
  }

  /** `POST /v1/hooks/:sourceId`: `{ kind, params }` signed per Standard Webhooks; `webhook-id` is the idempotency key. */
  async standard(sourceId: string, headers: Headers, raw: Buffer, traceAdd?: TraceJobAdd): Promise<HookAnswer> {
    const source = await this.source(sourceId, 'standard-webhooks');
    let json: unknown;
    try {
      // Checks the signature and that webhook-timestamp is within 5 minutes of now, then parses.
      json = new Webhook(this.deps.sources.secretOf(source)).verify(raw.toString('utf8'), headers as Record<string, string>);
    } catch (error) {
      if (error instanceof WebhookVerificationError) throw new HookSignatureInvalidError(error.message);
      if (error instanceof SyntaxError) throw new MalformedJsonError('The body could not be parsed as JSON');
      throw error;
    }
    const parsed = intentRequestSchema.safeParse(json);
    if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error, 'body'));
    const request = parsed.data;
    if (source.kind !== 'standard-webhooks') throw new SourceNotFoundError();
    if (source.kinds && !source.kinds.includes(request.kind)) throw new TriggerForbiddenError(`This source may not trigger ${request.kind}`);
    const scope = scopeOf(request);
    if (source.projects && !('projectId' in scope && source.projects.includes(scope.projectId))) {
      throw new TriggerForbiddenError(`This source may not act ${'projectId' in scope ? `on project ${scope.projectId}` : `beyond its projects (${intentCatalog[request.kind].summary})`}`);
    }
    const team = this.team(source);
    const messageId = header(headers, 'webhook-id') ?? '';
    if (!deliveryIdPattern.test(messageId)) throw new ValidationError([{ in: 'headers', path: 'webhook-id', message: 'must be 1-128 letters, digits, "_", ".", ":" or "-"' }]);
    return this.once(source, messageId, raw, async (lease) => {
      const { response } = await this.deps.intents.submit(team, request, { key: `webhook:${messageId}`, lease, store: this.deps.deliveries }, { type: 'source', id: source.id }, traceAdd);
      return response;
    });
  }

  private async source(id: string, kind: SourceRecord['kind']): Promise<SourceRecord> {
    const source = await withRedis(this.deps.redis, () => this.deps.sources.get(id));
    if (source?.kind !== kind) throw new SourceNotFoundError(`No ${kind} source ${id}`);
    return source;
  }

  private team(source: SourceRecord) {
    const team = this.deps.teams.get(source.teamId);
    if (!team) throw new SourceNotFoundError(`The team of source ${source.id} is gone`);
    return team;
  }

  /**
   * Runs `handle` once per delivery id of a source: a delivery seen before answers its first
   * answer (`replayed`); one still being handled is 409; the same id with another body is
   * 422. A 4xx/5xx frees the id so a fixed redelivery is handled anew.
   */
  private async once(source: SourceRecord, deliveryId: string, raw: Buffer, handle: (lease: IdempotencyLease) => Promise<StoredResponse>): Promise<HookAnswer> {
    // In the core slot: the intent this delivery makes is stored with its answer in one script (keyspace.ts).
    const key = `${corePrefix(this.deps.prefix)}hooks:delivery:${source.id}:${deliveryId}`;
    const begun = await this.deps.deliveries.begin(key, createHash('sha256').update(raw).digest('hex'));
    if (begun.kind === 'completed') return { ...begun.response, replayed: true };
    if (begun.kind === 'in_flight') throw new IdempotencyRequestInFlightError();
    if (begun.kind === 'mismatch') throw new IdempotencyKeyMismatchError('This delivery id was used with another body');
    try {
      return await handle(begun.lease);
    } catch (error) {
      await this.deps.deliveries.release(begun.lease).catch(() => undefined);
      throw error;
    }
  }

  private async finish(lease: IdempotencyLease, response: StoredResponse): Promise<StoredResponse> {
    await this.deps.deliveries.complete(lease, response);
    return response;
  }
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new MalformedJsonError('The body could not be parsed as JSON');
  }
}
