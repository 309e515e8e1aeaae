import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { NeonopsClient } from './api.js';
import { parseRetryAfter, RequestCore } from './core.js';
import { NeonopsApiError, NeonopsConnectionError, NeonopsProtocolError } from './errors.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** A real HTTP server answering request n with `handlers[n]` (the last one repeats); records what it got. */
async function server(...handlers: Handler[]) {
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const n = seen.length;
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      (handlers[Math.min(n, handlers.length - 1)] ?? (() => res.end()))(req, res, n);
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => (srv.closeAllConnections(), srv.close(() => resolve()))));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, seen };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers });
  res.end(JSON.stringify(body));
};
const problem = (status: number, code: string, headers: Record<string, string> = {}) => json(status, { type: `urn:neonops:problem:${code}`, title: code, status, code, detail: `${code} detail` }, headers);
const intent = json(200, { id: 'int_1', kind: 'branch.create', status: 'queued', steps: [] });

const TOKEN = 'nop_supersecrettoken0123456789';

function core(url: string, delays: number[] = [], retries: string[] = []) {
  return new NeonopsClient({
    baseUrl: url,
    token: TOKEN,
    baseDelayMs: 100,
    sleep: async (ms) => void delays.push(ms),
    onRetry: ({ attempt, error }) => retries.push(`${attempt}: ${error.message}`),
  });
}

describe('request core', () => {
  it('retries a GET on 503, 502 and a lost answer, honouring Retry-After first, then returns the answer', async () => {
    const s = await server(problem(503, 'store_unavailable', { 'retry-after': '3' }), problem(502, 'bad_gateway'), (_req, res) => res.socket?.destroy(), intent);
    const delays: number[] = [];
    const retries: string[] = [];
    const view = await core(s.url, delays, retries).getIntent('int_1');
    expect(view).toMatchObject({ id: 'int_1', status: 'queued' });
    expect(s.seen).toHaveLength(4);
    expect(delays[0]).toBe(3000);
    expect(delays[1]).toBeGreaterThanOrEqual(160);
    expect(delays[1]).toBeLessThanOrEqual(240);
    expect(retries[2]).toMatch(/^3: GET \/v1\/intents\/int_1 failed: /);
    expect(s.seen.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(retries.join('\n')).not.toContain(TOKEN);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const s = await server(problem(503, 'store_unavailable'));
    const error = await core(s.url).getIntent('int_1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NeonopsApiError);
    expect(error).toMatchObject({ status: 503, code: 'store_unavailable' });
    expect(s.seen).toHaveLength(5);
  });

  it('sends a POST without an idempotency key once, whatever happens', async () => {
    const s = await server(problem(503, 'store_unavailable'));
    const error = await core(s.url).submitIntent({ kind: 'branch.create', params: {} }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503 });
    expect(s.seen).toHaveLength(1);
  });

  it('retries a POST with an idempotency key (the same key each time) on 503, a lost answer and 409 idempotency_request_in_flight', async () => {
    const s = await server(problem(503, 'store_unavailable'), (_req, res) => res.socket?.destroy(), problem(409, 'idempotency_request_in_flight'), json(202, { id: 'int_9', kind: 'branch.create', status: 'queued', steps: [] }));
    const view = await core(s.url).submitIntent({ kind: 'branch.create', params: { projectId: 'p' }, idempotencyKey: 'k-1' });
    expect(view.id).toBe('int_9');
    expect(s.seen.map((r) => r.headers['idempotency-key'])).toEqual(['k-1', 'k-1', 'k-1', 'k-1']);
    expect(new Set(s.seen.map((r) => r.body)).size).toBe(1);
    expect(JSON.parse(s.seen[0]!.body)).toEqual({ kind: 'branch.create', params: { projectId: 'p' } });
  });

  it('does not retry what cannot succeed (400, 401, 404, 409 of another kind) and keeps the problem’s code and detail', async () => {
    for (const [status, code] of [
      [400, 'validation_failed'],
      [401, 'unauthorized'],
      [404, 'intent_not_found'],
      [409, 'intent_already_finished'],
    ] as const) {
      const s = await server(problem(status, code));
      const error = await core(s.url).getIntent('int_1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NeonopsApiError);
      expect((error as Error).message).toBe(`GET /v1/intents/int_1 answered ${status} ${code}: ${code} detail`);
      expect(s.seen).toHaveLength(1);
    }
  });

  it('a request without an answer in time is a connection error (and retried when safe)', async () => {
    const s = await server(() => undefined);
    const c = new RequestCore({ baseUrl: s.url, token: TOKEN, timeoutMs: 200, maxAttempts: 2, sleep: async () => undefined });
    const error = await c.json('GET', '/v1/intents/x', z.unknown()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NeonopsConnectionError);
    expect((error as Error).message).toBe('GET /v1/intents/x failed: no answer in time');
    expect(s.seen).toHaveLength(2);
  });

  it('an answer that is not the expected JSON is a protocol error; a non-JSON error page keeps its status', async () => {
    const html: Handler = (_req, res) => (res.writeHead(200, { 'content-type': 'text/html' }), res.end('<html>'));
    const s = await server(html, json(200, { id: 1 }), (_req, res) => (res.writeHead(418, { 'content-type': 'text/html' }), res.end('<html>teapot</html>')));
    const client = core(s.url);
    await expect(client.getIntent('a')).rejects.toBeInstanceOf(NeonopsProtocolError);
    await expect(client.getIntent('a')).rejects.toThrow(/unexpected answer \(id: /);
    await expect(client.getIntent('a')).rejects.toMatchObject({ status: 418, code: 'http_418' });
  });

  it('keeps a base path, encodes ids and sends long-poll waits as whole seconds (at most 60)', async () => {
    const s = await server(intent);
    await new NeonopsClient({ baseUrl: `${s.url}/neonops/`, token: TOKEN }).getIntent('a/b', { waitSeconds: 90 });
    await new NeonopsClient({ baseUrl: `${s.url}/neonops/`, token: TOKEN }).getIntent('x', { waitSeconds: 0.2 });
    expect(s.seen.map((r) => r.url)).toEqual(['/neonops/v1/intents/a%2Fb?wait=60', '/neonops/v1/intents/x?wait=1']);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('5')).toBe(5000);
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
