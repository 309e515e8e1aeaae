import http from 'node:http';
import https from 'node:https';
import { AddressRefusedError, type SsrfGuard } from './ssrf.js';

/** How many bytes of a response body are kept in the delivery log. */
export const RESPONSE_BODY_LIMIT = 1024;

export interface SendRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** The whole attempt (connect, send, answer) must finish within this many ms. */
  timeoutMs: number;
  guard: SsrfGuard;
  /**
   * Keep-alive agents to reuse connections through ({@link createDeliveryAgents}). Default
   * none: a fresh connection per attempt.
   */
  agents?: DeliveryAgents;
}

/** The keep-alive agents of one dispatcher, one per protocol. */
export interface DeliveryAgents {
  http: http.Agent;
  https: https.Agent;
  destroy(): void;
}

/**
 * Keep-alive agents for deliveries. Every connection is still opened through the SSRF
 * guard's `lookup` (an address is checked when its connection is made, so a reused one
 * goes to an address that was allowed: a DNS change cannot redirect it), and a pooled
 * connection idles at most `freeSocketTimeoutMs` (or the receiver's `Keep-Alive: timeout`
 * hint, whichever is shorter).
 * @param options.maxSocketsPerHost connections per receiver host at once. Default 50.
 * @param options.freeSocketTimeoutMs how long an idle connection is kept, in ms. Default 4000
 *   (below node's and most servers' 5 s keep-alive timeout, so a receiver rarely closes one
 *   under us; when it does, the attempt is sent once more on a new connection).
 */
export function createDeliveryAgents(options: { maxSocketsPerHost?: number; freeSocketTimeoutMs?: number } = {}): DeliveryAgents {
  const opts = { keepAlive: true, maxSockets: options.maxSocketsPerHost ?? 50, maxFreeSockets: options.maxSocketsPerHost ?? 50, timeout: options.freeSocketTimeoutMs ?? 4000, scheduling: 'lifo' as const };
  const agents = { http: new http.Agent(opts), https: new https.Agent(opts) };
  return {
    ...agents,
    destroy() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** What one attempt gave: an answer, or a failure before one came. Never contains the request body. */
export interface SendResult {
  status?: number;
  /** The first {@link RESPONSE_BODY_LIMIT} bytes of the body, as text. */
  body?: string;
  /** `Retry-After` in ms, when a 429 or 503 answer carried one (seconds or an HTTP date). */
  retryAfterMs?: number;
  latencyMs: number;
  /** Set when no answer came: `timeout`, `address_refused`, `network`, `invalid_url`. */
  error?: { code: string; message: string };
}

/** Parses `Retry-After` (delta seconds or an HTTP date) into ms from `now`. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * POSTs one signed delivery with node:http(s): redirects are never followed (node:http does
 * not), the connection goes through the guard's `lookup`, and the attempt is aborted after
 * `timeoutMs`. Only the first KiB of the answer is read.
 */
export async function sendWebhook(request: SendRequest): Promise<SendResult> {
  const started = performance.now();
  const first = await sendOnce(request);
  if (!first.staleSocket) return first.result;
  // A pooled connection the receiver closed under us (a reset before any answer byte, as when
  // its keep-alive timeout ran out as we sent): once more on a new connection. At least once
  // either way: a receiver deduplicates on `webhook-id`.
  const left = request.timeoutMs - (performance.now() - started);
  if (left <= 0) return first.result;
  const second = await sendOnce({ ...request, timeoutMs: left });
  return { ...second.result, latencyMs: Math.round(performance.now() - started) };
}

/** A receiver URL as requests need it: parsed once (see {@link targetOf}). */
interface Target {
  /** Without user name and password. */
  url: URL;
  secure: boolean;
  /** For `http.request`: the hostname without an IPv6 literal's brackets, the port (undefined: the scheme's), the path with the query. */
  hostname: string;
  port: number | undefined;
  path: string;
  /** The headers every request to it carries, as `[name, value, …]` (`Host` included: node adds none to an array). */
  headers: readonly string[];
}

/** Headers of ours that a caller's headers never replace (see {@link sendOnce}). */
const FIXED_HEADERS = new Set(['host', 'content-type', 'content-length', 'user-agent']);

/** Receiver URLs parsed so far, by their text; bounded (a flood of distinct URLs empties it). */
const targets = new Map<string, Target | null>();
const TARGETS_KEPT = 1024;

/**
 * The receiver URL parsed (null: it does not parse). Every attempt to a subscription sends to
 * the same URL, so it is parsed once rather than per attempt; the SSRF guard still decides
 * on every attempt (an IP literal here, a host name at connect time).
 */
function targetOf(text: string): Target | null {
  let target = targets.get(text);
  if (target !== undefined) return target;
  try {
    const url = new URL(text);
    // Never sent: node would turn a user name and password in the URL into Basic auth, and a
    // receiver authenticates us by the signature (such URLs are refused at subscribe time).
    url.username = '';
    url.password = '';
    const { protocol, hostname, port, pathname, search } = url;
    const headers = ['host', url.host, 'content-type', 'application/json', 'user-agent', 'neonops-webhooks/1'];
    target = {
      url,
      secure: protocol === 'https:',
      hostname: hostname.startsWith('[') ? hostname.slice(1, -1) : hostname,
      port: port === '' ? undefined : Number(port),
      path: `${pathname}${search}`,
      headers,
    };
  } catch {
    target = null;
  }
  if (targets.size >= TARGETS_KEPT) targets.clear();
  targets.set(text, target);
  return target;
}

function sendOnce(request: SendRequest): Promise<{ result: SendResult; staleSocket?: boolean }> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  const target = targetOf(request.url);
  if (!target) return Promise.resolve({ result: { latencyMs: 0, error: { code: 'invalid_url', message: 'The URL does not parse' } } });
  const { url, secure } = target;
  const decision = request.guard.checkUrl(url);
  if (!decision.allowed) {
    return Promise.resolve({ result: { latencyMs: 0, error: { code: 'address_refused', message: new AddressRefusedError(url.hostname, decision.reason).message } } });
  }
  const client = secure ? https : http;
  const agent = request.agents ? (secure ? request.agents.https : request.agents.http) : false;
  // Headers as an array: node writes them as they are (still validated) instead of one setHeader each.
  const headers = [...target.headers, 'content-length', String(Buffer.byteLength(request.body))];
  for (const name in request.headers) if (!FIXED_HEADERS.has(name.toLowerCase())) headers.push(name, request.headers[name] as string);
  return new Promise((resolve) => {
    let settled = false;
    let answered = false;
    const finish = (result: SendResult, staleSocket = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(staleSocket ? { result, staleSocket } : { result });
    };
    const req = client.request(
      {
        protocol: url.protocol,
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        method: 'POST',
        headers,
        // Every new connection is checked by the guard; a pooled one was checked when it was made.
        lookup: request.guard.lookup,
        agent,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        const status = res.statusCode ?? 0;
        const done = () =>
          finish({
            status,
            body: chunks.length === 0 ? '' : Buffer.concat(chunks).subarray(0, RESPONSE_BODY_LIMIT).toString('utf8'),
            // Only a 429 or 503 is retried after its Retry-After (reading headers builds them all).
            ...(status === 429 || status === 503 ? retryAfter(res.headers['retry-after']) : {}),
            latencyMs: latency(),
          });
        res.on('data', (chunk: Buffer) => {
          if (size < RESPONSE_BODY_LIMIT) chunks.push(chunk);
          size += chunk.length;
          // Enough read: the rest of a large body is not worth waiting for.
          if (size >= RESPONSE_BODY_LIMIT) {
            done();
            res.destroy();
          }
        });
        res.on('end', done);
        res.on('error', done);
      },
    );
    const retryAfter = (header: string | string[] | undefined) => {
      const ms = parseRetryAfter(Array.isArray(header) ? header[0] : header, Date.now());
      return ms === undefined ? {} : { retryAfterMs: ms };
    };
    const timer = setTimeout(() => {
      finish({ latencyMs: latency(), error: { code: 'timeout', message: `No answer within ${request.timeoutMs} ms` } });
      req.destroy();
    }, request.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof AddressRefusedError) finish({ latencyMs: latency(), error: { code: 'address_refused', message: err.message } });
      else {
        const stale = req.reusedSocket && !answered && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
        finish({ latencyMs: latency(), error: { code: 'network', message: `${err.code ?? err.name}: could not reach the receiver` } }, stale);
      }
    });
    req.end(request.body);
  });
}
