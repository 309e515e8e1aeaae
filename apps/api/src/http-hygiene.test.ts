import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '@neonops/testing';
import { branchCreate, buildTestApp, jobCount, type TestApp } from '../test/helper.js';

async function listen(t: TestApp): Promise<{ host: string; port: number }> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return { host: '127.0.0.1', port: address.port };
}

/**
 * Sends a whole request (head and body) on a raw socket at once, the way many clients do
 * without waiting for `100 Continue`, and collects what comes back until the server closes.
 */
function rawRequest(target: { host: string; port: number }, head: string, body: Buffer): Promise<{ response: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(target.port, target.host);
    const chunks: Buffer[] = [];
    let error: string | undefined;
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message;
    });
    socket.on('close', () => resolve({ response: Buffer.concat(chunks).toString('utf8'), ...(error ? { error } : {}) }));
    socket.on('connect', () => {
      socket.write(head);
      socket.write(body);
      socket.end();
    });
  });
}

describe('HTTP hygiene', () => {
  it('the 202 of POST /v1/intents and its idempotent replay are application/json', async () => {
    const t = await buildTestApp();
    const headers = { 'idempotency-key': 'ct-1' };
    const first = await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate(), headers });
    expect(first.statusCode).toBe(202);
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    const replay = await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate(), headers });
    expect(replay.statusCode).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.headers['content-type']).toMatch(/^application\/json/);
    expect(replay.json()).toEqual(first.json());
  });

  it('413 reaches a client that sends an oversize body straight away: the connection stays open while it sends, no reset', async () => {
    const t = await buildTestApp({ bodyLimit: 1024 });
    const target = await listen(t);
    for (const size of [8 * 1024, 4 * 1024 * 1024, 16 * 1024 * 1024]) {
      const body = Buffer.alloc(size, 'x');
      const head =
        `POST /v1/intents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer token-alpha\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`;
      const { response, error } = await rawRequest(target, head, body);
      expect(error, `${size} bytes`).toBeUndefined();
      expect(response).toMatch(/^HTTP\/1\.1 413/);
      expect(response).toContain('application/problem+json');
      expect(response).toContain('"status":413');
      expect(response.toLowerCase()).not.toContain('connection: close');
    }
    // A client that does not wait: fetch streams its body and reads the answer.
    const res = await fetch(`http://127.0.0.1:${target.port}/v1/intents`, {
      method: 'POST',
      headers: { authorization: 'Bearer token-alpha', 'content-type': 'application/json' },
      body: Buffer.alloc(2 * 1024 * 1024, 'x'),
    });
    expect(res.status).toBe(413);
    expect(await jobCount(t.queue)).toBe(0);
  });

  it('a client that never finishes its request head (slow-loris) is cut off after the request timeout', async () => {
    const t = await buildTestApp({ requestTimeoutMs: 400, connectionTimeoutMs: 60_000 });
    const target = await listen(t);
    const socket = net.connect(target.port, target.host);
    let closed = false;
    let answer = '';
    socket.on('data', (c: Buffer) => (answer += c.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => (closed = true));
    socket.on('connect', () => socket.write('POST /v1/intents HTTP/1.1\r\nHost: x\r\nX-Slow: '));
    await waitUntil(() => closed, { what: 'the server closes the slow connection' });
    expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('a connection that sends nothing is closed after the connection timeout', async () => {
    const t = await buildTestApp({ connectionTimeoutMs: 300 });
    const target = await listen(t);
    const socket = net.connect(target.port, target.host);
    let closed = false;
    socket.on('error', () => undefined);
    socket.on('close', () => (closed = true));
    await waitUntil(() => closed, { what: 'the server closes the idle connection' });
  });
});
