import { Writable } from 'node:stream';
import { IntentStore, intentCatalog, INTENTS_QUEUE, bullPrefix, isTerminalStatus, queuedIntentRecord, SecretBox, type IntentKind, type IntentRecord } from '@neonops/intents';
import { createNeonClient } from '@neonops/neon-client';
import { startNeonSimulator } from '@neonops/neon-sim';
import { createMetricsRegistry, parsePrometheusText, sampleValue, type Sample } from '@neonops/observability';
import { spawnRedisServer, useTestRedis, waitUntil } from '@neonops/testing';
import { DeliveryLog, SubscriptionStore } from '@neonops/webhooks';
import { startReceiver } from '@neonops/webhooks/test-receiver';
import { Queue } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../config.js';
import { FailureCodes } from '../errors.js';
import { createLogger } from '../logger.js';
import { startWorker, type RunningWorker } from '../main.js';
import { monitoringUrl, spawnWorker } from '../test/spawn.js';
import { WorkerMetrics } from './worker-metrics.js';

const SECRETS_KEY = SecretBox.generateKey();

/** A whole worker process's wiring (main.ts's startWorker) on a test prefix, its listener on a free port. */
async function startTestWorker(redisUrl: string, prefix: string, sim: { url: string; apiKey: string }, env: Record<string, string> = {}) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = loadConfig({
    REDIS_URL: redisUrl,
    KEY_PREFIX: prefix,
    NEON_API_KEY: sim.apiKey,
    NEON_BASE_URL: sim.url,
    SECRETS_KEY,
    WORKER_HTTP_PORT: '0',
    WORKER_HTTP_HOST: '127.0.0.1',
    INTENT_BACKOFF_MS: '20',
    INTENT_BACKOFF_MAX_MS: '100',
    OPERATION_POLL_MS: '20',
    OPERATION_POLL_MAX_MS: '100',
    WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32',
    WEBHOOK_RETRY_SCHEDULE: '0,10',
    ...env,
  });
  const running = await startWorker(config, {
    logger: createLogger({ level: 'info', destination }),
    metrics: new WorkerMetrics(createMetricsRegistry({ defaultMetrics: false })),
  });
  onTestFinished(() => running.close());
  return { running, url: running.monitoring.url ?? 'http://no-listener.invalid', lines };
}

async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return parsePrometheusText(await response.text()).samples;
}

/** Creates the intent record and its job, as the API does. */
async function enqueue(store: IntentStore, queue: Queue, kind: IntentKind, params: unknown, teamId: string): Promise<string> {
  const record = queuedIntentRecord({ teamId, kind, params: intentCatalog[kind].params.parse(params) as Record<string, unknown> });
  const outcome = await store.create(record);
  if (outcome !== 'created') throw new Error(`store.create: ${outcome}`);
  await queue.add(kind, { intentId: record.id, teamId, kind }, { jobId: record.id });
  return record.id;
}

const terminal = (store: IntentStore, id: string): Promise<IntentRecord> =>
  waitUntil(
    async () => {
      const record = await store.get(id);
      return record && isTerminalStatus(record.status) ? record : undefined;
    },
    { timeoutMs: 30_000, what: `intent ${id} finished` },
  );

describe('worker metrics', () => {
  it('after a scripted run (several kinds, a 429, a retried step, a failed delivery) the counters moved by the right amounts', { timeout: 60_000 }, async () => {
    const redis = useTestRedis('metrics');
    const sim = await startNeonSimulator({ operations: { schedulingMs: 5, runningMs: 20 } });
    onTestFinished(() => sim.close());
    const ok = await startReceiver();
    const failing = await startReceiver((_req, res) => void res.writeHead(500).end('no'));
    onTestFinished(async () => {
      await Promise.all([ok.close(), failing.close()]);
    });

    // Set-up calls go through a client of the test's own (not counted by the worker).
    const neon = createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url });
    const created = await neon.createProject({ project: { name: 'metrics' } });
    await neon.waitForOperations(created.project.id, created.operations.map((op) => op.id), { pollIntervalMs: 10 });
    const store = new IntentStore(redis.connect(), { prefix: redis.prefix });
    const queue = new Queue(INTENTS_QUEUE, { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
    onTestFinished(() => queue.close());
    const box = new SecretBox(SECRETS_KEY);
    const subscriptions = new SubscriptionStore(redis.connect(), { prefix: redis.prefix, secretBox: box });
    await subscriptions.create('team-a', { url: `${ok.url}/all`, events: ['intent.*'] });
    const failingSub = await subscriptions.create('team-a', { url: `${failing.url}/failed`, events: ['intent.failed'] });

    // One 429 on the project create (retried within the call), three 423s on the branch create:
    // the call gives up after its 3 attempts and the step is retried later.
    sim.control.setFaults([
      { kind: 'status', status: 429, route: 'POST /projects', times: 1 },
      { kind: 'status', status: 423, route: 'POST /projects/{project_id}/branches', times: 3 },
    ]);
    const worker = await startTestWorker(redis.url, redis.prefix, sim);
    const before = await scrape(worker.url);
    expect(sampleValue(before, 'neonops_intents_finished_total')).toBe(0);

    const ids = {
      project: await enqueue(store, queue, 'project.create', { name: 'metrics-made' }, 'team-a'),
      branch: await enqueue(store, queue, 'branch.create', { projectId: created.project.id, name: 'metrics-branch' }, 'team-a'),
      role: await enqueue(store, queue, 'role.create', { projectId: created.project.id, branchId: created.branch.id, name: 'metrics_role' }, 'team-b'),
      database: await enqueue(store, queue, 'database.create', { projectId: created.project.id, branchId: 'br-missing-000000', name: 'nope', ownerName: 'neondb_owner' }, 'team-a'),
    };
    const records = Object.fromEntries(await Promise.all(Object.entries(ids).map(async ([k, id]) => [k, await terminal(store, id)] as const)));
    expect(records.project?.status).toBe('succeeded');
    expect(records.branch?.status).toBe('succeeded');
    expect(records.role?.status).toBe('succeeded');
    expect(records.database?.status).toBe('failed');

    // Deliveries: 3 intents of team-a to the good receiver; the failed one also to the failing receiver (2 attempts).
    const deliveries = new DeliveryLog(redis.connect(), { prefix: redis.prefix });
    await waitUntil(
      async () => {
        const page = await deliveries.list(failingSub.subscription.id, {});
        return page.items.length === 1 && page.items[0]?.status === 'failed';
      },
      { timeoutMs: 20_000, what: 'the failing delivery failed for good' },
    );
    await ok.waitFor(3, 20_000);
    const samples = await waitUntil(
      async () => {
        const s = await scrape(worker.url);
        return sampleValue(s, 'neonops_webhook_deliveries_total') === 5 ? s : undefined;
      },
      { what: '5 delivery attempts counted' },
    );

    const finished = (kind: string, team: string, outcome: string) => sampleValue(samples, 'neonops_intents_finished_total', { kind, team, outcome });
    expect(finished('project.create', 'team-a', 'succeeded')).toBe(1);
    expect(finished('branch.create', 'team-a', 'succeeded')).toBe(1);
    expect(finished('role.create', 'team-b', 'succeeded')).toBe(1);
    expect(finished('database.create', 'team-a', 'failed')).toBe(1);
    expect(sampleValue(samples, 'neonops_intents_finished_total')).toBe(4);
    expect(sampleValue(samples, 'neonops_intent_duration_seconds_count')).toBe(4);
    expect(sampleValue(samples, 'neonops_intent_duration_seconds_count', { kind: 'database.create', outcome: 'failed' })).toBe(1);

    // The 429 and the 423s, per route template; the retries inside calls and the one step retry.
    expect(sampleValue(samples, 'neonops_neon_rate_limited_total')).toBe(1);
    expect(sampleValue(samples, 'neonops_neon_rate_limited_total', { method: 'POST', route: '/projects' })).toBe(1);
    expect(sampleValue(samples, 'neonops_neon_locked_total', { method: 'POST', route: '/projects/{project_id}/branches' })).toBe(3);
    expect(sampleValue(samples, 'neonops_neon_requests_total', { status: '429' })).toBe(1);
    expect(sampleValue(samples, 'neonops_neon_requests_total', { status: '423' })).toBe(3);
    expect(sampleValue(samples, 'neonops_neon_retries_total', { reason: 'NEON_RATE_LIMITED' })).toBe(1);
    expect(sampleValue(samples, 'neonops_neon_retries_total', { reason: 'NEON_LOCKED' })).toBe(2);
    expect(sampleValue(samples, 'neonops_step_retries_total')).toBe(1);
    expect(sampleValue(samples, 'neonops_step_retries_total', { kind: 'branch.create', reason: FailureCodes.locked })).toBe(1);
    expect(sampleValue(samples, 'neonops_neon_up')).toBe(1);

    // Every attempt is one log line at info (or warn when it failed) naming its intent and team;
    // the count matches the counter, and Neon saw our X-Request-ID derived from the intent.
    const calls = worker.lines.filter((l) => l.msg === 'neon call' || l.msg === 'neon call failed');
    expect(calls.length).toBe(sampleValue(samples, 'neonops_neon_requests_total'));
    expect(sampleValue(samples, 'neonops_neon_request_duration_seconds_count')).toBe(calls.length);
    for (const line of calls) {
      const neonField = line.neon as { requestId: string; route: string; method: string; durationMs: number };
      expect(Object.values(ids)).toContain(line.intentId);
      expect(line.teamId).toBe(line.intentId === ids.role ? 'team-b' : 'team-a');
      expect(neonField.requestId.startsWith(`${String(line.intentId)}:`)).toBe(true);
      expect(neonField.route).not.toMatch(/br-|[0-9a-f]{8}-/);
      expect(typeof neonField.durationMs).toBe('number');
    }
    expect(calls.filter((l) => l.msg === 'neon call').every((l) => l.level === 30)).toBe(true);
    const locked = calls.filter((l) => (l.neon as { status: number }).status === 423);
    expect(locked).toHaveLength(3);
    // The simulator echoes our id as its request_id: the 423 lines carry Neon's id, which names the step and attempt.
    expect((locked[0]?.neon as { neonRequestId: string }).neonRequestId).toMatch(new RegExp(`^${ids.branch}:[^:]+:a1:\\d+$`));

    // Operations polled, waits observed, the rate budget shrunk by the 429 (700 × 0.8).
    expect(sampleValue(samples, 'neonops_operations_polled_total')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'neonops_neon_operation_wait_seconds_count')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'neonops_neon_rate_budget_capacity')).toBe(560);
    expect(sampleValue(samples, 'neonops_neon_rate_budget_used')).toBeGreaterThanOrEqual(calls.length);

    // Webhooks: 3 delivered at the first attempt; the failing one retried once, then failed at attempt 2.
    expect(sampleValue(samples, 'neonops_webhook_deliveries_total', { outcome: 'delivered', attempt: '1' })).toBe(3);
    expect(sampleValue(samples, 'neonops_webhook_deliveries_total', { outcome: 'retrying', attempt: '1' })).toBe(1);
    expect(sampleValue(samples, 'neonops_webhook_deliveries_total', { outcome: 'failed', attempt: '2' })).toBe(1);
    expect(sampleValue(samples, 'neonops_webhook_delivery_duration_seconds_count')).toBe(5);

    // Queues and the outbox, read at the scrape.
    expect(sampleValue(samples, 'neonops_queue_jobs', { queue: 'intents', state: 'completed' })).toBe(3);
    expect(sampleValue(samples, 'neonops_queue_jobs', { queue: 'intents', state: 'failed' })).toBe(1);
    expect(sampleValue(samples, 'neonops_queue_jobs', { queue: 'intents', state: 'waiting' })).toBe(0);
    expect(sampleValue(samples, 'neonops_queue_jobs', { queue: 'webhooks', state: 'failed' })).toBe(1);
    expect(sampleValue(samples, 'neonops_outbox_lag', { group: 'webhooks' })).toBe(0);
    expect(sampleValue(samples, 'neonops_outbox_pending', { group: 'webhooks' })).toBe(0);
    expect(sampleValue(samples, 'neonops_metrics_collect_errors_total')).toBe(0);

    // No id is ever a label value.
    const allIds = [...Object.values(ids), created.project.id, created.branch.id];
    for (const s of samples) for (const value of Object.values(s.labels)) for (const id of allIds) expect(value).not.toContain(id);
  });

  it('/healthz reports Neon answering 5xx while /readyz stays 200; other paths 404, other methods 405', { timeout: 30_000 }, async () => {
    const redis = useTestRedis('metrics');
    const sim = await startNeonSimulator({ operations: { schedulingMs: 0, runningMs: 0 } });
    onTestFinished(() => sim.close());
    sim.control.setFaults([{ kind: 'status', status: 503 }]);
    const worker = await startTestWorker(redis.url, redis.prefix, sim);
    const health = await fetch(`${worker.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true, neon: { reachable: null, detail: 'no Neon call yet' } });

    const store = new IntentStore(redis.connect(), { prefix: redis.prefix });
    const queue = new Queue(INTENTS_QUEUE, { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
    onTestFinished(() => queue.close());
    await enqueue(store, queue, 'project.create', { name: 'down' }, 'team-a');
    const down = await waitUntil(
      async () => {
        const body = (await (await fetch(`${worker.url}/healthz`)).json()) as { neon: { reachable: boolean | null; lastStatus?: number } };
        return body.neon.reachable === false ? body : undefined;
      },
      { what: 'healthz shows Neon unreachable' },
    );
    expect(down.neon.lastStatus).toBe(503);
    const ready = await fetch(`${worker.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { redis: { ok: true }, workers: { ok: true } } });
    expect(sampleValue(await scrape(worker.url), 'neonops_neon_up')).toBe(0);

    expect((await fetch(`${worker.url}/nope`)).status).toBe(404);
    const post = await fetch(`${worker.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('a worker process: /readyz answers 503 while Redis is unreachable and 200 once it is back; /metrics still answers', { timeout: 60_000 }, async () => {
    const server = await spawnRedisServer();
    onTestFinished(() => server.stop());
    const sim = await startNeonSimulator({ operations: { schedulingMs: 0, runningMs: 0 } });
    onTestFinished(() => sim.close());
    // Its own process (what runs in production): it is SIGKILLed when the test ends.
    const child = spawnWorker('test/worker-process.ts', {
      REDIS_URL: server.url,
      KEY_PREFIX: 'readyz:',
      NEON_API_KEY: sim.apiKey,
      NEON_BASE_URL: sim.url,
      SECRETS_KEY,
      WORKER_HTTP_PORT: '0',
      WORKER_HTTP_HOST: '127.0.0.1',
    });
    const url = await monitoringUrl(child);
    await waitUntil(async () => (await fetch(`${url}/readyz`)).status === 200, { what: 'readyz 200' });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    await server.stop();
    const notReady = await waitUntil(
      async () => {
        const response = await fetch(`${url}/readyz`);
        return response.status === 503 ? ((await response.json()) as { ready: boolean; checks: { redis: { ok: boolean; detail?: string } } }) : undefined;
      },
      { what: 'readyz 503' },
    );
    expect(notReady.ready).toBe(false);
    expect(notReady.checks.redis.ok).toBe(false);
    expect(notReady.checks.redis.detail).toMatch(/redis/);
    // Liveness is not readiness: the process is up.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // A scrape answers at once, with the gauges it could not read left empty, and says so.
    const samples = await scrape(url);
    expect(samples.some((s) => s.name === 'neonops_queue_jobs')).toBe(false);
    expect(sampleValue(samples, 'neonops_metrics_collect_errors_total', { source: 'queues' })).toBeGreaterThan(0);

    const back = await spawnRedisServer({ port: Number(new URL(server.url).port) });
    onTestFinished(() => back.stop());
    await waitUntil(async () => (await fetch(`${url}/readyz`)).status === 200, { timeoutMs: 30_000, what: 'readyz 200 again' });
    expect(sampleValue(await scrape(url), 'neonops_queue_jobs', { queue: 'intents', state: 'waiting' })).toBe(0);
    child.child.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
  });

  it('closing the worker closes its listener; WORKER_HTTP_PORT=off runs none', { timeout: 30_000 }, async () => {
    const redis = useTestRedis('metrics');
    const sim = await startNeonSimulator();
    onTestFinished(() => sim.close());
    const worker = await startTestWorker(redis.url, redis.prefix, sim);
    await worker.running.close();
    await expect(fetch(`${worker.url}/healthz`)).rejects.toThrow();

    const off: RunningWorker = (await startTestWorker(redis.url, redis.prefix, sim, { WORKER_HTTP_PORT: 'off' })).running;
    expect(off.monitoring.url).toBeUndefined();
    expect(sampleValue(parsePrometheusText(await off.metrics.registry.metrics()).samples, 'neonops_intents_finished_total')).toBe(0);
  });
});

describe('WORKER_HTTP_PORT / WORKER_HTTP_HOST', () => {
  const required = { NEON_API_KEY: 'napi_test', SECRETS_KEY: SecretBox.generateKey() };
  it('listens on 0.0.0.0:9464 by default; a port, 0 (any free port) or off', () => {
    expect(loadConfig(required).http).toEqual({ port: 9464, host: '0.0.0.0' });
    expect(loadConfig({ ...required, WORKER_HTTP_PORT: '9100', WORKER_HTTP_HOST: '127.0.0.1' }).http).toEqual({ port: 9100, host: '127.0.0.1' });
    expect(loadConfig({ ...required, WORKER_HTTP_PORT: '0' }).http).toEqual({ port: 0, host: '0.0.0.0' });
    expect(loadConfig({ ...required, WORKER_HTTP_PORT: 'off' }).http).toBeUndefined();
  });

  it('refuses anything else, naming the variable', () => {
    for (const bad of ['70000', '-1', 'on', '12.5']) expect(() => loadConfig({ ...required, WORKER_HTTP_PORT: bad })).toThrow(/WORKER_HTTP_PORT/);
  });
});
