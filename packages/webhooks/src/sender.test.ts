import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createDeliveryAgents, sendWebhook } from './sender.js';
import { SsrfGuard } from './ssrf.js';
import { startReceiver } from './test/receiver.js';

describe('sendWebhook', () => {
  it('never sends a user name and password of the URL (no Basic auth)', async () => {
    const r = await startReceiver();
    onTestFinished(() => r.close());
    const guard = new SsrfGuard({ allowCidrs: ['127.0.0.1/32'] });
    const result = await sendWebhook({ url: `http://alice:hunter2@127.0.0.1:${r.port}/hook`, body: '{}', headers: {}, timeoutMs: 5000, guard });
    expect(result.status).toBe(200);
    const [got] = await r.waitFor(1);
    expect(got?.headers.authorization).toBeUndefined();
    expect(JSON.stringify(got)).not.toContain('hunter2');
  });

  it('sends to the path and query of the URL, also an IPv6 literal one, each time as parsed the first time', async () => {
    const paths: string[] = [];
    const server = http.createServer((req, res) => {
      paths.push(`${req.socket.localAddress} ${req.headers.host} ${req.url} ${req.headers['content-type']} ${req.headers['content-length']} ${req.headers['x-sig']}`);
      req.resume();
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const url = `http://[::1]:${port}/hooks/a?token=t%20x&b=2`;
    const guard = new SsrfGuard({ allowCidrs: ['::1/128'] });
    // A caller's headers go along; ours (Host, Content-Type, Content-Length) are not theirs to replace.
    const headers = { 'x-sig': 'v1,abc', 'Content-Type': 'text/plain', host: 'evil.example' };
    for (let i = 0; i < 2; i++) expect((await sendWebhook({ url, body: '{"a":1}', headers, timeoutMs: 5000, guard })).status).toBe(204);
    const seen = `::1 [::1]:${port} /hooks/a?token=t%20x&b=2 application/json 7 v1,abc`;
    expect(paths).toEqual([seen, seen]);
    // The guard still decides every attempt: the same URL under a guard that refuses it.
    expect((await sendWebhook({ url, body: '{}', headers: {}, timeoutMs: 5000, guard: new SsrfGuard() })).error?.code).toBe('address_refused');
    expect(paths).toHaveLength(2);
  });

  it('at delivery, refuses a host name that resolves to an address embedding the metadata or a loopback IPv4 address', async () => {
    const zone: Record<string, string> = { 'a.example': '::a9fe:a9fe', 'b.example': '::ffff:0:a9fe:a9fe', 'c.example': '2002:a9fe:a9fe::1', 'd.example': '::7f00:1' };
    const guard = new SsrfGuard(
      { allowCidrs: ['127.0.0.1/32'] },
      { resolve: (hostname, _o, callback) => callback(null, [{ address: zone[hostname] ?? '::', family: 6 }]) },
    );
    for (const host of Object.keys(zone)) {
      const result = await sendWebhook({ url: `http://${host}/hook`, body: '{}', headers: {}, timeoutMs: 5000, guard });
      expect(result.error?.code, host).toBe('address_refused');
      expect(result.status).toBeUndefined();
    }
  });
});

describe('sendWebhook through keep-alive agents', () => {
  /** A receiver that counts its connections; `dropReused` resets a connection's second request without answering. */
  async function countingReceiver(options: { dropReused?: boolean } = {}) {
    let connections = 0;
    const served = new WeakMap<object, number>();
    const server = http.createServer((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      req.resume();
      req.on('end', () => {
        if (options.dropReused && n > 1) req.socket.destroy();
        else res.writeHead(204).end();
      });
    });
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, connections: () => connections };
  }

  it('reuses one connection for deliveries one after another; without agents each attempt opens its own', async () => {
    const r = await countingReceiver();
    const guard = new SsrfGuard({ allowCidrs: ['127.0.0.1/32'] });
    const agents = createDeliveryAgents();
    onTestFinished(() => agents.destroy());
    for (let i = 0; i < 3; i++) expect((await sendWebhook({ url: r.url, body: '{}', headers: {}, timeoutMs: 5000, guard, agents })).status).toBe(204);
    expect(r.connections()).toBe(1);
    for (let i = 0; i < 2; i++) expect((await sendWebhook({ url: r.url, body: '{}', headers: {}, timeoutMs: 5000, guard })).status).toBe(204);
    expect(r.connections()).toBe(3);
  });

  it('sends once more on a new connection when the receiver resets a pooled one before answering', async () => {
    const r = await countingReceiver({ dropReused: true });
    const guard = new SsrfGuard({ allowCidrs: ['127.0.0.1/32'] });
    const agents = createDeliveryAgents();
    onTestFinished(() => agents.destroy());
    expect((await sendWebhook({ url: r.url, body: '{}', headers: {}, timeoutMs: 5000, guard, agents })).status).toBe(204);
    const second = await sendWebhook({ url: r.url, body: '{}', headers: {}, timeoutMs: 5000, guard, agents });
    expect(second).toMatchObject({ status: 204 });
    expect(second.error).toBeUndefined();
    expect(r.connections()).toBe(2);
  });

  it('a new connection through the agents is still decided by the guard (a host name resolving to the metadata address is refused)', async () => {
    const zone: Record<string, string> = { 'ok.example': '127.0.0.1', 'meta.example': '169.254.169.254' };
    const guard = new SsrfGuard({ allowCidrs: ['127.0.0.1/32'] }, { resolve: (hostname, _o, callback) => callback(null, [{ address: zone[hostname] ?? '::', family: 4 }]) });
    const r = await countingReceiver();
    const port = new URL(r.url).port;
    const agents = createDeliveryAgents();
    onTestFinished(() => agents.destroy());
    expect((await sendWebhook({ url: `http://ok.example:${port}/hook`, body: '{}', headers: {}, timeoutMs: 5000, guard, agents })).status).toBe(204);
    const refused = await sendWebhook({ url: `http://meta.example:${port}/hook`, body: '{}', headers: {}, timeoutMs: 5000, guard, agents });
    expect(refused.error?.code).toBe('address_refused');
    expect(refused.status).toBeUndefined();
    expect(r.connections()).toBe(1);
  });
});
