/**
 * A scripted `fetch` for tests: records every request and answers from a
 * script. No module mocks: the client receives it through `options.fetch`.
 */

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  /** Parsed JSON body, or undefined when none was sent. */
  body: unknown;
  rawBody: string | undefined;
  signal: AbortSignal | undefined;
}

/** One scripted answer. */
export type Step =
  | Response
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { throw: unknown }
  /** Never answers; rejects with the signal's reason when the request is aborted. */
  | 'hang'
  | ((req: RecordedRequest) => Response | Promise<Response>);

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

function hang(signal: AbortSignal | undefined): Promise<Response> {
  return new Promise((_resolve, reject) => {
    if (!signal) return;
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/**
 * Returns a fetch that answers with `steps` in order (the last step repeats
 * when the script runs out) and the list of requests it saw.
 */
export function scriptedFetch(steps: Step[] | ((req: RecordedRequest, index: number) => Step)) {
  const requests: RecordedRequest[] = [];
  const fetchImpl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const rawBody = typeof init?.body === 'string' ? init.body : undefined;
    const req: RecordedRequest = {
      method: init?.method ?? 'GET',
      url: new URL(input instanceof Request ? input.url : String(input)),
      headers,
      body: rawBody === undefined ? undefined : (JSON.parse(rawBody) as unknown),
      rawBody,
      signal: init?.signal ?? undefined,
    };
    const index = requests.length;
    requests.push(req);
    const step = typeof steps === 'function' ? steps(req, index) : (steps[Math.min(index, steps.length - 1)] as Step);
    if (step === 'hang') return hang(req.signal);
    if (typeof step === 'function') return step(req);
    if (step instanceof Response) return step;
    if ('throw' in step) throw step.throw;
    return json(step.status, step.body, step.headers);
  };
  return { fetch: fetchImpl as typeof fetch, requests };
}

/**
 * A clock whose time moves only when the client sleeps: `sleep` records the
 * delay, advances `now` and resolves at once (or rejects if aborted).
 */
export function fakeClock(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
  let time = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
    sleep: (ms: number, signal?: AbortSignal): Promise<void> => {
      if (signal?.aborted) return Promise.reject(signal.reason as Error);
      sleeps.push(ms);
      time += ms;
      return Promise.resolve();
    },
  };
}

/** A Neon error body as Neon sends it. */
export function neonError(message: string, code = '', requestId = 'neon-req-1') {
  return { code, message, request_id: requestId };
}
