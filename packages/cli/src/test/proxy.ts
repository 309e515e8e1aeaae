import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

export interface ProxiedRequest {
  method: string;
  url: string;
  lastEventId: string | undefined;
  authorization: string | undefined;
}

/**
 * A real HTTP proxy in front of the API that can misbehave on purpose, like a load
 * balancer or a flaky network would: answer the next requests with an error status, or cut
 * an event stream's connection after some events. Everything else passes through untouched.
 */
export interface FaultyProxy {
  url: string;
  requests: ProxiedRequest[];
  /** The next `count` requests (matching `path`, if given) get `status` with a problem body and optional Retry-After. */
  failNext(count: number, status: number, options?: { path?: RegExp; retryAfter?: string }): void;
  /** The next `streams` event streams are cut (socket destroyed) right after their `events`-th `progress` event (an `end` passes). */
  cutStreams(streams: number, events: number): void;
  /** Event streams cut so far. */
  cuts(): number;
}

export async function startFaultyProxy(target: string): Promise<FaultyProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const failures: { count: number; status: number; path?: RegExp; retryAfter?: string }[] = [];
  let streamsToCut = 0;
  let eventsBeforeCut = 0;
  let cut = 0;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    requests.push({ method: req.method ?? '', url: req.url ?? '', lastEventId: header('last-event-id'), authorization: header('authorization') });
    const failure = failures.find((f) => f.count > 0 && (!f.path || f.path.test(req.url ?? '')));
    if (failure) {
      failure.count--;
      req.resume();
      res.writeHead(failure.status, {
        'content-type': 'application/problem+json',
        ...(failure.retryAfter ? { 'retry-after': failure.retryAfter } : {}),
      });
      res.end(JSON.stringify({ type: 'about:blank', title: 'Injected', status: failure.status, code: `injected_${failure.status}`, detail: 'injected by the test proxy' }));
      return;
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        const isStream = (up.headers['content-type'] ?? '').startsWith('text/event-stream');
        if (!isStream || streamsToCut === 0) {
          up.pipe(res);
          return;
        }
        streamsToCut--;
        let buffer = '';
        let events = 0;
        up.setEncoding('utf8');
        up.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end + 2);
            buffer = buffer.slice(end + 2);
            if (/^event: progress$/m.test(block) && ++events >= eventsBeforeCut) {
              // The event reaches the client, then the connection drops without a proper end.
              cut++;
              up.destroy();
              res.write(block, () => res.socket?.destroy());
              return;
            }
            res.write(block);
          }
        });
        up.on('end', () => res.end(buffer));
      },
    );
    forward.on('error', () => res.socket?.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(count, status, options = {}) {
      failures.push({ count, status, ...options });
    },
    cutStreams(streams, events) {
      streamsToCut = streams;
      eventsBeforeCut = events;
    },
    cuts: () => cut,
  };
}
