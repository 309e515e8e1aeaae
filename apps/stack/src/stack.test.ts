import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { scanKeys } from '@neonops/intents';
import { useTestRedis, waitUntil } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { banner } from './banner.js';
import { loadStackConfig } from './config.js';
import { startStack } from './stack.js';

interface IntentView {
  id: string;
  status: string;
  result?: { branch?: { id: string; name: string } };
  secrets?: { connectionUris?: { uri: string; pooledUri: string }[] };
}

describe('pnpm start (the stack)', () => {
  it('runs a branch.create from the printed curl example to a branch in the simulator', async () => {
    const redis = useTestRedis('stack');
    const config = loadStackConfig({ PORT: '0', SIM_PORT: '0', SIM_SCHEDULING_MS: '10', SIM_RUNNING_MS: '20', REDIS_URL: redis.url });
    const stack = await startStack(config, { env: { KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', TEAMS_FILE: '/nonexistent/teams.yaml' } });
    onTestFinished(() => stack.close());

    const text = banner(stack, redis.url);
    expect(text).toContain(stack.demoToken);
    expect(text).toContain(`${stack.apiUrl}/v1/intents`);
    expect(text).toContain(stack.demoProjectId);

    const headers = { authorization: `Bearer ${stack.demoToken}`, 'content-type': 'application/json', 'idempotency-key': 'stack-1' };
    const branchNames = async () => {
      const res = await fetch(`${stack.apiUrl}/v1/projects/${stack.demoProjectId}/branches`, { headers: { authorization: headers.authorization } });
      return { cache: res.headers.get('x-cache'), names: ((await res.json()) as { branches: { name: string }[] }).branches.map((b) => b.name) };
    };
    // A read before the change is cached (a few seconds) ...
    await branchNames();
    expect((await branchNames()).cache).toBe('hit');
    const body = JSON.stringify({ kind: 'branch.create', params: { projectId: stack.demoProjectId, endpoints: [{ type: 'read_write' }] } });
    const accepted = await fetch(`${stack.apiUrl}/v1/intents`, { method: 'POST', headers, body });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as IntentView;

    const done = await waitUntil(async () => {
      const res = await fetch(`${stack.apiUrl}/v1/intents/${id}`, { headers });
      const view = (await res.json()) as IntentView;
      return ['succeeded', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
    });
    expect(done.status).toBe('succeeded');
    const branches = stack.sim!.control.state().branches.filter((b) => b.projectId === stack.demoProjectId && !b.deletedAt && b.name === done.result?.branch?.name);
    expect(branches).toHaveLength(1);
    expect(done.secrets?.connectionUris?.[0]?.pooledUri).toContain('-pooler.');
    // ... and forgotten by the worker once the intent changed the project: the new branch reads at once.
    expect((await branchNames()).names).toContain(done.result?.branch?.name);
  });

  it('deletes the keys of its prefix on close when asked (throwaway runs such as pnpm demo)', async () => {
    const redis = useTestRedis('stack');
    const config = loadStackConfig({ PORT: '0', SIM_PORT: '0', SIM_SCHEDULING_MS: '0', SIM_RUNNING_MS: '0', REDIS_URL: redis.url });
    const stack = await startStack(config, {
      env: { KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', TEAMS_FILE: '/nonexistent/teams.yaml' },
      deleteKeysOnClose: true,
    });
    const accepted = await fetch(`${stack.apiUrl}/v1/intents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.demoToken}`, 'content-type': 'application/json', 'idempotency-key': 'k' },
      body: JSON.stringify({ kind: 'branch.create', params: { projectId: stack.demoProjectId } }),
    });
    expect(accepted.status).toBe(202);
    const client = redis.connect();
    // Every master of a cluster (KEYS asks one node).
    const keys = async () => {
      const all: string[] = [];
      for await (const batch of scanKeys(client, `${redis.prefix}*`)) all.push(...batch);
      return all;
    };
    expect((await keys()).length).toBeGreaterThan(0);
    await stack.close();
    expect(await keys()).toEqual([]);
  });

  it('says clearly how to get a Redis when none answers', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./start.ts', import.meta.url))], {
      env: { ...process.env, REDIS_URL: 'redis://127.0.0.1:1', PORT: '0', SIM_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('No Redis answers at 127.0.0.1:1');
    expect(stderr).toContain('redis-server');
  });
});
