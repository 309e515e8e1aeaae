import { waitUntil } from '@neonops/testing';
import { Writable } from 'node:stream';

/** A terminal intent as `GET /v1/intents/:id` shows it (the fields the tests read). */
export interface IntentView {
  id: string;
  kind: string;
  status: string;
  result?: Record<string, unknown>;
  secrets?: Record<string, unknown>;
  error?: { code: string; message: string };
}

/** Talks to a running API over HTTP as one team. */
export function apiClient(baseUrl: string, token: string) {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  async function request(method: string, path: string, body?: unknown, extra: Record<string, string> = {}) {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...headers, ...extra },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }
  async function waitForEnd(id: string, timeoutMs = 30_000): Promise<IntentView> {
    let status = '';
    return waitUntil(
      async () => {
        const view = (await request('GET', `/v1/intents/${id}`)).body as unknown as IntentView;
        status = view.status;
        return ['succeeded', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
      },
      { timeoutMs, what: () => `intent ${id} finished (still ${status})` },
    );
  }
  /** Submits an intent and waits until it ends. */
  async function run(kind: string, params: Record<string, unknown>): Promise<IntentView> {
    const accepted = await request('POST', '/v1/intents', { kind, params });
    if (accepted.status !== 202) throw new Error(`${kind} answered ${accepted.status}: ${JSON.stringify(accepted.body)}`);
    return waitForEnd(accepted.body.id as string);
  }
  return { request, waitForEnd, run };
}

/** A pino destination that keeps every line, to check what a run logged. */
export function captureLogs(): { destination: Writable; text: () => string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { destination, text: () => lines.join('') };
}
