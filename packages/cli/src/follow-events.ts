import type { NeonopsClient } from './client/api.js';
import { isRetryable, NeonopsApiError, NeonopsConnectionError, NeonopsProtocolError } from './client/errors.js';
import { intentViewSchema, isTerminal, type IntentView } from './client/schemas.js';
import { parseEventStream } from './client/sse.js';
import { backoffMs, systemClock, type Clock } from './clock.js';
import type { WaitOutcome } from './long-poll.js';

export interface FollowEventsOptions {
  /** Give up at this time (ms since the epoch, on `clock`). */
  deadline: number;
  /** Told every intent view the stream carried, in order, each once. */
  onView: (view: IntentView) => void;
  /** Told when the stream dropped and is being reopened (with `Last-Event-ID`). */
  onReconnect?: (info: { attempt: number; delayMs: number; reason: string }) => void;
  /**
   * No byte (not even a heartbeat, which the API sends every 15 s) for this long means the
   * connection is dead: it is dropped and reopened. Default 45 000 ms.
   */
  idleMs?: number;
  /**
   * Reconnects in a row without a message in between before giving up (with the backoff,
   * about half a minute: an API restart is ridden out). Default 8.
   */
  maxReconnects?: number;
  clock?: Clock;
}

/** The API has no event stream for intents (an older server): follow by long-poll instead. */
export class EventStreamUnsupported extends Error {}

class Idle extends Error {}
class DeadlineReached extends Error {}

/**
 * Follows `GET /v1/intents/:id/events` until its `end` event: every `progress` view goes
 * to `onView`. A dropped connection, a stream that ends early, a silent one (no heartbeat)
 * or a 5xx is reopened with `Last-Event-ID`, after the stream's `retry` or a backoff, so no
 * event is lost or repeated. A 4xx (unknown intent, bad token) ends the watch with that error.
 */
export async function followIntentEvents(client: NeonopsClient, id: string, options: FollowEventsOptions): Promise<WaitOutcome<IntentView>> {
  const clock = options.clock ?? systemClock;
  const idleMs = options.idleMs ?? 45_000;
  const path = `/v1/intents/${id}/events`;
  let lastEventId: string | undefined;
  let retryMs: number | undefined;
  let failures = 0;
  let last: IntentView | undefined;
  let lastError: unknown;
  // At the deadline, a watch that never got through reports why (an API error), not a timeout.
  const timedOut = (): WaitOutcome<IntentView> => {
    if (last === undefined && lastError !== undefined) throw lastError;
    return { done: false, last };
  };
  for (;;) {
    const remaining = options.deadline - clock.now();
    if (remaining <= 0) return timedOut();
    const connection = new AbortController();
    const deadlineTimer = setTimeout(() => connection.abort(new DeadlineReached()), remaining);
    let idleTimer: NodeJS.Timeout | undefined;
    const touch = (): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => connection.abort(new Idle()), idleMs);
    };
    try {
      touch();
      const res = await client.openIntentEvents(id, { signal: connection.signal, ...(lastEventId === undefined ? {} : { lastEventId }) });
      const type = res.headers.get('content-type') ?? '';
      if (!type.startsWith('text/event-stream') || !res.body) throw new NeonopsProtocolError('GET', path, `content-type ${type || 'missing'}`);
      const body = res.body;
      async function* watched(): AsyncGenerator<Uint8Array> {
        try {
          for await (const chunk of body) {
            touch();
            yield chunk;
          }
        } catch (error) {
          // The connection broke mid-stream (reset, proxy gone): a reason to resume, like a failed connect.
          const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
          throw new NeonopsConnectionError('GET', path, `the stream broke (${cause})`, { cause: error });
        }
      }
      for await (const message of parseEventStream(watched())) {
        lastEventId = message.lastEventId;
        retryMs = message.retryMs ?? retryMs;
        if (message.event !== 'progress' && message.event !== 'end') continue;
        const view = parseView(message.data, path);
        failures = 0;
        last = view;
        options.onView(view);
        if (message.event === 'end' || isTerminal(view)) return { done: true, value: view };
      }
      throw new NeonopsConnectionError('GET', path, 'the stream closed before the intent ended');
    } catch (error) {
      const reason = connection.signal.reason as unknown;
      if (reason instanceof DeadlineReached) return timedOut();
      if (error instanceof NeonopsApiError && (error.code === 'route_not_found' || error.status === 405 || error.status === 406)) {
        throw new EventStreamUnsupported(error.message);
      }
      const retryable = reason instanceof Idle || isRetryable(error);
      if (!retryable) throw error;
      lastError = error;
      failures++;
      if (failures > (options.maxReconnects ?? 8)) throw error;
      // The stream's `retry` is a floor; repeated failures back off beyond it (at most 5 s apart).
      const delayMs =
        error instanceof NeonopsApiError && error.retryAfterMs !== undefined ? error.retryAfterMs : Math.max(retryMs ?? 0, backoffMs(failures, 500, 5_000));
      options.onReconnect?.({
        attempt: failures,
        delayMs,
        reason: reason instanceof Idle ? `no data for ${Math.round(idleMs / 1000)} s` : error instanceof Error ? error.message : String(error),
      });
      await clock.sleep(Math.min(delayMs, Math.max(0, options.deadline - clock.now())));
    } finally {
      clearTimeout(deadlineTimer);
      clearTimeout(idleTimer);
      connection.abort(new Error('done'));
    }
  }
}

function parseView(data: string, path: string): IntentView {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new NeonopsProtocolError('GET', path, 'an event’s data is not JSON');
  }
  const parsed = intentViewSchema.safeParse(json);
  if (!parsed.success) throw new NeonopsProtocolError('GET', path, 'an event’s data is not an intent');
  return parsed.data;
}
