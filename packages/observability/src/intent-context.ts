import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import { currentTracing } from './tracing.js';

/**
 * What the code running for one intent knows about it: log lines and Neon calls made
 * inside {@link runInIntentContext} carry these without every function passing them on.
 * The engine updates `step` and `attempt` in place as the intent moves.
 */
export interface IntentContext {
  intentId: string;
  teamId: string;
  kind: string;
  /** The step running now (or `poll` while operations are polled, `finish` while the result is built). */
  step?: string;
  /** The step's attempt number (1 for the first). */
  attempt?: number;
  /** Neon calls made so far in this context (numbers each call's request id). */
  calls: number;
  /**
   * Neon's `request_id` of each change Neon accepted (a non-GET call answered below 400)
   * since the engine last took them ({@link takeNeonRequestIds}): the intent's record keeps
   * them per step, for the audit and for Neon support.
   */
  neonRequestIds?: string[];
}

/** Most request ids a context keeps between two takes (a step makes a handful of changes). */
const MAX_KEPT_REQUEST_IDS = 20;

/** Notes Neon's request id of a call made in the current intent context when it was an accepted change. */
export function recordNeonRequestId(call: { method: string; status?: number | undefined; neonRequestId?: string | undefined }, context: IntentContext | undefined = currentIntentContext()): void {
  if (!context || call.neonRequestId === undefined || call.method === 'GET' || call.status === undefined || call.status >= 400) return;
  const ids = (context.neonRequestIds ??= []);
  ids.push(call.neonRequestId);
  if (ids.length > MAX_KEPT_REQUEST_IDS) ids.shift();
}

/** The request ids noted since the last take (see {@link recordNeonRequestId}), and forgets them. */
export function takeNeonRequestIds(context: IntentContext | undefined = currentIntentContext()): string[] {
  if (!context?.neonRequestIds) return [];
  const ids = context.neonRequestIds;
  context.neonRequestIds = [];
  return ids;
}

const storage = new AsyncLocalStorage<IntentContext>();

/** Runs `fn` with `context` as the current intent context (also for everything it awaits). */
export function runInIntentContext<T>(context: Omit<IntentContext, 'calls'> & { calls?: number }, fn: () => T): T {
  // With tracing on, the span running now (a job's `process` span) is labelled with the intent.
  if (currentTracing()) {
    trace.getActiveSpan()?.setAttributes({ 'neonops.intent_id': context.intentId, 'neonops.team_id': context.teamId, 'neonops.kind': context.kind });
  }
  return storage.run({ calls: 0, ...context }, fn);
}

/** The intent context of the code running now, if any. */
export function currentIntentContext(): IntentContext | undefined {
  return storage.getStore();
}

/** Log fields of the current intent context: `intentId`, `teamId` (and kind, step, attempt); empty outside one. */
export function intentLogFields(context: IntentContext | undefined = currentIntentContext()): Record<string, string | number> {
  if (!context) return {};
  return {
    intentId: context.intentId,
    teamId: context.teamId,
    kind: context.kind,
    ...(context.step === undefined ? {} : { step: context.step }),
    ...(context.attempt === undefined ? {} : { attempt: context.attempt }),
  };
}

/** Characters Neon (and most proxies) keep in a request id header. */
const unsafe = /[^A-Za-z0-9._:-]/g;

/**
 * The `X-Request-ID` of a Neon call: `<intentId>:<step>:a<attempt>:<n>` inside an intent
 * context (support finds every call of an intent by its id, and each call of a step's attempt
 * by its number), a random UUID outside one. Every retry of one call sends the same id.
 */
export function neonRequestId(context: IntentContext | undefined = currentIntentContext()): string {
  if (!context) return randomUUID();
  context.calls++;
  const step = (context.step ?? 'start').replace(unsafe, '_');
  return `${context.intentId}:${step}:a${context.attempt ?? 1}:${context.calls}`.slice(0, 200);
}
