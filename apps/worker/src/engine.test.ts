import { corePrefix, secretContext } from '@neonops/intents';
import { waitUntil } from '@neonops/testing';
import { createManualClock } from '@neonops/neon-sim';
import { describe, expect, it } from 'vitest';
import { FailureCodes } from './errors.js';
import { live, startHarness } from './test/harness.js';

describe('step engine', () => {
  it('never holds a slot while waiting: a second intent finishes while the first waits on Neon', async () => {
    // Operations only end when the test says so (the simulator's clock is manual).
    const clock = createManualClock(Date.now());
    const h = await startHarness({ sim: { clock, rateLimit: false, operations: { schedulingMs: 10, runningMs: 1000 } } });
    const { projectId } = await setupProject(h, clock);
    h.startWorker({ concurrency: 1 });

    const slow = await h.enqueue('branch.create', { projectId, name: 'slow', endpoints: [{ type: 'read_write' }] });
    await waitForStatus(h, slow, 'waiting');
    const quick = await h.enqueue('api_key.create', { keyName: 'quick' });
    expect((await h.waitForTerminal(quick)).status).toBe('succeeded');
    const during = await h.store.get(slow);
    expect(during?.status).toBe('waiting');
    expect(during?.operationIds.length).toBeGreaterThan(0);
    expect(during?.steps.find((s) => s.name === 'create_branch')?.status).toBe('waiting');
    // The job sits in delayed (not active) while it waits.
    const job = await h.queue.getJob(slow);
    expect(await job?.getState()).toMatch(/delayed|waiting|active/);
    expect(job?.data.checkpoint?.wait?.operationIds.length).toBeGreaterThan(0);

    clock.advance(5000);
    const done = await h.waitForTerminal(slow);
    expect(done.status).toBe('succeeded');
    expect(done.steps.find((s) => s.name === 'create_branch')).toMatchObject({ status: 'succeeded', attempts: 1 });
    // Connection URIs came from the create response (sealed at once), direct and pooled.
    const secrets = h.box.open((await h.store.getSecrets(slow)) ?? '', secretContext.intent(slow)) as { connectionUris: Array<{ databaseName: string; roleName: string; uri: string; pooledUri: string }> };
    expect(secrets.connectionUris).toHaveLength(1);
    const [conn] = secrets.connectionUris;
    const branchId = (done.result as { branch: { id: string } }).branch.id;
    const query = { branch_id: branchId, database_name: conn?.databaseName ?? '', role_name: conn?.roleName ?? '' };
    expect(conn?.uri).toBe((await h.neon.getConnectionUri(projectId, { ...query, pooled: false })).uri);
    expect(conn?.pooledUri).toBe((await h.neon.getConnectionUri(projectId, { ...query, pooled: true })).uri);
    expect((done.result as { databases: unknown[] }).databases).toHaveLength(1);
  });

  it('fails at once with a stable code and Neon request id on a 4xx that cannot succeed', async () => {
    const h = await startHarness();
    const { projectId, branchId } = await h.createProject();
    h.startWorker();
    const missing = await h.enqueue('endpoint.update', { projectId, endpointId: 'ep-does-not-exist', suspendTimeoutSeconds: 60 });
    const record = await h.waitForTerminal(missing);
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: FailureCodes.notFound, neonStatus: 404 });
    expect(record.error?.neonRequestId).toBeTruthy();
    expect(record.steps[0]).toMatchObject({ status: 'failed', attempts: 1 });

    // A branch of the same name that another intent (or a person) made is a conflict, not ours.
    await h.neon.createBranch(projectId, { branch: { name: 'taken', parent_id: branchId } });
    const clash = await h.enqueue('branch.create', { projectId, name: 'taken' });
    const failed = await h.waitForTerminal(clash);
    expect(failed.error?.code).toBe(FailureCodes.conflict);
    expect(live(h.sim.control.state().branches).filter((b) => b.name === 'taken')).toHaveLength(1);
  });

  it('retries retryable errors with backoff, then fails with retries_exhausted and the last error', async () => {
    const h = await startHarness({ sim: { faults: [{ route: 'PATCH /projects/{project_id}', kind: 'status', status: 503 }] } });
    const { projectId } = await h.createProject();
    h.startWorker({ settings: { maxAttempts: 3 } });
    const id = await h.enqueue('project.update', { projectId, name: 'never' });
    const record = await h.waitForTerminal(id);
    expect(record.status).toBe('failed');
    expect(record.error?.code).toBe(FailureCodes.retriesExhausted);
    expect(record.error?.message).toMatch(/neon_unavailable/);
    expect(record.error?.neonStatus).toBe(503);
    expect(record.steps[0]?.attempts).toBe(3);
  });

  it('retries a 423 from Neon (someone else is changing the project) with backoff', async () => {
    const h = await startHarness({ sim: { operations: { schedulingMs: 0, runningMs: 1500 } } });
    const { projectId, branchId, endpointId } = await h.createProject();
    h.startWorker();
    // An outside change leaves an operation running: the project is locked on Neon's side.
    const outside = await h.neon.updateEndpoint(projectId, endpointId, { endpoint: { suspend_timeout_seconds: 120 } });
    expect(outside.operations.length).toBeGreaterThan(0);
    const id = await h.enqueue('role.create', { projectId, branchId, name: 'late' });
    const record = await h.waitForTerminal(id);
    expect(record.status).toBe('succeeded');
    expect(h.sim.control.counters().byRoute['POST /projects/{project_id}/branches/{branch_id}/roles']?.['423']).toBeGreaterThan(0);
    expect(record.steps[0]?.attempts).toBeGreaterThan(1);
  });

  it('applies retention: finished records expire, finished jobs are removed by age/count', async () => {
    const h = await startHarness();
    h.startWorker({ worker: { removeOnComplete: { age: 60, count: 0 } } });
    const id = await h.enqueue('api_key.create', { keyName: 'retained' });
    expect((await h.waitForTerminal(id)).status).toBe('succeeded');
    const redis = h.redis.connect();
    const ttl = await redis.ttl(`${corePrefix(h.redis.prefix)}intent:${id}`);
    expect(ttl).toBeGreaterThan(29 * 86_400);
    expect(await redis.ttl(`${corePrefix(h.redis.prefix)}intent:${id}:secrets`)).toBeGreaterThan(29 * 86_400);
    // The job is removed once BullMQ has completed it (count 0 keeps none).
    await waitUntil(async () => (await h.queue.getJob(id)) === undefined, { timeoutMs: 5000, what: `job ${id} removed` });
  });

  it('stops at a step boundary when cancellation was requested', async () => {
    const h = await startHarness();
    const { projectId } = await h.createProject();
    const id = await h.enqueue('branch.create', { projectId, name: 'cancelled' });
    await h.store.requestCancel(id);
    h.startWorker();
    const record = await h.waitForTerminal(id);
    expect(record.status).toBe('cancelled');
    expect(live(h.sim.control.state().branches).some((b) => b.name === 'cancelled')).toBe(false);
  });
});

type H = Awaited<ReturnType<typeof startHarness>>;

async function setupProject(h: H, clock: { advance(ms: number): void }) {
  const created = await h.neon.createProject({ project: { name: 'slow-ops' } });
  clock.advance(5000);
  await h.neon.waitForOperations(created.project.id, created.operations.map((op) => op.id), { pollIntervalMs: 5 });
  return { projectId: created.project.id };
}

async function waitForStatus(h: H, id: string, status: string, timeoutMs = 10_000): Promise<void> {
  await waitUntil(async () => (await h.store.get(id))?.status === status, { timeoutMs, what: `intent ${id} ${status}` });
}
