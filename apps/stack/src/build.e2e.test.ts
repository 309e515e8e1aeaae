import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { useTestRedis, waitUntil } from '@neonops/testing';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The production build as the image runs it: `pnpm build` (esbuild bundles per process entry),
 * then `pnpm deploy --prod` of the stack into a fresh directory (production dependencies only,
 * hoisted as in the Dockerfile), the bundles copied beside it, and `node dist/...` started
 * there — no tsx, no TypeScript source, no devDependencies, no workspace symlinks.
 */
describe('the production build (pnpm build + pnpm deploy --prod)', () => {
  let dir = '';

  beforeAll(async () => {
    await run('pnpm', ['build'], { cwd: root, env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } });
    dir = mkdtempSync(join(tmpdir(), 'neonops-build-'));
    const out = join(dir, 'app');
    await run(
      'pnpm',
      ['--filter', '@neonops/stack', 'deploy', '--prod', '--offline', '--config.inject-workspace-packages=true', '--config.node-linker=hoisted', out],
      { cwd: root },
    );
    for (const [from, to] of [
      ['apps/api/dist', 'dist/api'],
      ['apps/worker/dist', 'dist/worker'],
      ['apps/stack/dist', 'dist/stack'],
      ['packages/neon-sim/dist', 'dist/neon-sim'],
    ] as const) {
      cpSync(join(root, from), join(out, to), { recursive: true });
    }
    return () => rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  const app = () => join(dir, 'app');

  it('holds production dependencies only: no tsx or vitest to run the bundles', () => {
    expect(existsSync(join(app(), 'node_modules', 'bullmq'))).toBe(true);
    expect(existsSync(join(app(), 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(app(), 'node_modules', 'vitest'))).toBe(false);
    // the Lua scripts our code reads at run time travel with each bundle
    expect(existsSync(join(app(), 'dist/worker/assets/packages/intents/src/commands'))).toBe(true);
    expect(existsSync(join(app(), 'dist/api/assets/apps/api/src/commands/idempotency-begin-1.lua'))).toBe(true);
  });

  it('starts the stack from node dist/stack/start.js: /readyz is 200, a branch.create succeeds end to end, traced over OTLP', async () => {
    const redis = useTestRedis('build');
    // Tracing on, to a loopback OTLP/HTTP receiver: the bundles' OpenTelemetry dependencies resolve in the deployed tree.
    const otlpBodies: string[] = [];
    const otlp = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/v1/traces') otlpBodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => otlp.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => otlp.close(() => resolve())));
    const child = spawn(process.execPath, [join(app(), 'dist/stack/start.js')], {
      cwd: app(),
      env: {
        PATH: process.env.PATH ?? '',
        REDIS_URL: redis.url,
        KEY_PREFIX: redis.prefix,
        PORT: '0',
        SIM_PORT: '0',
        SIM_SCHEDULING_MS: '10',
        SIM_RUNNING_MS: '20',
        LOG_LEVEL: 'warn',
        TEAMS_FILE: '/nonexistent/teams.yaml',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(otlp.address() as AddressInfo).port}`,
        // Every trace kept: the default keeps one new trace in ten.
        OTEL_TRACES_SAMPLER_ARG: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    onTestFinished(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    });

    const banner = await waitUntil(() => (child.exitCode !== null ? Promise.reject(new Error(`the stack exited: ${out}`)) : /export TOKEN=(\S+)/.test(out) && out), {
      timeoutMs: 60_000,
      what: () => `the stack's banner (output so far: ${out})`,
    });
    const apiUrl = /API\s+(http:\/\/\S+)/.exec(banner)?.[1];
    const token = /export TOKEN=(\S+)/.exec(banner)?.[1];
    const projectId = /"projectId":"([^"]+)"/.exec(banner)?.[1];
    expect(apiUrl && token && projectId).toBeTruthy();

    const ready = await fetch(`${apiUrl}/readyz`);
    expect(ready.status).toBe(200);

    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'build-1' };
    const accepted = await fetch(`${apiUrl}/v1/intents`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ kind: 'branch.create', params: { projectId, endpoints: [{ type: 'read_write' }] } }),
    });
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    const done = await waitUntil(
      async () => {
        const view = (await (await fetch(`${apiUrl}/v1/intents/${id}`, { headers })).json()) as { status: string; result?: { branch?: { id: string } } };
        return ['succeeded', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
      },
      { timeoutMs: 30_000, what: `intent ${id} to finish` },
    );
    expect(done.status).toBe('succeeded');
    expect(done.result?.branch?.id).toMatch(/^br-/);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The graceful stop exported the last spans: the intent's job ran traced.
    const spans = otlpBodies.join('\n');
    expect(spans).toContain('process intents');
    expect(spans).toContain(id);
  });

  it('runs the simulator and the team-token CLI from their bundles', async () => {
    const sim = await run(process.execPath, [join(app(), 'dist/neon-sim/cli.js'), '--help'], { cwd: app() });
    expect(sim.stdout).toContain('--port');
    const tokenDir = mkdtempSync(join(tmpdir(), 'neonops-teams-'));
    onTestFinished(() => rmSync(tokenDir, { recursive: true, force: true }));
    const file = join(tokenDir, 'teams.yaml');
    const token = await run(process.execPath, [join(app(), 'dist/api/create-team-token.js'), 'payments', '--file', file], { cwd: app() });
    expect(token.stdout).toMatch(/nop_\S+/);
    expect(existsSync(file)).toBe(true);
  });
});
