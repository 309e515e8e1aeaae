import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { METRICS_CONTENT_TYPE } from '@neonops/observability';
import type { Registry } from 'prom-client';

/** A check of `/readyz` or a detail of `/healthz`. */
export interface Check {
  ok: boolean;
  detail?: string;
}

export interface WorkerHttpOptions {
  /** Port; 0 picks a free one. */
  port: number;
  /** Interface to listen on. Default `0.0.0.0`. */
  host?: string;
  registry: Registry;
  /** Whether this process can do its job now (Redis reachable, workers running). */
  readiness: () => Promise<{ ready: boolean; checks: Record<string, Check> }>;
  /** Details of `/healthz` (Neon's last answer…); never a reason for a non-200. */
  health: () => Record<string, unknown>;
}

export interface WorkerHttp {
  /** `http://host:port`. */
  readonly url: string;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
};

/**
 * The worker's small HTTP listener (it answers no API): `GET /metrics` (Prometheus text),
 * `GET /healthz` (the process is up; Neon's state as detail, always 200) and `GET /readyz`
 * (200 when this process can do its job, else 503 with the failing checks). Anything else is
 * 404, another method 405.
 */
export async function startWorkerHttp(options: WorkerHttpOptions): Promise<WorkerHttp> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    const known = path === '/metrics' || path === '/healthz' || path === '/readyz';
    if (!known) return json(res, 404, { error: 'not_found', message: 'Only /metrics, /healthz and /readyz are served here' });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return json(res, 405, { error: 'method_not_allowed', message: `${req.method ?? ''} is not allowed; use GET` });
    }
    if (path === '/metrics') {
      const text = await options.registry.metrics();
      res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    if (path === '/healthz') return json(res, 200, { ok: true, ...options.health() });
    const readiness = await options.readiness();
    json(res, readiness.ready ? 200 : 503, readiness);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { error: 'internal', message: 'The request could not be answered' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
