import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A Redis that tests can use, and how to let it go. */
export interface TestRedisServer {
  /** `redis://host:port[/db]` */
  url: string;
  /** Where it came from, for the test log. */
  source: 'REDIS_URL' | 'localhost' | 'redis-server' | 'testcontainers';
  /** Stops what this helper started; a Redis it merely found is left alone. */
  stop(): Promise<void>;
  /** SIGKILLs a `redis-server` this helper started (a crash: only what reached the AOF survives). */
  kill?(): Promise<void>;
}

export { redisAnswers } from '@neonops/redis';
import { redisAnswers } from '@neonops/redis';

/** A TCP port that is free right now on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

async function waitUntilAnswers(url: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (await redisAnswers(url, 200)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer at ${url} within ${deadlineMs} ms`);
}

/**
 * Starts `redis-server` on loopback. Default: a free port, nothing on disk. `port` restarts
 * one on a known port; `args` add or override settings (e.g. `['--appendonly', 'yes',
 * '--dir', dir]` for a Redis that keeps its data across a restart).
 */
export async function spawnRedisServer(options: { port?: number; args?: string[] } = {}): Promise<TestRedisServer> {
  const port = options.port ?? (await freePort());
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(options.args ?? [])],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  await waitUntilAnswers(url, child, 10_000);
  return {
    url,
    source: 'redis-server',
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function startTestcontainer(): Promise<TestRedisServer> {
  // Only reached where a Docker engine answers; loaded lazily because it is heavy.
  const { GenericContainer } = await import('testcontainers');
  const container = await new GenericContainer('redis:7-alpine').withExposedPorts(6379).start();
  return {
    url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
    source: 'testcontainers',
    stop: async () => {
      await container.stop();
    },
  };
}

/**
 * Finds a Redis for the tests, in this order:
 * 1. `REDIS_URL` when set (it must answer);
 * 2. a Redis answering at 127.0.0.1:6379;
 * 3. `redis-server` started on a free port, when installed;
 * 4. a testcontainers Redis, where a Docker engine answers.
 */
export async function startTestRedis(env: NodeJS.ProcessEnv = process.env): Promise<TestRedisServer> {
  const fromEnv = env.REDIS_URL;
  if (fromEnv) {
    if (!(await redisAnswers(fromEnv, 3000))) throw new Error('REDIS_URL is set but no Redis answers there');
    return { url: fromEnv, source: 'REDIS_URL', stop: async () => undefined };
  }
  const local = 'redis://127.0.0.1:6379';
  if (await redisAnswers(local, 500)) return { url: local, source: 'localhost', stop: async () => undefined };
  if (hasCommand('redis-server')) return spawnRedisServer();
  if (hasCommand('docker') && spawnSync('docker', ['info'], { stdio: 'ignore' }).status === 0) {
    return startTestcontainer();
  }
  throw new Error(
    'No Redis for the tests: set REDIS_URL, start one on 127.0.0.1:6379, or install redis-server (apt-get install redis-server).',
  );
}
