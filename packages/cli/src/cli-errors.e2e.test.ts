import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { redacting } from './context.js';
import { cliEnv, runCli, startTestStack } from './test/helpers.js';

/** A port on which nothing listens (bound, then released). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe('usage errors, API errors and help', () => {
  it('bad usage or configuration exits 2 with the reason and a pointer to --help, and submits nothing', async () => {
    const stack = await startTestStack();
    const env = cliEnv(stack);
    const params = JSON.stringify({ projectId: stack.demoProjectId });
    const cases: [string[], Record<string, string>, string][] = [
      [['intents', 'submit', '--params', params], env, '--kind is required'],
      [['intents', 'submit', '--kind', 'branch.create', '--params', '{nope'], env, '--params is not valid JSON'],
      [['intents', 'submit', '--kind', 'branch.create', '--params', '[1]'], env, '--params must hold a JSON object'],
      [['intents', 'submit', '--kind', 'branch.create', '--params', '@/nonexistent/params.json'], env, 'cannot read --params file /nonexistent/params.json (ENOENT)'],
      [['intents', 'submit', '--kind', 'branch.create', '--params', params, '--colour'], env, "Unknown option '--colour'"],
      [['intents', 'submit', '--kind', 'branch.create', '--params', params, '--output', 'xml'], env, '--output must be one of json, env, github, not xml'],
      [['intents', 'submit', '--kind', 'branch.create', '--params', params, '--wait', '--timeout', '0'], env, '--timeout must be a positive number of seconds'],
      [['intents', 'submit', '--kind', 'branch.create', '--params', params, '--timeout', '5'], env, '--timeout needs --wait'],
      [['intents', 'submit', '--kind', 'branch.create', '--params', params, '--output', 'github'], env, '--output github needs $GITHUB_OUTPUT'],
      [['intents', 'submit', '--kind', 'branch.create', '--params', params], { NEONOPS_TOKEN: stack.demoToken }, 'no API URL: set NEONOPS_URL or pass --url'],
      [['intents', 'submit', '--kind', 'branch.create', '--params', params], { NEONOPS_URL: stack.apiUrl }, 'no token: set NEONOPS_TOKEN or pass --token'],
      [['intents', 'submit', '--kind', 'branch.create', '--params', params, '--url', 'ftp://x'], env, 'the API URL must be http(s)'],
      [['intents', 'watch'], env, 'give one intent id'],
      [['previews', 'wait', '--repo', 'just-a-name', '--pr', '1'], env, '--repo must be owner/name'],
      [['previews', 'wait', '--repo', 'o/n', '--pr', 'abc'], env, '--pr must be a pull request number'],
      [['previews', 'wait', '--repo', 'o/n', '--pr', '1', '--sha', 'main'], env, '--sha must be a commit hash'],
      [['previews', 'wait', '--repo', 'o/n', '--pr', '1', '--output', 'github'], env, '--output github needs $GITHUB_OUTPUT'],
      [['intents', 'launch'], env, 'unknown command: intents launch'],
      [['deploy'], env, 'unknown command: deploy'],
    ];
    for (const [args, caseEnv, message] of cases) {
      const run = await runCli(args, caseEnv);
      expect(run.code, `${args.join(' ')}\n${run.stderr}`).toBe(2);
      expect(run.stderr).toContain(`error: ${message}`);
      expect(run.stderr).toMatch(/\(see: neonops .*--help\)/);
      expect(run.stdout).toBe('');
    }
    const list = await fetch(`${stack.apiUrl}/v1/intents`, { headers: { authorization: `Bearer ${stack.demoToken}` } });
    expect(((await list.json()) as { items: unknown[] }).items).toEqual([]);
  });

  it('a refused token exits 4 and is never printed, from the environment or from --token', async () => {
    const stack = await startTestStack();
    const wrong = 'nop_wrongtoken_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    for (const [args, env] of [
      [['intents', 'watch', 'int_x'], { NEONOPS_URL: stack.apiUrl, NEONOPS_TOKEN: wrong }],
      [['intents', 'watch', 'int_x', '--token', wrong], { NEONOPS_URL: stack.apiUrl }],
      [['intents', 'submit', '--kind', 'branch.create', '--params', '{}', `--token=${wrong}`], { NEONOPS_URL: stack.apiUrl }],
      [['previews', 'wait', '--repo', 'o/n', '--pr', '1'], { NEONOPS_URL: stack.apiUrl, NEONOPS_TOKEN: wrong }],
    ] as const) {
      const run = await runCli([...args], { ...env });
      expect(run.code, run.stderr).toBe(4);
      expect(run.stderr).toContain('401 unauthorized');
      expect(run.stderr).toContain('(the API refused the token: check NEONOPS_TOKEN)');
      expect(run.stdout + run.stderr).not.toContain(wrong);
    }
  });

  it('params the API refuses exit 4 with its validation detail (nothing retried)', async () => {
    const stack = await startTestStack();
    const run = await runCli(['intents', 'submit', '--kind', 'branch.create', '--params', '{"endpoints":"many"}', '--wait'], cliEnv(stack));
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/POST \/v1\/intents answered 400 validation_failed: .*projectId/);
    expect(run.stderr).not.toContain('retrying');
  });

  it('an API that cannot be reached exits 4 after retrying (a POST too, thanks to its idempotency key; a watch until its timeout)', async () => {
    const port = await closedPort();
    const token = 'nop_unreachable_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
    const run = await runCli(['intents', 'submit', '--kind', 'branch.create', '--params', '{}'], { NEONOPS_URL: `http://127.0.0.1:${port}`, NEONOPS_TOKEN: token });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('error: POST /v1/intents failed: ECONNREFUSED');
    expect(run.stderr.match(/retrying in/g)).toHaveLength(4);
    expect(run.stdout + run.stderr).not.toContain(token);

    // A watch that never got through says why when its time is up: an API error, not a timeout.
    const watch = await runCli(['intents', 'watch', 'int_x', '--timeout', '1'], { NEONOPS_URL: `http://127.0.0.1:${port}`, NEONOPS_TOKEN: token });
    expect(watch.code, watch.stderr).toBe(4);
    expect(watch.stderr).toContain('note: event stream dropped (GET /v1/intents/int_x/events failed: ECONNREFUSED)');
    expect(watch.stderr).toContain('error: GET /v1/intents/int_x/events failed: ECONNREFUSED');
  });

  it('--help of every command exits 0 and documents the exit codes; no command prints the main help and exits 2', async () => {
    for (const args of [['--help'], ['intents', 'submit', '--help'], ['intents', 'watch', '--help'], ['previews', 'wait', '-h']]) {
      const run = await runCli(args, {});
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout).toContain('Exit codes:');
      expect(run.stdout).toContain('3  timed out');
    }
    expect((await runCli(['intents', 'submit', '--help'], {})).stdout).toContain('Default: a fresh random key, so\n                              that the POST can be retried safely');
    const bare = await runCli([], {});
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain('neonops intents submit');
    expect((await runCli(['--version'], {})).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('an output cannot show the token even if a message carried it', () => {
    let text = '';
    const out = redacting({ write: (s: string) => (text += s), isTTY: true }, ['nop_tok_123456']);
    out.write('error: something about nop_tok_123456 and nop_tok_123456\n');
    expect(text).toBe('error: something about *** and ***\n');
    expect(out.isTTY).toBe(true);
  });
});
