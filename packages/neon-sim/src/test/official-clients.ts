import { createNeonClient, type NeonClient } from '@neon/sdk';
import { createApiClient } from '@neondatabase/api-client';
import type { NeonSimulatorOptions } from '../options.js';
import { assertConforms } from './conformance.js';
import { conformingFetch } from './conforming-fetch.js';
import { startTestSim, type TestSim } from './harness.js';

/**
 * Neon's official TypeScript clients, unchanged, pointed at a simulator over loopback HTTP.
 *
 * Time: the simulator runs on a manual clock, and every request a client sends moves it on
 * by {@link CLOCK_STEP_MS} before it leaves. Operations therefore progress while a client
 * polls them (the SDK's own readiness polling included), as they would at Neon, with no
 * real waiting and the same sequence of states on every run.
 *
 * Conformance: every response either client receives is checked against Neon's OpenAPI
 * document (`assertConforms`). A client turns a thrown error into its own error type, so
 * violations are collected and the test asserts the list is empty.
 */

/** Simulated milliseconds that pass per request (an operation takes 70 ms by default). */
export const CLOCK_STEP_MS = 25;

type ApiClient = ReturnType<typeof createApiClient>;

export interface OfficialClientSim extends TestSim {
  /** Conformance failures seen so far (`[]` when every response matched the document). */
  violations: string[];
}

/** Starts a test simulator with rate limits off (unless asked) and a collected violations list. */
async function startSim(options: NeonSimulatorOptions): Promise<OfficialClientSim> {
  return { ...(await startTestSim(options)), violations: [] };
}

/**
 * `@neondatabase/api-client` (axios) against a simulator. The client is built exactly as its
 * README says (`createApiClient({ apiKey, baseURL })`); the test only adds axios interceptors,
 * which see requests and responses but change nothing that is sent.
 */
export async function apiClientAndSim(options: NeonSimulatorOptions = {}): Promise<OfficialClientSim & { client: ApiClient }> {
  const t = await startSim(options);
  const client = createApiClient({ apiKey: t.sim.apiKey, baseURL: t.sim.url });
  const check = (response: { status: number; data: unknown; config: Parameters<ApiClient['instance']['getUri']>[0] }) => {
    const url = new URL(client.instance.getUri(response.config));
    const method = (response.config?.method ?? 'get').toUpperCase();
    try {
      assertConforms(method, url.pathname.replace(/^\/api\/v2/, ''), response.status, response.data === '' ? undefined : response.data);
    } catch (err) {
      t.violations.push(err instanceof Error ? err.message : String(err));
    }
  };
  client.instance.interceptors.request.use((config) => {
    t.clock.advance(CLOCK_STEP_MS);
    return config;
  });
  client.instance.interceptors.response.use(
    (response) => {
      check(response);
      return response;
    },
    (error: unknown) => {
      const response = httpResponseOf(error);
      if (response) check(response);
      return Promise.reject(error);
    },
  );
  return { ...t, client };
}

/**
 * `@neon/sdk` (fetch) against a simulator, through its documented `fetch` option. Readiness
 * polling is on for every mutation (`waitForReadiness: true`), polling every millisecond of
 * real time; the simulated time per poll comes from {@link CLOCK_STEP_MS}.
 */
export async function sdkAndSim(options: NeonSimulatorOptions = {}): Promise<OfficialClientSim & { neon: NeonClient<true> }> {
  const t = await startSim(options);
  const checked = conformingFetch(t.violations);
  const neon = createNeonClient({
    apiKey: t.sim.apiKey,
    baseUrl: t.sim.url,
    orgId: 'org-sim',
    throwOnError: true,
    waitForReadiness: true,
    wait: { pollIntervalMs: 1, timeoutMs: 10_000 },
    fetch: async (input, init) => {
      t.clock.advance(CLOCK_STEP_MS);
      return checked(input, init);
    },
  });
  return { ...t, neon };
}

/** What the tests read of an axios response. */
export interface HttpResponse {
  status: number;
  data: unknown;
  headers: Record<string, unknown>;
  config: object;
}

/** The HTTP response inside an axios error, if the server answered at all. */
export function httpResponseOf(error: unknown): HttpResponse | undefined {
  if (typeof error !== 'object' || error === null || !('response' in error)) return undefined;
  const response: unknown = error.response;
  if (typeof response !== 'object' || response === null || !('status' in response) || typeof response.status !== 'number') return undefined;
  return response as HttpResponse;
}

/** Awaits a call that must fail with an HTTP error and returns the status and Neon's error body. */
export async function httpFailure(call: Promise<unknown>): Promise<{ status: number; data: unknown }> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  const response = httpResponseOf(outcome);
  if (!response) throw new Error(`expected an HTTP error, got ${outcome === undefined ? 'success' : String(outcome)}`);
  return { status: response.status, data: response.data };
}
