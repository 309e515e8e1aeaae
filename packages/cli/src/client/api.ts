import { RequestCore, type RequestCoreOptions } from './core.js';
import { intentViewSchema, previewViewSchema, type IntentView, type PreviewView } from './schemas.js';

/** Longest `wait` the API accepts on a long-poll, in seconds. */
export const MAX_WAIT_SECONDS = 60;
/** Extra time a long-poll request gets beyond its `wait` before it counts as lost, in ms. */
const LONG_POLL_SLACK_MS = 20_000;

export interface SubmitIntentInput {
  kind: string;
  params: Record<string, unknown>;
  /**
   * Sent as `Idempotency-Key`; with one, the POST is safe to send again after a lost answer
   * (the API answers the first result), so it is retried like a GET. Without one it is
   * sent exactly once.
   */
  idempotencyKey?: string;
}

export interface WaitOptions {
  /** Long-poll: the API holds the answer up to this many seconds (0–60) until the intent ends. */
  waitSeconds?: number;
  signal?: AbortSignal;
}

/** The neonops API, one thin method per endpoint over the request core. */
export class NeonopsClient {
  readonly core: RequestCore;

  constructor(options: RequestCoreOptions) {
    this.core = new RequestCore(options);
  }

  /** `POST /v1/intents` → the accepted intent (202). */
  submitIntent(input: SubmitIntentInput, signal?: AbortSignal): Promise<IntentView> {
    return this.core.json('POST', '/v1/intents', intentViewSchema, {
      body: { kind: input.kind, params: input.params },
      ...(input.idempotencyKey ? { headers: { 'idempotency-key': input.idempotencyKey } } : {}),
      safe: input.idempotencyKey !== undefined,
      ...(signal ? { signal } : {}),
    });
  }

  /** `GET /v1/intents/:id[?wait=s]` → the intent, with its secrets for the owning team. */
  getIntent(id: string, options: WaitOptions = {}): Promise<IntentView> {
    return this.core.json('GET', `/v1/intents/${encodeURIComponent(id)}`, intentViewSchema, this.longPoll(options));
  }

  /** `GET /v1/previews?repo=&pr=[&wait=s]` → the pull request's preview and its latest intent. */
  getPreview(repo: string, pr: number, options: WaitOptions = {}): Promise<PreviewView> {
    const poll = this.longPoll(options);
    return this.core.json('GET', '/v1/previews', previewViewSchema, { ...poll, query: { repo, pr, ...poll.query } });
  }

  /** `GET /v1/intents/:id/events` (Server-Sent Events); `lastEventId` resumes after it. */
  openIntentEvents(id: string, options: { lastEventId?: string; signal?: AbortSignal } = {}): Promise<Response> {
    return this.core.stream('GET', `/v1/intents/${encodeURIComponent(id)}/events`, {
      accept: 'text/event-stream',
      headers: options.lastEventId === undefined ? {} : { 'last-event-id': options.lastEventId },
      // Reconnecting is the watcher's job: it keeps its place with Last-Event-ID.
      safe: false,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  private longPoll(options: WaitOptions) {
    const wait = options.waitSeconds === undefined ? undefined : Math.max(0, Math.min(MAX_WAIT_SECONDS, Math.ceil(options.waitSeconds)));
    return {
      query: { wait } as Record<string, string | number | undefined>,
      ...(wait ? { timeoutMs: wait * 1000 + LONG_POLL_SLACK_MS } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    };
  }
}
