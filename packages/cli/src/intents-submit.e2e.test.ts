import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEnv, getIntent, githubOutputFile, parseGithubOutput, runCli, spawnCli, startTestStack } from './test/helpers.js';

describe('neonops intents submit (against the stack)', () => {
  it('--wait: a branch.create ends succeeded, exit 0, the intent as JSON without secrets, progress on stderr, the token nowhere (real bin, child process)', async () => {
    const stack = await startTestStack();
    const params = JSON.stringify({ projectId: stack.demoProjectId, endpoints: [{ type: 'read_write' }] });
    const run = await spawnCli(['intents', 'submit', '--kind', 'branch.create', '--params', params, '--wait'], cliEnv(stack)).exited;

    expect(run.code, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout) as { id: string; status: string; secrets?: unknown; result: { branch: { name: string } } };
    expect(printed.status).toBe('succeeded');
    expect(printed.secrets).toBeUndefined();
    const stored = await getIntent(stack, printed.id);
    expect(stored.status).toBe('succeeded');
    const uri = stored.secrets?.connectionUris?.[0]?.uri;
    expect(uri).toMatch(/^postgres/);
    expect(run.stdout).not.toContain(uri);
    expect(run.stderr).toContain(`submitted intent ${printed.id}`);
    expect(run.stderr).toMatch(/^✓ /m);
    expect(run.stderr).toContain(`✓ intent ${printed.id} succeeded`);
    expect(run.stdout + run.stderr).not.toContain(stack.demoToken);
    // Exactly one branch made, with the name the intent reports.
    const branches = stack.sim!.control.state().branches.filter((b) => b.name === printed.result.branch.name && !b.deletedAt);
    expect(branches).toHaveLength(1);
  });

  it('--wait --output env prints DATABASE_URL and DATABASE_URL_POOLED, the intent’s own connection URIs, shell-quoted', async () => {
    const stack = await startTestStack();
    const run = await runCli(
      ['intents', 'submit', '--kind', 'branch.create', '--params', JSON.stringify({ projectId: stack.demoProjectId, endpoints: [{ type: 'read_write' }] }), '--wait', '--output', 'env'],
      cliEnv(stack),
    );
    expect(run.code, run.stderr).toBe(0);
    const env = Object.fromEntries(
      run.stdout
        .trim()
        .split('\n')
        .map((line) => {
          const [, key, value] = /^([A-Z_]+)=(.*)$/.exec(line)!;
          return [key, value!.replace(/^'(.*)'$/, '$1')];
        }),
    );
    const stored = await getIntent(stack, env.NEONOPS_INTENT_ID!);
    const conn = stored.secrets!.connectionUris![0]!;
    expect(env.DATABASE_URL).toBe(conn.uri);
    expect(env.DATABASE_URL_POOLED).toBe(conn.pooledUri);
    expect(env.DATABASE_URL_POOLED).toContain('-pooler.');
    expect(env.NEONOPS_INTENT_STATUS).toBe('succeeded');
    expect(env.NEONOPS_HOST).toBe(new URL(conn.uri).hostname);
    expect(run.stdout + run.stderr).not.toContain(stack.demoToken);
  });

  it('--wait --output github appends every output to $GITHUB_OUTPUT and masks both URIs and the password first', async () => {
    const stack = await startTestStack();
    const gh = await githubOutputFile();
    const run = await runCli(
      ['intents', 'submit', '--kind', 'branch.create', '--params', JSON.stringify({ projectId: stack.demoProjectId, endpoints: [{ type: 'read_write' }] }), '--wait', '--output', 'github'],
      cliEnv(stack, { GITHUB_OUTPUT: gh.path }),
    );
    expect(run.code, run.stderr).toBe(0);
    const outputs = parseGithubOutput(await gh.read());
    const stored = await getIntent(stack, outputs.intent_id!);
    const conn = stored.secrets!.connectionUris![0]!;
    expect(outputs).toMatchObject({ db_url: conn.uri, db_url_pooled: conn.pooledUri, status: 'succeeded', host: new URL(conn.uri).hostname });
    expect(outputs.branch).toMatch(/\S/);
    const password = decodeURIComponent(new URL(conn.uri).password);
    const masks = run.stdout.split('\n').filter((l) => l.startsWith('::add-mask::'));
    expect(masks).toEqual(expect.arrayContaining([`::add-mask::${conn.uri}`, `::add-mask::${conn.pooledUri}`, `::add-mask::${password}`]));
    // Nothing but mask commands carries a secret on stdout, and the masks come before anything else.
    const other = run.stdout.split('\n').filter((l) => l !== '' && !l.startsWith('::add-mask::'));
    expect(other.join('\n')).not.toContain(password);
    expect(run.stdout.indexOf('::add-mask::')).toBe(0);
    expect(run.stdout + run.stderr).not.toContain(stack.demoToken);
  });

  it('a failed intent exits 1 with its error code and message on stderr', async () => {
    const stack = await startTestStack();
    stack.sim!.control.setOperationTiming({ failureRate: 1 });
    const run = await runCli(['intents', 'submit', '--kind', 'branch.create', '--params', JSON.stringify({ projectId: stack.demoProjectId }), '--wait'], cliEnv(stack));
    expect(run.code, run.stderr).toBe(1);
    const printed = JSON.parse(run.stdout) as { id: string; status: string; error: { code: string; message: string } };
    expect(printed.status).toBe('failed');
    expect(run.stderr).toContain(`error: intent ${printed.id} failed`);
    expect(run.stderr).toContain(`${printed.error.code}: ${printed.error.message}`);
  });

  it('a wait that outlasts --timeout exits 3 and says the intent keeps running', async () => {
    const stack = await startTestStack({ runningMs: 120_000 });
    const started = Date.now();
    const run = await runCli(['intents', 'submit', '--kind', 'branch.create', '--params', JSON.stringify({ projectId: stack.demoProjectId }), '--wait', '--timeout', '2'], cliEnv(stack));
    expect(run.code, run.stderr).toBe(3);
    expect(Date.now() - started).toBeLessThan(10_000);
    const printed = JSON.parse(run.stdout) as { id: string; status: string };
    expect(['queued', 'running', 'waiting']).toContain(printed.status);
    expect(run.stderr).toContain(`timed out after 2 s: intent ${printed.id} is still`);
    expect(run.stderr).toContain(`neonops intents watch ${printed.id}`);
  });

  it('without --wait: exit 0 with the accepted intent; the same --idempotency-key gives the same intent, --params @file reads a file', async () => {
    const stack = await startTestStack();
    const dir = (await githubOutputFile()).path.replace(/github_output$/, '');
    const file = join(dir, 'params.json');
    await writeFile(file, JSON.stringify({ projectId: stack.demoProjectId }));
    const args = ['intents', 'submit', '--kind', 'branch.create', '--params', `@${file}`, '--idempotency-key', 'ci-run-7'];
    const first = await runCli(args, cliEnv(stack));
    const again = await runCli(args, cliEnv(stack));
    expect(first.code, first.stderr).toBe(0);
    expect(again.code, again.stderr).toBe(0);
    const a = JSON.parse(first.stdout) as { id: string; kind: string; idempotencyKey: string };
    expect(a).toMatchObject({ kind: 'branch.create', idempotencyKey: 'ci-run-7' });
    expect((JSON.parse(again.stdout) as { id: string }).id).toBe(a.id);
  });
});
