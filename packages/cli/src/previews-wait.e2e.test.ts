import { waitUntil } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';
import { createGithubSource, deliverPullRequest, sha } from './test/github-hooks.js';
import { cliEnv, collector, getIntent, githubOutputFile, parseGithubOutput, runCli, spawnCli, startTestStack } from './test/helpers.js';

describe('neonops previews wait (against the stack, previews made by signed GitHub pull_request hooks)', () => {
  it('--output github: db_url, db_url_pooled, branch, host in $GITHUB_OUTPUT, an ::add-mask:: line for each secret first, the token nowhere (real bin)', async () => {
    const stack = await startTestStack();
    const source = await createGithubSource(stack);
    const intentId = await deliverPullRequest(stack, source, { action: 'opened', number: 42, sha: sha('a') });
    const gh = await githubOutputFile();
    const run = await spawnCli(
      ['previews', 'wait', '--repo', 'octo-org/app', '--pr', '42', '--sha', sha('a'), '--output', 'github', '--timeout', '60'],
      cliEnv(stack, { GITHUB_OUTPUT: gh.path }),
    ).exited;

    expect(run.code, run.stderr).toBe(0);
    const stored = await getIntent(stack, intentId);
    expect(stored.status).toBe('succeeded');
    const conn = stored.secrets!.connectionUris![0]!;
    const result = stored.result as { branch: { id: string; name: string }; endpoints: { host: string }[] };
    const outputs = parseGithubOutput(await gh.read());
    expect(outputs).toEqual({
      db_url: conn.uri,
      db_url_pooled: conn.pooledUri,
      branch: result.branch.name,
      branch_id: result.branch.id,
      host: result.endpoints[0]!.host,
      intent_id: intentId,
      status: 'succeeded',
    });
    expect(outputs.branch).toBe('preview/pr-42-feature-42');
    const password = decodeURIComponent(new URL(conn.uri).password);
    const lines = run.stdout.split('\n').filter((l) => l !== '');
    const masks = lines.filter((l) => l.startsWith('::add-mask::'));
    expect(masks).toEqual(expect.arrayContaining([`::add-mask::${conn.uri}`, `::add-mask::${conn.pooledUri}`, `::add-mask::${password}`]));
    // The masks come first; no other line on stdout or stderr shows a secret.
    expect(lines.slice(0, masks.length)).toEqual(masks);
    const rest = [...lines.slice(masks.length), ...run.stderr.split('\n')].join('\n');
    expect(rest).not.toContain(password);
    expect(run.stdout + run.stderr).not.toContain(stack.demoToken);
  });

  it('--output env prints DATABASE_URL and DATABASE_URL_POOLED; json has no secrets unless --show-secrets', async () => {
    const stack = await startTestStack();
    const source = await createGithubSource(stack);
    const intentId = await deliverPullRequest(stack, source, { action: 'opened', number: 7, sha: sha('b') });
    const args = ['previews', 'wait', '--repo', 'OCTO-ORG/app', '--pr', '7'];
    const env = await runCli([...args, '--output', 'env'], cliEnv(stack));
    expect(env.code, env.stderr).toBe(0);
    const conn = (await getIntent(stack, intentId)).secrets!.connectionUris![0]!;
    const lines = env.stdout.split('\n');
    expect(lines).toContain(`DATABASE_URL='${conn.uri}'`);
    expect(lines).toContain(`DATABASE_URL_POOLED='${conn.pooledUri}'`);

    const json = await runCli(args, cliEnv(stack));
    expect(json.code, json.stderr).toBe(0);
    const preview = JSON.parse(json.stdout) as { repo: string; pr: number; state: string; intent: { id: string; secrets?: unknown } };
    expect(preview).toMatchObject({ repo: 'octo-org/app', pr: 7, state: 'open', intent: { id: intentId, status: 'succeeded' } });
    expect(preview.intent.secrets).toBeUndefined();
    expect(json.stdout).not.toContain(new URL(conn.uri).password);

    const shown = await runCli([...args, '--show-secrets'], cliEnv(stack));
    expect((JSON.parse(shown.stdout) as { intent: { secrets: { connectionUris: { uri: string }[] } } }).intent.secrets.connectionUris[0]?.uri).toBe(conn.uri);
  });

  it('waits for a preview that does not exist yet: the pull request event arrives after the CLI started', async () => {
    const stack = await startTestStack();
    const source = await createGithubSource(stack);
    const stdout = collector();
    const stderr = collector();
    const running = main(['previews', 'wait', '--repo', 'octo-org/app', '--pr', '9', '--output', 'env', '--timeout', '60'], {
      stdout: stdout.out,
      stderr: stderr.out,
      env: cliEnv(stack),
    });
    await waitUntil(() => stderr.text().includes('no preview for octo-org/app#9 yet (preview_not_found)'));
    const intentId = await deliverPullRequest(stack, source, { action: 'opened', number: 9, sha: sha('c') });
    expect(await running, stderr.text()).toBe(0);
    expect(stdout.text()).toContain(`NEONOPS_INTENT_ID=${intentId}`);
    expect(stdout.text()).toMatch(/^DATABASE_URL='postgres/m);
  });

  it('--sha: the intent of an older push does not count; the CLI ends with the one for the new head', async () => {
    const stack = await startTestStack();
    const source = await createGithubSource(stack);
    const t0 = Date.now() - 10_000;
    const first = await deliverPullRequest(stack, source, { action: 'opened', number: 5, sha: sha('d'), updatedAt: t0 });
    expect((await runCli(['previews', 'wait', '--repo', 'octo-org/app', '--pr', '5'], cliEnv(stack))).code).toBe(0);

    const stdout = collector();
    const stderr = collector();
    const running = main(['previews', 'wait', '--repo', 'octo-org/app', '--pr', '5', '--sha', sha('e').slice(0, 12), '--timeout', '60'], {
      stdout: stdout.out,
      stderr: stderr.out,
      env: cliEnv(stack),
    });
    await waitUntil(() => stderr.text().includes(`the preview's latest intent is for commit ${sha('d').slice(0, 12)}`));
    const second = await deliverPullRequest(stack, source, { action: 'synchronize', number: 5, sha: sha('e'), updatedAt: t0 + 1000 });
    expect(await running, stderr.text()).toBe(0);
    const preview = JSON.parse(stdout.text()) as { intent: { id: string; params: { pullRequest: { headSha: string } } } };
    expect(preview.intent.id).toBe(second);
    expect(preview.intent.id).not.toBe(first);
    expect(preview.intent.params.pullRequest.headSha).toBe(sha('e'));
  });

  it('a closed pull request exits 1: its preview was torn down', async () => {
    const stack = await startTestStack();
    const source = await createGithubSource(stack);
    const t0 = Date.now() - 10_000;
    await deliverPullRequest(stack, source, { action: 'opened', number: 3, sha: sha('f'), updatedAt: t0 });
    const teardown = await deliverPullRequest(stack, source, { action: 'closed', number: 3, sha: sha('f'), updatedAt: t0 + 1000 });
    const gh = await githubOutputFile();
    const run = await runCli(['previews', 'wait', '--repo', 'octo-org/app', '--pr', '3', '--output', 'github'], cliEnv(stack, { GITHUB_OUTPUT: gh.path }));
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain(`error: pull request octo-org/app#3 is closed: its preview was torn down (intent ${teardown} succeeded)`);
    expect(await gh.read()).toBe('');
  });

  it('no preview within --timeout exits 3', async () => {
    const stack = await startTestStack();
    const run = await runCli(['previews', 'wait', '--repo', 'octo-org/app', '--pr', '404', '--timeout', '1.5'], cliEnv(stack));
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain('timed out after 2 s waiting for the preview of octo-org/app#404: no preview exists');
  });
});
