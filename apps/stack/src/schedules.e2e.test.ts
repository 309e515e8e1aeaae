import { useTestDatabase, useTestRedis, waitUntil } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadStackConfig } from './config.js';
import { startStack } from './stack.js';
import { apiClient } from './test-client.js';

interface Run {
  tickAt: string;
  status: string;
  intentId?: string;
  reason?: string;
}

/**
 * Team schedules end to end: created through the API, run by the stack's worker (a BullMQ job
 * scheduler), each run an intent carried out against the simulator, the history of runs in
 * the durable store; pause stops the runs, delete removes the schedule.
 */
describe('team schedules through the stack', () => {
  it('runs a schedule’s intent on each tick with the demo team’s rights, shows its runs, pauses and deletes', { timeout: 90_000 }, async () => {
    const redis = useTestRedis('schedules-e2e');
    const db = useTestDatabase('stack-schedules');
    const config = loadStackConfig({ PORT: '0', SIM_PORT: '0', SIM_SCHEDULING_MS: '5', SIM_RUNNING_MS: '10', REDIS_URL: redis.url, ...db.env });
    const stack = await startStack(config, {
      env: { KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', TEAMS_FILE: '/nonexistent/teams.yaml', SCHEDULE_MIN_EVERY_MS: '500', OPERATION_POLL_MS: '20' },
    });
    onTestFinished(() => stack.close());
    const api = apiClient(stack.apiUrl, stack.demoToken);

    const created = await api.request('POST', '/v1/schedules', {
      name: 'nightly scratch branch',
      every: 500,
      intent: { kind: 'branch.create', params: { projectId: stack.demoProjectId } },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body.nextRuns).toHaveLength(5);

    const runs = async (): Promise<Run[]> => (await api.request('GET', `/v1/schedules/${id}/runs?limit=100`)).body.items as Run[];
    const submitted = await waitUntil(async () => {
      const done = [];
      for (const run of (await runs()).filter((r) => r.status === 'submitted')) {
        const intent = await api.request('GET', `/v1/intents/${run.intentId}`);
        if (intent.body.status === 'succeeded') done.push(intent.body);
      }
      return done.length >= 2 ? done : false;
    }, { timeoutMs: 60_000 });
    expect(submitted.every((intent) => intent.kind === 'branch.create')).toBe(true);
    expect(new Set(submitted.map((intent) => intent.id)).size).toBe(submitted.length);

    const paused = await api.request('POST', `/v1/schedules/${id}/pause`, {});
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    expect(paused.body).toMatchObject({ paused: true, nextRuns: [] });
    // (the test client always sends a JSON content type, which a bodiless DELETE must not)
    const deleted = await fetch(`${stack.apiUrl}/v1/schedules/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${stack.demoToken}` } });
    expect(deleted.status).toBe(204);
    expect((await api.request('GET', `/v1/schedules/${id}`)).status).toBe(404);
  });

  it('runs the schedule of a team made through the admin routes (the worker reads managed teams, not only the teams file)', { timeout: 90_000 }, async () => {
    const redis = useTestRedis('schedules-e2e');
    const db = useTestDatabase('stack-schedules');
    const config = loadStackConfig({ PORT: '0', SIM_PORT: '0', SIM_SCHEDULING_MS: '5', SIM_RUNNING_MS: '10', REDIS_URL: redis.url, ...db.env });
    const stack = await startStack(config, {
      env: { KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', TEAMS_FILE: '/nonexistent/teams.yaml', SCHEDULE_MIN_EVERY_MS: '500', OPERATION_POLL_MS: '20' },
      demoTeam: { admin: true },
    });
    onTestFinished(() => stack.close());
    const admin = apiClient(stack.apiUrl, stack.demoToken);
    const team = await admin.request('POST', '/v1/admin/teams', { id: 'ops', projects: [stack.demoProjectId] });
    expect(team.status, JSON.stringify(team.body)).toBe(201);
    const token = await admin.request('POST', '/v1/admin/teams/ops/tokens', { name: 'ops scheduler' });
    expect(token.status, JSON.stringify(token.body)).toBe(201);
    const ops = apiClient(stack.apiUrl, token.body.token as string);

    const created = await ops.request('POST', '/v1/schedules', {
      name: 'ops scratch branch',
      every: 500,
      intent: { kind: 'branch.create', params: { projectId: stack.demoProjectId } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.id as string;
    const run = await waitUntil(async () => {
      const runs = (await ops.request('GET', `/v1/schedules/${id}/runs?limit=100`)).body.items as Run[];
      return runs.find((r) => r.status !== 'skipped');
    }, { timeoutMs: 60_000 });
    // Before the worker read the managed teams, this run was `refused` (team_not_found).
    expect(run, JSON.stringify(run)).toMatchObject({ status: 'submitted' });
    const intent = await waitUntil(async () => {
      const view = await ops.request('GET', `/v1/intents/${run.intentId}`);
      return view.body.status === 'succeeded' ? view.body : false;
    }, { timeoutMs: 60_000 });
    expect(intent).toMatchObject({ teamId: 'ops', kind: 'branch.create' });
    await ops.request('POST', `/v1/schedules/${id}/pause`, {});
  });
});
