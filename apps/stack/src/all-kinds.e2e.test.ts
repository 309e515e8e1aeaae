import { corePrefix } from '@neonops/intents';
import { keysWithoutTtl, useTestRedis } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadStackConfig } from './config.js';
import { startStack } from './stack.js';
import { apiClient, captureLogs } from './test-client.js';

/**
 * The product end to end: every intent kind submitted over HTTP to the API, carried out by
 * a real worker against the simulator, and checked in the simulator's state.
 */
describe('every intent kind through the API and a real worker', () => {
  it('reaches succeeded and shows its effect in the simulator; the logs hold no secret', { timeout: 120_000 }, async () => {
    const redis = useTestRedis('e2e');
    const logs = captureLogs();
    const config = loadStackConfig({ PORT: '0', SIM_PORT: '0', SIM_SCHEDULING_MS: '5', SIM_RUNNING_MS: '10', REDIS_URL: redis.url });
    const stack = await startStack(config, {
      env: { KEY_PREFIX: redis.prefix, LOG_LEVEL: 'info', TEAMS_FILE: '/nonexistent/teams.yaml', OPERATION_POLL_MS: '20' },
      logDestination: logs.destination,
      demoTeam: { admin: true },
    });
    onTestFinished(() => stack.close());
    const sim = stack.sim!;
    const state = () => sim.control.state();
    const api = apiClient(stack.apiUrl, stack.demoToken);
    const ok = async (kind: string, params: Record<string, unknown>) => {
      const view = await api.run(kind, params);
      expect(view, `${kind}: ${JSON.stringify(view.error)}`).toMatchObject({ status: 'succeeded' });
      return view;
    };
    const live = <T extends { deletedAt?: number }>(items: T[]) => items.filter((i) => !i.deletedAt);

    // Projects
    const created = await ok('project.create', { name: 'e2e-project' });
    const projectId = (created.result?.project as { id: string }).id;
    expect(live(state().projects).filter((p) => p.id === projectId)).toHaveLength(1);
    expect((created.secrets?.connectionUris as { uri: string }[])[0]?.uri).toMatch(/^postgresql:\/\//);
    await ok('project.update', { projectId, name: 'e2e-renamed' });
    expect(state().projects.find((p) => p.id === projectId)?.name).toBe('e2e-renamed');

    // A branch with a compute, a database and a role
    const branchView = await ok('branch.create', {
      projectId,
      name: 'preview-1',
      endpoints: [{ type: 'read_write' }],
      role: { name: 'app_user' },
      database: { name: 'app', ownerName: 'app_user' },
    });
    const branchId = (branchView.result?.branch as { id: string }).id;
    expect(live(state().branches).filter((b) => b.projectId === projectId && b.name === 'preview-1')).toHaveLength(1);
    expect(live(state().endpoints).filter((e) => e.branchId === branchId)).toHaveLength(1);
    expect(live(state().databases).filter((d) => d.branchId === branchId && d.name === 'app')).toHaveLength(1);
    expect(live(state().roles).filter((r) => r.branchId === branchId && r.name === 'app_user')).toHaveLength(1);
    const uris = branchView.secrets?.connectionUris as { databaseName: string; uri: string; pooledUri: string }[];
    expect(uris.find((u) => u.databaseName === 'app')?.pooledUri).toContain('-pooler.');

    const expiresAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
    await ok('branch.update', { projectId, branchId, name: 'preview-1b', expiresAt });
    expect(state().branches.find((b) => b.id === branchId)?.name).toBe('preview-1b');

    // Endpoints
    const endpointView = await ok('endpoint.create', { projectId, branchId, type: 'read_only' });
    const endpointId = (endpointView.result?.endpoint as { id: string }).id;
    expect(live(state().endpoints).filter((e) => e.branchId === branchId)).toHaveLength(2);
    await ok('endpoint.update', { projectId, endpointId, suspendTimeoutSeconds: 600 });
    expect(state().endpoints.find((e) => e.id === endpointId)?.suspendTimeoutSeconds).toBe(600);
    await ok('endpoint.suspend', { projectId, endpointId });
    expect(state().endpoints.find((e) => e.id === endpointId)?.currentState).toBe('idle');
    await ok('endpoint.start', { projectId, endpointId });
    expect(state().endpoints.find((e) => e.id === endpointId)?.currentState).toBe('active');
    await ok('endpoint.restart', { projectId, endpointId });
    await ok('endpoint.delete', { projectId, endpointId });
    expect(state().endpoints.find((e) => e.id === endpointId)?.deletedAt).toBeDefined();

    // Databases and roles
    await ok('role.create', { projectId, branchId, name: 'reporter' });
    const reset = await ok('role.reset_password', { projectId, branchId, name: 'reporter' });
    expect(typeof reset.secrets?.password).toBe('string');
    await ok('database.create', { projectId, branchId, name: 'reports', ownerName: 'reporter' });
    await ok('database.update', { projectId, branchId, name: 'reports', newName: 'reports2' });
    expect(live(state().databases).filter((d) => d.branchId === branchId).map((d) => d.name).sort()).toEqual(['app', 'neondb', 'reports2'].sort());
    await ok('database.delete', { projectId, branchId, name: 'reports2' });
    await ok('role.delete', { projectId, branchId, name: 'reporter' });
    expect(live(state().roles).find((r) => r.branchId === branchId && r.name === 'reporter')).toBeUndefined();

    // Restore from another branch (keeping the old state as a branch), then delete that backup
    const source = await ok('branch.create', { projectId, name: 'restore-source' });
    const sourceId = (source.result?.branch as { id: string }).id;
    await ok('branch.restore', { projectId, branchId, sourceBranchId: sourceId, preserveUnderName: 'preview-1-before-restore' });
    const backups = live(state().branches).filter((b) => b.projectId === projectId && b.name === 'preview-1-before-restore');
    expect(backups).toHaveLength(1);
    await ok('branch.delete', { projectId, branchId: backups[0]!.id });
    expect(state().branches.find((b) => b.id === backups[0]!.id)?.deletedAt).toBeDefined();

    // API keys (admin team)
    const key = await ok('api_key.create', { keyName: 'e2e-ci' });
    expect(String(key.secrets?.key)).not.toBe('');
    const keyId = key.result?.id as number;
    expect(state().apiKeys.find((k) => k.id === keyId)?.revoked).toBe(false);
    await ok('api_key.revoke', { keyId });
    expect(state().apiKeys.find((k) => k.id === keyId)?.revoked).toBe(true);

    // Finally the project
    await ok('project.delete', { projectId });
    expect(state().projects.find((p) => p.id === projectId)?.deletedAt).toBeDefined();

    // Nothing secret reached the logs of the whole run.
    const text = logs.text();
    expect(text.length).toBeGreaterThan(0);
    for (const secret of [stack.demoToken, sim.apiKey, String(key.secrets?.key), String(reset.secrets?.password)]) {
      expect(text).not.toContain(secret);
    }
    for (const uri of uris) expect(text).not.toContain(new URL(uri.uri).password);

    // Keys on a diet: after a full run every key expires, except the few with a documented bound.
    // The bounds are listed in apps/worker/README.md ("Redis keys and their bounds").
    // The documented keys are all in the core slot (`<prefix>{core}:`, see keyspace.ts).
    const core = corePrefix(redis.prefix);
    const withoutTtl = await keysWithoutTtl(redis.connect(), redis.prefix);
    expect(withoutTtl.filter((k) => !k.startsWith(core))).toEqual([]);
    const unbounded = withoutTtl.map((k) => k.slice(core.length));
    const documented = [
      /^bull:(intents|webhooks|maintenance|github-post-back|preview-sweep):(completed|failed|events|id|meta|delayed|wait|paused|active|prioritized|pc|marker|stalled-check|repeat)$/,
      /^bull:intents:int_[0-9a-z]{26}$/, // finished jobs kept by removeOnComplete/removeOnFail (age and count)
      /^bull:maintenance:repeat:intent-sweeper(:\d+)?$/, // the job scheduler and its last runs (count 10)
      /^bull:maintenance:repeat:secrets-reseal(:\d+)?$/, // the re-seal job's scheduler and its last runs (count 10)
      /^bull:maintenance:repeat:durable-retention(:\d+)?$/, // the durable store's retention job: its scheduler and its last runs (count 10)
      /^bull:maintenance:reseal-secrets-[0-9a-f]{8}$/, // the once-per-key re-seal job: one per SECRETS_KEY, removed by age (7 days) on later completions
      /^bull:preview-sweep:repeat:preview-sweep(:\d+)?$/, // the preview sweep's scheduler and its last runs (count 10)
      /^bull:(budgets|quota):(completed|failed|events|id|meta|delayed|wait|paused|active|prioritized|pc|marker|stalled-check|repeat)$/,
      /^bull:budgets:repeat:budget-watch(:\d+)?$/, // the budget watch's scheduler and its last runs (count 10)
      /^bull:quota:repeat:quota-sweep(:\d+)?$/, // the quota sweep's scheduler and its last runs (count 10)
      /^bull:schedules:(completed|failed|events|id|meta|delayed|wait|paused|active|prioritized|pc|marker|stalled-check|repeat)$/,
      /^bull:schedules:repeat:reconcile(:\d+)?$/, // the team schedules' reconcile job: its scheduler and its last runs (count 10)
      /^bull:usage:(completed|failed|events|id|meta|delayed|wait|paused|active|prioritized|pc|marker|stalled-check|repeat)$/,
      /^bull:usage:repeat:usage-collect(:\d+)?$/, // the usage collection's scheduler and its last runs (count 24)
      /^bull:github-post-back:int_[0-9a-z]{26}-(queued|end)$/, // post-back jobs kept by removeOnComplete/removeOnFail (age and count)
      /^outbox$/, // trimmed to what every consumer group has handled
      /^team:demo:intents$/, // a team's index, pruned to the retention period on every create
    ];
    expect(unbounded.filter((key) => !documented.some((re) => re.test(key)))).toEqual([]);
    expect(unbounded).toContain('outbox');
  });

  it('makes exactly one intent and one Neon create from 100 parallel identical requests', { timeout: 60_000 }, async () => {
    const redis = useTestRedis('e2e');
    const config = loadStackConfig({ PORT: '0', SIM_PORT: '0', SIM_SCHEDULING_MS: '5', SIM_RUNNING_MS: '10', REDIS_URL: redis.url });
    // Load shedding off: API, worker, simulator and 100 clients share this process's event loop,
    // which a busy machine can hold past the 0.98 utilization mark (503 service_overloaded).
    const env = { KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', TEAMS_FILE: '/nonexistent/teams.yaml', OVERLOAD_MAX_EVENT_LOOP_UTILIZATION: '0', OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0' };
    const stack = await startStack(config, { env });
    onTestFinished(() => stack.close());
    const api = apiClient(stack.apiUrl, stack.demoToken);
    stack.sim!.control.resetCounters();

    const body = { kind: 'branch.create', params: { projectId: stack.demoProjectId, name: 'pr-100', endpoints: [{ type: 'read_write' }] } };
    const answers = await Promise.all(Array.from({ length: 100 }, () => api.request('POST', '/v1/intents', body, { 'idempotency-key': 'pr-100' })));
    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 202 || s === 409), JSON.stringify(answers.filter((a) => a.status !== 202 && a.status !== 409).slice(0, 3))).toBe(true);
    const ids = new Set(answers.filter((a) => a.status === 202).map((a) => a.body.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids] as string[];
    expect((await api.waitForEnd(id!)).status).toBe('succeeded');
    const listed = await api.request('GET', '/v1/intents?kind=branch.create&limit=100');
    expect((listed.body.items as unknown[]).length).toBe(1);
    expect(stack.sim!.control.counters().byRoute['POST /projects/{project_id}/branches']).toEqual({ '201': 1 });
  });
});
