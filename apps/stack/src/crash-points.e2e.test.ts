import { bullPrefix } from '@neonops/intents';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnRedisServer, useTestRedis, waitUntil } from '@neonops/testing';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { deliveriesOf, startCrashHarness, type CrashHarness } from './test/crash-harness.js';
import { apiClient } from './test-client.js';

/**
 * Exactly once at every edge: the API and the worker are killed (SIGKILL) at each named
 * crash point; then a retry (same Idempotency-Key) or a fresh process must leave 0 duplicate
 * Neon resources, 0 intents unfinished and 0 events lost (or sent twice as different
 * messages) — counted in the simulator, in Redis and at a webhook receiver.
 */
describe('crash points', () => {
  const branchCreate = (h: CrashHarness, name: string) => ({ kind: 'branch.create', params: { projectId: h.projectId, name, endpoints: [{ type: 'read_write' }] } });

  async function expectExactlyOnce(h: CrashHarness, apiUrl: string, intentId: string, branchName: string): Promise<void> {
    const view = await h.waitForOutcome(apiUrl, intentId);
    expect(view.status).toBe('succeeded');
    expect(h.branchesNamed(branchName)).toBe(1);
    await waitUntil(async () => (await h.activeIntents()) === 0, { what: 'no intent left unfinished' });
    const { distinctPerPath } = deliveriesOf(h.arrivals, intentId);
    expect([...distinctPerPath.entries()].sort()).toEqual(h.subscriptionPaths.map((p) => [p, 1]));
    expect(h.arrivals.filter((a) => a.intentId === intentId).every((a) => a.type === 'intent.succeeded')).toBe(true);
  }

  it.each(['api.after_record', 'api.after_job_add'])(
    'API killed at %s: the retry with the same key answers the same intent, run once',
    { timeout: 90_000 },
    async (point) => {
      const redis = useTestRedis('crash');
      const h = await startCrashHarness({ redisUrl: redis.url, keyPrefix: redis.prefix });
      await h.startWorker();
      const doomed = await h.startApi(point);
      await h.subscribe(doomed.url);
      const body = branchCreate(h, `api-${point.replace(/\W/g, '-')}`);
      const headers = { 'idempotency-key': `retry-${point}` };
      await expect(apiClient(doomed.url, h.token).request('POST', '/v1/intents', body, headers)).rejects.toThrow();
      expect((await doomed.process.exited).signal).toBe('SIGKILL');

      const fresh = await h.startApi();
      const api = apiClient(fresh.url, h.token);
      const retried = await api.request('POST', '/v1/intents', body, headers);
      expect(retried.status).toBe(202);
      expect(retried.headers.get('idempotent-replayed')).toBe('true');
      const again = await api.request('POST', '/v1/intents', body, headers);
      expect(again.body.id).toBe(retried.body.id);
      const listed = await api.request('GET', '/v1/intents?limit=100');
      expect((listed.body.items as unknown[]).length).toBe(1);
      await expectExactlyOnce(h, fresh.url, retried.body.id as string, body.params.name);
    },
  );

  it.each(['worker.after_neon_post:create_branch', 'worker.before_finish', 'worker.after_finish', 'worker.mid_publish'])(
    'worker killed at %s: a fresh worker finishes the intent once and every event arrives once',
    { timeout: 90_000 },
    async (point) => {
      const redis = useTestRedis('crash');
      const h = await startCrashHarness({ redisUrl: redis.url, keyPrefix: redis.prefix });
      const { url } = await h.startApi();
      await h.subscribe(url);
      const doomed = await h.startWorker({ CRASH_AT: point });
      const body = branchCreate(h, `worker-${point.replace(/\W/g, '-')}`);
      const accepted = await apiClient(url, h.token).request('POST', '/v1/intents', body);
      expect(accepted.status).toBe(202);
      expect((await doomed.exited).signal).toBe('SIGKILL');
      expect(doomed.output()).toContain(`crashing at ${point}`);

      await h.startWorker();
      await expectExactlyOnce(h, url, accepted.body.id as string, body.params.name);
    },
  );

  it('a stale worker (stopped past its job lock) wakes up and can write nothing; the new owner finishes once', { timeout: 90_000 }, async () => {
    const redis = useTestRedis('crash');
    const h = await startCrashHarness({ redisUrl: redis.url, keyPrefix: redis.prefix });
    const { url } = await h.startApi();
    await h.subscribe(url);
    const stale = await h.startWorker({ PAUSE_AT: 'worker.after_neon_post:create_branch' });
    const body = branchCreate(h, 'stale-worker');
    const accepted = await apiClient(url, h.token).request('POST', '/v1/intents', body);
    const intentId = accepted.body.id as string;
    await stale.waitForOutput('pausing at worker.after_neon_post:create_branch');

    // Its job lock expires; another worker takes the job over, reconciles and finishes it.
    await h.startWorker();
    await expectExactlyOnce(h, url, intentId, 'stale-worker');
    const finished = await apiClient(url, h.token).request('GET', `/v1/intents/${intentId}`);

    // The stale worker wakes up mid-step: its checkpoint, record and finish are all refused.
    stale.child.kill('SIGCONT');
    await stale.waitForOutput('resumed at worker.after_neon_post:create_branch');
    await stale.waitForOutput('job lock lost');
    const after = await apiClient(url, h.token).request('GET', `/v1/intents/${intentId}`);
    expect(after.body).toEqual(finished.body);
    expect(h.branchesNamed('stale-worker')).toBe(1);
    expect(deliveriesOf(h.arrivals, intentId).distinctPerPath.size).toBe(h.subscriptionPaths.length);
  });

  it('Redis killed and restarted mid-run (AOF, fsync always): every intent runs once, every event arrives once', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'neonops-aof-'));
    const aof = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
    let redis = await spawnRedisServer({ args: aof });
    const port = Number(new URL(redis.url).port);
    onTestFinished(() => redis.stop());
    const h = await startCrashHarness({ redisUrl: redis.url, keyPrefix: 'aof:' });
    const { url } = await h.startApi();
    await h.subscribe(url);
    await h.startWorker();
    const api = apiClient(url, h.token);
    /** Submits with a key, retrying while Redis is away (503 or a refused connection). */
    const submit = (i: number) =>
      waitUntil(
        async () => {
          const body = branchCreate(h, `aof-${i}`);
          const answer = await api.request('POST', '/v1/intents', body, { 'idempotency-key': `aof-${i}` }).catch(() => undefined);
          return answer?.status === 202 ? (answer.body.id as string) : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: `intent aof-${i} accepted` },
      );
    const first = await Promise.all([0, 1, 2, 3].map(submit));
    await waitUntil(() => h.arrivals.some((a) => a.intentId === first[0]), { what: 'a first event delivered' });

    await redis.kill!();
    redis = await spawnRedisServer({ port, args: aof });
    const second = await Promise.all([4, 5, 6, 7].map(submit));
    const ids = [...first, ...second];
    expect(new Set(ids).size).toBe(8);
    for (const [i, id] of ids.entries()) {
      const view = await h.waitForOutcome(url, id);
      expect(view.status, `aof-${i}`).toBe('succeeded');
      expect(h.branchesNamed(`aof-${i}`), `aof-${i}`).toBe(1);
      expect([...deliveriesOf(h.arrivals, id).distinctPerPath.values()]).toEqual([1, 1, 1]);
    }
    await waitUntil(async () => (await h.activeIntents()) === 0, { what: 'no intent left unfinished' });
    const listed = await api.request('GET', '/v1/intents?limit=100');
    expect((listed.body.items as unknown[]).length).toBe(8);
  });

  it('Redis paused (CLIENT PAUSE) past the job lock while a worker waits on Neon: the stale run writes nothing, the intent ends once', { timeout: 90_000 }, async () => {
    // A Redis of its own: the pause must not stall other tests.
    const redis = await spawnRedisServer();
    onTestFinished(() => redis.stop());
    const h = await startCrashHarness({ redisUrl: redis.url, keyPrefix: 'pause:' });
    const { url } = await h.startApi();
    await h.subscribe(url);
    const workers = [await h.startWorker(), await h.startWorker()];
    // Neon holds the branch POST for 3 s: the pause falls while a worker waits for it.
    h.sim.control.addFaults([{ route: '/projects/{project_id}/branches', method: 'POST', kind: 'latency', latencyMs: 3000, times: 1 }]);
    const accepted = await apiClient(url, h.token).request('POST', '/v1/intents', branchCreate(h, 'paused'));
    const intentId = accepted.body.id as string;
    const admin = new Redis(redis.url);
    onTestFinished(() => void admin.quit());
    // "Mutation started" is checkpointed right before the POST is sent.
    await waitUntil(async () => ((await admin.hget(`${bullPrefix('pause:')}:intents:${intentId}`, 'data')) ?? '').includes('mutationStarted'), {
      what: 'the branch POST under way',
    });
    // Longer than the job lock (1.5 s): when Redis answers again the lock has expired (keys do
    // not expire during a pause, and expire at once after it).
    await admin.call('CLIENT', 'PAUSE', '4000', 'ALL');

    await expectExactlyOnce(h, url, intentId, 'paused');
    // Refused by the job-lock fence, or stopped before writing by the project lock's guard, whichever noticed first.
    const refused = /job lock lost|lock lost during a step; stopping without writing/;
    await waitUntil(() => workers.some((w) => refused.test(w.output())), { what: () => `the stale run refused; worker logs:\n${workers.map((w) => w.output()).join('\n---\n')}` });
  });
});
