import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStackConfig, startStack, type RunningStack } from '@neonops/stack';
import { useTestRedis } from '@neonops/testing';
import { onTestFinished } from 'vitest';
import { main } from '../main.js';
import type { CliContext } from '../context.js';

/** The real `bin/neonops.js`. */
export const BIN = fileURLToPath(new URL('../../bin/neonops.js', import.meta.url));

export interface TestStackOptions {
  /** Simulated Neon operation times, ms. Defaults 10 / 30. */
  schedulingMs?: number;
  runningMs?: number;
}

/** The whole service (simulator, worker, API with the demo team) on this test's Redis prefix; closed after the test. */
export async function startTestStack(options: TestStackOptions = {}): Promise<RunningStack> {
  const redis = useTestRedis('cli');
  const config = loadStackConfig({
    PORT: '0',
    SIM_PORT: '0',
    SIM_SCHEDULING_MS: String(options.schedulingMs ?? 10),
    SIM_RUNNING_MS: String(options.runningMs ?? 30),
    REDIS_URL: redis.url,
  });
  const stack = await startStack(config, { env: { KEY_PREFIX: redis.prefix, LOG_LEVEL: 'silent', TEAMS_FILE: '/nonexistent/teams.yaml' } });
  onTestFinished(() => stack.close());
  return stack;
}

/** The environment a CI step would give the CLI for this stack. */
export function cliEnv(stack: RunningStack, extra: Record<string, string> = {}): Record<string, string> {
  return { NEONOPS_URL: stack.apiUrl, NEONOPS_TOKEN: stack.demoToken, ...extra };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A collecting output, optionally pretending to be a terminal. */
export function collector(tty = false): { out: CliContext['stdout']; text: () => string } {
  let text = '';
  return {
    out: { write: (chunk: string) => (text += chunk), isTTY: tty, columns: 100 },
    text: () => text,
  };
}

/** Runs `main` in this process with the given environment (fast: no tsx start-up). */
export async function runCli(args: string[], env: Record<string, string>, extra: Partial<CliContext> = {}): Promise<CliRun> {
  const stdout = collector();
  const stderr = collector();
  const code = await main(args, { stdout: stdout.out, stderr: stderr.out, env, requests: { baseDelayMs: 20, maxDelayMs: 100 }, ...extra });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** A running `node bin/neonops.js …` child: its output so far and its exit. */
export interface CliChild {
  output(): { stdout: string; stderr: string };
  exited: Promise<CliRun>;
}

/** Starts the real executable (`node bin/neonops.js`, TypeScript through tsx) in a child process; killed when the test ends. */
export function spawnCli(args: string[], env: Record<string, string>): CliChild {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<CliRun>((resolve) => child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { output: () => ({ stdout, stderr }), exited };
}

/** A fresh directory with a `$GITHUB_OUTPUT` file path in it; removed after the test. */
export async function githubOutputFile(): Promise<{ path: string; read: () => Promise<string> }> {
  const dir = await mkdtemp(join(tmpdir(), 'neonops-cli-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'github_output');
  return { path, read: () => readFile(path, 'utf8').catch(() => '') };
}

/**
 * Parses a `$GITHUB_OUTPUT` file as the runner does: `name=value` lines and
 * `name<<DELIMITER` … `DELIMITER` blocks.
 */
export function parseGithubOutput(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
      if (i >= lines.length) throw new Error(`no closing delimiter for ${name}`);
      out[name!] = value.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`not an output line: ${line}`);
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** Submits an intent over HTTP as the demo team; returns its id. */
export async function submit(stack: RunningStack, kind: string, params: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${stack.apiUrl}/v1/intents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.demoToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind, params }),
  });
  if (res.status !== 202) throw new Error(`${kind}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** The intent as the API shows it (with secrets). */
export async function getIntent(stack: RunningStack, id: string): Promise<Record<string, unknown> & { status: string; secrets?: { connectionUris?: { uri: string; pooledUri: string }[] } }> {
  const res = await fetch(`${stack.apiUrl}/v1/intents/${id}`, { headers: { authorization: `Bearer ${stack.demoToken}` } });
  return (await res.json()) as never;
}
