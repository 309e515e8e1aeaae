import { describe, expect, it } from 'vitest';
import { NeonopsClient } from './client/api.js';
import type { IntentView } from './client/schemas.js';
import { followIntentEvents } from './follow-events.js';
import { startFaultyProxy } from './test/proxy.js';
import { cliEnv, collector, getIntent, runCli, spawnCli, startTestStack, submit } from './test/helpers.js';
import { main } from './main.js';

/** The lines that report a step's end: `✓ name …`, `✗ name …`, `- name skipped`. */
const stepLines = (text: string) => text.split('\n').filter((l) => /^[✓✗-] /.test(l) && !l.startsWith('✓ intent ') && !l.startsWith('✗ intent '));
/** The steps that ended, as the API shows them. */
const endedSteps = (steps: unknown) => (steps as { name: string; status: string }[]).filter((s) => ['succeeded', 'failed', 'skipped'].includes(s.status)).map((s) => s.name);

describe('neonops intents watch (against the stack)', () => {
  it('follows the event stream to the end: a ✓ line per step, the end line, exit 0; plain lines when stdout is not a terminal (real bin)', async () => {
    const stack = await startTestStack({ runningMs: 200 });
    const id = await submit(stack, 'branch.create', { projectId: stack.demoProjectId, endpoints: [{ type: 'read_write' }] });
    const run = await spawnCli(['intents', 'watch', id], cliEnv(stack)).exited;

    expect(run.code, run.stderr).toBe(0);
    const done = await getIntent(stack, id);
    // One line per step that ended, in the intent's order, each once.
    expect(stepLines(run.stdout).map((l) => l.split(' ')[1])).toEqual(endedSteps(done.steps));
    expect(run.stdout).toMatch(/^✓ create_branch \d+\.\ds$/m);
    expect(run.stdout).toMatch(/^- create_role skipped$/m);
    expect(run.stdout).toMatch(new RegExp(`^✓ intent ${id} succeeded in \\d+\\.\\ds$`, 'm'));
    expect(run.stdout).not.toContain('\x1b[');
    expect(run.stdout + run.stderr).not.toContain(stack.demoToken);
    expect(run.stdout).not.toContain((done.secrets?.connectionUris?.[0]?.uri ?? 'no-uri') as string);
  });

  it('on a terminal: a spinner line redrawn in place while Neon works, cleared before each permanent line', async () => {
    const stack = await startTestStack({ runningMs: 400 });
    const id = await submit(stack, 'branch.create', { projectId: stack.demoProjectId, endpoints: [{ type: 'read_write' }] });
    const stdout = collector(true);
    const stderr = collector();
    const code = await main(['intents', 'watch', id], { stdout: stdout.out, stderr: stderr.out, env: cliEnv(stack) });
    expect(code, stderr.text()).toBe(0);
    const text = stdout.text();
    const redrawn = text.split('\r\x1b[2K').slice(1);
    expect(redrawn.some((s) => /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] \S+ (waiting for Neon|running)/.test(s))).toBe(true);
    // What remains on screen once the carriage returns are applied: the permanent lines only.
    const screen = text
      .split('\n')
      .map((line) => line.split('\r\x1b[2K').pop() ?? '')
      .filter((l) => l !== '');
    expect(screen.at(-1)).toMatch(new RegExp(`^✓ intent ${id} succeeded`));
    expect(screen.filter((l) => !/^(intent |✓ |- |… |↻ )/.test(l))).toEqual([]);
  });

  it('a failed intent exits 1 with a ✗ line and its error on stderr', async () => {
    const stack = await startTestStack();
    stack.sim!.control.setOperationTiming({ failureRate: 1 });
    const id = await submit(stack, 'branch.create', { projectId: stack.demoProjectId });
    const run = await runCli(['intents', 'watch', id], cliEnv(stack));
    expect(run.code, run.stderr).toBe(1);
    const done = await getIntent(stack, id);
    const error = done.error as { code: string; message: string };
    expect(run.stdout).toContain(`✗ intent ${id} failed`);
    expect(run.stderr).toContain(`error: intent ${id} failed`);
    expect(run.stderr).toContain(`${error.code}: ${error.message}`);
  });

  it('--timeout exits 3 while the intent keeps running', async () => {
    const stack = await startTestStack({ runningMs: 120_000 });
    const id = await submit(stack, 'branch.create', { projectId: stack.demoProjectId });
    const started = Date.now();
    const run = await runCli(['intents', 'watch', id, '--timeout', '1.5'], cliEnv(stack));
    expect(run.code, run.stderr).toBe(3);
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(run.stderr).toMatch(new RegExp(`timed out after 2 s: intent ${id} is still (queued|running|waiting)`));
  });

  it('an unknown intent exits 4 with intent_not_found', async () => {
    const stack = await startTestStack();
    const run = await runCli(['intents', 'watch', 'int_doesnotexist'], cliEnv(stack));
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('404 intent_not_found');
  });

  it('resumes a dropped stream with Last-Event-ID: every view arrives once, in order, up to the end', async () => {
    const stack = await startTestStack({ schedulingMs: 200, runningMs: 600 });
    const proxy = await startFaultyProxy(stack.apiUrl);
    proxy.cutStreams(2, 1);
    const id = await submit(stack, 'branch.create', { projectId: stack.demoProjectId, endpoints: [{ type: 'read_write' }] });
    const client = new NeonopsClient({ baseUrl: proxy.url, token: stack.demoToken });
    const views: IntentView[] = [];
    const seenAtDrop: (string | undefined)[] = [];
    const outcome = await followIntentEvents(client, id, {
      deadline: Date.now() + 30_000,
      onView: (view) => views.push(view),
      onReconnect: () => seenAtDrop.push(views.at(-1)?.updatedAt as string | undefined),
    });

    expect(outcome.done).toBe(true);
    // At least the first stream was cut; the second too unless the intent had ended by then.
    expect(proxy.cuts()).toBeGreaterThanOrEqual(1);
    expect(seenAtDrop).toHaveLength(proxy.cuts());
    const eventIds = views.map((v) => Date.parse(v.updatedAt as string));
    // Never a state twice, never one older than what was seen: the resume skipped exactly what had arrived.
    expect(eventIds).toEqual([...eventIds].sort((a, b) => a - b));
    expect(new Set(eventIds).size).toBe(eventIds.length);
    const streams = proxy.requests.filter((r) => r.url.endsWith('/events'));
    expect(streams).toHaveLength(proxy.cuts() + 1);
    expect(streams[0]?.lastEventId).toBeUndefined();
    // Each reconnect names the last event that arrived before the drop.
    expect(streams.slice(1).map((r) => r.lastEventId)).toEqual(seenAtDrop.map((at) => String(Date.parse(at!))));
    expect(views.at(-1)).toMatchObject({ id, status: 'succeeded' });
    expect(views.at(-1)).not.toHaveProperty('secrets');
    // And the last view is the intent as it ended.
    const done = await getIntent(stack, id);
    expect(views.at(-1)?.steps).toEqual(done.steps);
  });

  it('the CLI rides out dropped streams and a 503 on reconnect, and still prints each step once (exit 0)', async () => {
    const stack = await startTestStack({ runningMs: 300 });
    const proxy = await startFaultyProxy(stack.apiUrl);
    proxy.cutStreams(1, 1);
    const id = await submit(stack, 'branch.create', { projectId: stack.demoProjectId, endpoints: [{ type: 'read_write' }] });
    // The reconnect after the cut meets an overloaded API once.
    const run = runCli(['intents', 'watch', id], cliEnv(stack, { NEONOPS_URL: proxy.url }));
    proxy.failNext(1, 503, { path: /\/events$/ });
    const result = await run;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('note: event stream dropped');
    const done = await getIntent(stack, id);
    expect(stepLines(result.stdout).map((l) => l.split(' ')[1])).toEqual(endedSteps(done.steps));
    expect(result.stdout + result.stderr).not.toContain(stack.demoToken);
  });
});
