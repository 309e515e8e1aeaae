import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { fetchApi } from './fetch-api.js';

/** A loopback server answering each request with the next of `answers` (the last one repeats). */
async function server(answers: Array<(res: ServerResponse) => void>): Promise<{ url: string; requests: () => number }> {
  let n = 0;
  const s = createServer((_req: IncomingMessage, res: ServerResponse) => answers[Math.min(n++, answers.length - 1)]!(res));
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => s.close(() => resolve())));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, requests: () => n };
}

const shed = (res: ServerResponse) =>
  res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '1' }).end(JSON.stringify({ status: 503, code: 'service_overloaded' }));

describe('fetchApi', () => {
  it('sends a request the API shed again after Retry-After, and returns the answer that follows', async () => {
    const s = await server([shed, shed, (res) => res.writeHead(202, { 'content-type': 'application/json' }).end('{"id":"int_1"}')]);
    const res = await fetchApi(`${s.url}/v1/intents`, { method: 'POST', body: '{}' });
    expect(res).toEqual({ status: 202, ok: true, text: '{"id":"int_1"}' });
    expect(s.requests()).toBe(3);
  });

  it('returns any other 503 at once (the request may have been handled)', async () => {
    const s = await server([(res) => res.writeHead(503, { 'retry-after': '1' }).end(JSON.stringify({ status: 503, code: 'store_unavailable' }))]);
    const res = await fetchApi(`${s.url}/v1/intents`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(503);
    expect(s.requests()).toBe(1);
  });
});
