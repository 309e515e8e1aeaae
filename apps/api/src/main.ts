import { pathToFileURL } from 'node:url';
import { checkMaxmemoryPolicy, describeRedisUrl } from '@neonops/intents';
import { closeWithGrace, startTracing } from '@neonops/observability';
import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, processEnv, type ApiConfig } from './config.js';
import { createServer, type CreateServerOverrides } from './server.js';

export interface RunningApi {
  /** `http://host:port` it listens on. */
  url: string;
  app: FastifyInstance;
  /** Stops taking requests, lets in-flight ones finish, closes Redis and the queue. */
  close(): Promise<void>;
}

/** Starts the API and listens; used by `pnpm start` at the root and by this file's CLI. */
export async function startApi(config: ApiConfig, overrides: CreateServerOverrides = {}): Promise<RunningApi> {
  const app = await createServer(config, overrides);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  if (app.redis.status !== 'ready') {
    app.log.warn(
      `No Redis answers at ${describeRedisUrl(config.redisUrl)}: requests get 503 until one does. ` +
        'Start one with `redis-server` (or `docker run -p 6379:6379 redis:7`), or set REDIS_URL.',
    );
  }
  // BullMQ's production guidance: a Redis that may evict can drop jobs and records silently.
  void checkMaxmemoryPolicy(app.redis, app.log);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    app,
    close: () => (closing ??= app.close()),
  };
}

async function main(): Promise<void> {
  let config: ApiConfig;
  try {
    config = loadConfig(processEnv());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  // Before the app and its queue exist: OTEL_EXPORTER_OTLP_ENDPOINT set turns tracing on.
  // No async context manager: a request hands its trace context to the job it adds (`jobAddTracer`).
  const tracing = startTracing({ serviceName: 'neonops-api', env: processEnv(), asyncContext: false });
  const api = await startApi(config);
  api.app.log.info({ url: api.url, docs: `${api.url}/docs`, tracing: tracing !== undefined }, 'api listening');
  // SIGTERM/SIGINT: stop taking requests, finish in-flight ones, close Redis, export the last
  // spans; a second signal or a close outlasting 10 s exits 1 at once.
  closeWithGrace({
    close: async () => {
      await api.close();
      await tracing?.shutdown();
    },
    log: api.app.log,
    timeoutMs: 10_000,
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
