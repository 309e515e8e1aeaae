/** Shared pieces of the worker benchmarks: the simulator, projects, intents and a worker process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bullPrefix, intentCatalog, IntentStore, INTENTS_QUEUE, queuedIntentRecord, SecretBox } from '@neonops/intents';
import { createNeonClient, type NeonClient } from '@neonops/neon-client';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { BENCH_TEAM } from './teams.js';

/** Creates `count` projects in the simulator (instant operations expected), `concurrency` at a time. */
export async function createProjects(neon: NeonClient, count: number, concurrency = 16): Promise<string[]> {
  const ids: string[] = new Array<string>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        ids[i] = (await neon.createProject({ project: { name: `bench-${i}` } })).project.id;
      }
    }),
  );
  return ids;
}

export function simClient(sim: { url: string; apiKey: string }): NeonClient {
  return createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url, retry: { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 500 } });
}

/**
 * Stores intents and adds their jobs the way the API does (record, then job with id =
 * intent id), in bulk: records with many calls in flight, jobs with `addBulk`.
 */
export async function enqueueBranchCreates(
  redis: Redis,
  prefix: string,
  projectIds: readonly string[],
  options: { endpoint: boolean },
): Promise<string[]> {
  const store = new IntentStore(redis, { prefix });
  const at = new Date();
  const records = projectIds.map((projectId, i) =>
    queuedIntentRecord({
      teamId: BENCH_TEAM,
      kind: 'branch.create',
      params: intentCatalog['branch.create'].params.parse({
        projectId,
        name: `bench-${i}-${Math.random().toString(36).slice(2, 8)}`,
        endpoints: options.endpoint ? [{ type: 'read_write' }] : [],
      }) as Record<string, unknown>,
      at,
    }),
  );
  for (let i = 0; i < records.length; i += 500) {
    await Promise.all(records.slice(i, i + 500).map((r) => store.create(r)));
  }
  const queue = new Queue(INTENTS_QUEUE, { connection: redis, prefix: bullPrefix(prefix) });
  for (let i = 0; i < records.length; i += 1000) {
    await queue.addBulk(
      records.slice(i, i + 1000).map((r) => ({ name: r.kind, data: { intentId: r.id, teamId: r.teamId, kind: r.kind }, opts: { jobId: r.id } })),
    );
  }
  await queue.close();
  return records.map((r) => r.id);
}

export interface Usage {
  cpu: NodeJS.CpuUsage;
  rss: number;
}

/** A worker in its own process (see worker-child.ts). */
export class WorkerProcess {
  private constructor(private readonly child: ChildProcess) {}

  /** `root`: the repository the worker runs from (a baseline worktree, see `baseline.ts`); default this one. */
  static async spawn(env: Record<string, string>, root?: string): Promise<WorkerProcess> {
    const bench = root === undefined ? fileURLToPath(new URL('..', import.meta.url)) : join(root, 'bench');
    const script = join(bench, 'src/worker-child.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: bench,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const worker = new WorkerProcess(child);
    await worker.next('loaded');
    return worker;
  }

  /** Worker settings for a bench: the simulator, no practical rate limit (the simulator has none). */
  static env(redisUrl: string, prefix: string, sim: { url: string; apiKey: string }, extra: Record<string, string> = {}): Record<string, string> {
    return {
      REDIS_URL: redisUrl,
      KEY_PREFIX: prefix,
      NEON_API_KEY: sim.apiKey,
      NEON_BASE_URL: sim.url,
      SECRETS_KEY: SecretBox.generateKey(),
      NEON_RATE_PER_MINUTE: '100000000',
      NEON_RATE_PER_ROUTE_PER_SECOND: '10000000',
      // Several workers run side by side: each monitoring listener takes a free port.
      WORKER_HTTP_PORT: '0',
      ...extra,
    };
  }

  private async next<T>(type: string): Promise<T> {
    for (;;) {
      const [message] = (await Promise.race([
        once(this.child, 'message'),
        once(this.child, 'exit').then(([code]) => {
          throw new Error(`bench worker exited with ${String(code)}`);
        }),
      ])) as [{ type: string } & T];
      if (message.type === type) return message;
    }
  }

  async start(): Promise<void> {
    this.child.send({ type: 'go' });
    await this.next('started');
  }

  async usage(): Promise<Usage> {
    this.child.send({ type: 'usage' });
    return this.next<Usage>('usage');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}
