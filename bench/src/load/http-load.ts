import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface HttpLoadOptions {
  /** Full URL, loopback only (e.g. `http://127.0.0.1:PORT/v1/intents`). */
  url: string;
  /** Requests to send in all (the run is bounded by count, not time). */
  amount: number;
  /** Keep-alive connections, each with one request in flight. */
  connections: number;
  headers: Record<string, string>;
  body: string;
  /** A new `Idempotency-Key` on every request. */
  uniqueKeys: boolean;
  /** Send at most this many requests per second in all (an open-ish load: CPU per POST compared at the same rate). Default: as fast as answered. */
  overallRate?: number;
}

export interface HttpLoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** The load generator's own CPU per answer, ms (its share of the machine's cores). */
  clientCpuMs: number;
}

/**
 * POSTs with autocannon from a separate node process, so that the load generator and the
 * server under test each have their own event loop (as a real client would).
 */
export async function httpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const { hostname } = new URL(options.url);
  if (hostname !== '127.0.0.1' && hostname !== 'localhost') throw new Error('the load generator only targets loopback');
  const script = fileURLToPath(new URL('./autocannon-child.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Omit<HttpLoadResult, 'perSecond'>;
  return { ...result, perSecond: result.ok / result.seconds };
}
