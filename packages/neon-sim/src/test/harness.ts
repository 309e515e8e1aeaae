import { onTestFinished } from 'vitest';
import { createManualClock, type ManualClock } from '../behaviour/clock.js';
import type { ResponseBody } from '../http/types.js';
import type { NeonSimulatorOptions } from '../options.js';
import { startNeonSimulator, type NeonSimulator } from '../server.js';
import { assertConforms } from './conformance.js';

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (for malformed JSON); wins over `body`. */
  rawBody?: string;
  /** `null` sends no Authorization header; default the simulator's key. */
  apiKey?: string | null;
  /** Extra headers; a `Content-Type` here replaces the default `application/json` (and is sent even without a body). */
  headers?: Record<string, string>;
}

/**
 * Calls the simulator over real HTTP and checks every response body against Neon's OpenAPI
 * document (see conformance.ts), so no response in the suite escapes validation.
 */
export class Api {
  constructor(private readonly sim: NeonSimulator) {}

  async request<T = Record<string, unknown>>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    const apiKey = options.apiKey === undefined ? this.sim.apiKey : options.apiKey;
    if (apiKey !== null) headers.authorization = `Bearer ${apiKey}`;
    let payload: string | undefined;
    if (options.rawBody !== undefined) payload = options.rawBody;
    else if (options.body !== undefined) payload = JSON.stringify(options.body);
    const typed = Object.keys(headers).some((name) => name.toLowerCase() === 'content-type');
    if (payload !== undefined && !typed) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.sim.url}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await response.text();
    const body: unknown = text === '' ? undefined : JSON.parse(text);
    assertConforms(method, path, response.status, body);
    return { status: response.status, headers: response.headers, body: body as T };
  }

  get<T = Record<string, unknown>>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }

  post<T = Record<string, unknown>>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('POST', path, { ...options, ...(body !== undefined ? { body } : {}) });
  }

  patch<T = Record<string, unknown>>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PATCH', path, { ...options, ...(body !== undefined ? { body } : {}) });
  }

  delete<T = Record<string, unknown>>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }
}

export interface TestSim {
  sim: NeonSimulator;
  api: Api;
  clock: ManualClock;
}

/**
 * A simulator for one test on a manual clock (operations wait until the test advances the
 * clock or fast-forwards), rate limits off unless asked for; closed when the test ends.
 */
export async function startTestSim(options: NeonSimulatorOptions = {}): Promise<TestSim> {
  const clock = createManualClock();
  const sim = await startNeonSimulator({ seed: 1, rateLimit: false, clock, ...options });
  onTestFinished(() => sim.close());
  return { sim, api: new Api(sim), clock };
}

/** POST /projects, then lets its operations finish. */
export async function createReadyProject(t: TestSim, name = 'test-project') {
  const res = await t.api.post<ResponseBody<'createProject', 201>>('/projects', { project: { name } });
  if (res.status !== 201) throw new Error(`create project answered ${res.status}`);
  t.sim.control.fastForward();
  return res.body;
}

/** Sends a raw request and reports how the connection ended (for reset / lost-response faults). */
export async function rawOutcome(url: string, init: RequestInit): Promise<{ ok: true; status: number } | { ok: false; error: Error }> {
  try {
    const response = await fetch(url, init);
    await response.text();
    return { ok: true, status: response.status };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err : new Error(String(err)) };
  }
}
