import { Writable } from 'node:stream';
import { IntentStore, ProjectOwnership } from '@neonops/intents';
import { createNeonClient } from '@neonops/neon-client';
import { startNeonSimulator, type NeonSimulator } from '@neonops/neon-sim';
import { createIntentWorker, createLogger as createWorkerLogger, ProjectLock } from '@neonops/worker';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { hashToken } from '../src/teams/teams-file.js';
import { buildTestApp, type TestApp } from './helper.js';

let sim: NeonSimulator;
beforeAll(async () => {
  sim = await startNeonSimulator({ seed: 11, operations: { schedulingMs: 0, runningMs: 20 }, rateLimit: false });
});
afterAll(async () => {
  await sim.close();
});

/** The API and one real worker on the same Redis prefix, against the simulator. */
async function stack(): Promise<{ t: TestApp; finished: (id: string) => Promise<void>; workerLogs: () => string }> {
  const t = await buildTestApp({
    teams: [{ id: 'alpha', tokenHashes: [hashToken('token-alpha')], canCreateProjects: true }],
    neon: { apiKey: sim.apiKey, baseUrl: sim.url },
  });
  const connection = t.redis.connect();
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  const worker = createIntentWorker({
    connection: () => t.redis.connect(),
    keyPrefix: t.redis.prefix,
    neon: createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url, retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200 } }),
    store: new IntentStore(connection, { prefix: t.redis.prefix }),
    secretBox: t.secretBox,
    projectLock: new ProjectLock(connection, { prefix: t.redis.prefix, ttlMs: 10_000 }),
    ownership: new ProjectOwnership(connection, { prefix: t.redis.prefix }),
    logger: createWorkerLogger({ level: 'info', destination }),
    settings: { pollInitialMs: 20, pollMaxMs: 200, backoffMs: 50, backoffMaxMs: 500 },
    options: { concurrency: 4 },
  });
  onTestFinished(() => worker.close(5000));
  // Every job that left the queue for good (completed or failed), recorded from the start so no event is missed.
  const done = new Set<string>();
  const waiters = new Map<string, () => void>();
  const settle = (job: { id?: string } | undefined) => {
    if (!job?.id) return;
    done.add(job.id);
    waiters.get(job.id)?.();
  };
  worker.worker.on('completed', settle);
  worker.worker.on('failed', settle);
  const finished = (id: string) =>
    new Promise<void>((resolve) => {
      if (done.has(id)) resolve();
      else waiters.set(id, resolve);
    });
  return { t, finished, workerLogs: () => lines.join('') };
}

describe('API + worker + simulator', () => {
  it('runs project.create then branch.create submitted through the API, and shows results and secrets to the team', async () => {
    const { t, finished, workerLogs } = await stack();
    const submit = async (payload: object) => {
      const res = await t.as('alpha', { method: 'POST', url: '/v1/intents', payload, headers: { 'idempotency-key': JSON.stringify(payload) } });
      expect(res.statusCode, res.body).toBe(202);
      return res.json().id as string;
    };

    const projectIntent = await submit({ kind: 'project.create', params: { name: 'e2e' } });
    await finished(projectIntent);
    const project = (await t.as('alpha', { method: 'GET', url: `/v1/intents/${projectIntent}` })).json();
    expect(project.status, JSON.stringify(project.error)).toBe('succeeded');
    const projectId = project.result.project.id as string;
    expect(project.secrets.connectionUris.length).toBeGreaterThan(0);

    // The worker recorded ownership: the new project is the team's, through read-through routes too.
    const projects = (await t.as('alpha', { method: 'GET', url: '/v1/projects' })).json().projects;
    expect(projects.map((p: { id: string }) => p.id)).toEqual([projectId]);

    const branchIntent = await submit({
      kind: 'branch.create',
      params: { projectId, name: 'preview-1', endpoints: [{ type: 'read_write' }], database: { name: 'app' }, role: { name: 'app_user' } },
    });
    await finished(branchIntent);
    const branch = (await t.as('alpha', { method: 'GET', url: `/v1/intents/${branchIntent}` })).json();
    expect(branch.status, JSON.stringify(branch.error)).toBe('succeeded');
    expect(branch.operationIds.length).toBeGreaterThan(0);
    expect(branch.steps.every((s: { status: string }) => s.status === 'succeeded' || s.status === 'skipped')).toBe(true);
    const uris = branch.secrets.connectionUris as { uri: string; pooledUri: string; databaseName: string }[];
    expect(uris.some((u) => u.databaseName === 'app')).toBe(true);
    const password = new URL(uris[0]?.uri ?? '').password;
    expect(password.length).toBeGreaterThan(0);

    const state = sim.control.state();
    expect(JSON.stringify(state)).toContain('preview-1');
    expect((await t.as('alpha', { method: 'POST', url: `/v1/intents/${branchIntent}/cancel` })).statusCode).toBe(409);
    for (const logs of [t.logs(), workerLogs()]) {
      expect(logs).not.toContain(password);
      expect(logs).not.toContain('token-alpha');
    }
  });
});
