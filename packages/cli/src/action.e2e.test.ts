import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createGithubSource, deliverPullRequest, sha } from './test/github-hooks.js';
import { BIN, githubOutputFile, parseGithubOutput, startTestStack } from './test/helpers.js';

const ACTION = new URL('../../../action.yml', import.meta.url);

/**
 * The `run:` script of one step of the composite action (`- id: <id>` … `run: |`), cut out
 * of action.yml by indentation: enough for this file's fixed layout, no YAML library needed.
 */
async function stepScript(id: string): Promise<string> {
  const lines = (await readFile(ACTION, 'utf8')).split('\n');
  const start = lines.findIndex((l) => l.trim() === `- id: ${id}`);
  const run = lines.findIndex((l, i) => i > start && l.trim() === 'run: |');
  const body: string[] = [];
  for (const line of lines.slice(run + 1)) {
    if (line.trim() !== '' && !line.startsWith('        ')) break;
    body.push(line.slice(8));
  }
  return body.join('\n');
}

function bash(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-c', script], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the GitHub Action (action.yml at the repository root)', () => {
  it('its wait step, run with bash as a runner does (inputs in the environment), fills the action’s outputs; without a PR number it fails clearly', async () => {
    const stack = await startTestStack();
    const text = await readFile(ACTION, 'utf8');
    // Every output the action declares is one the step writes.
    for (const name of ['db_url', 'db_url_pooled', 'branch', 'branch_id', 'host', 'intent_id']) expect(text).toContain(`value: \${{ steps.wait.outputs.${name} }}`);

    const source = await createGithubSource(stack);
    const intentId = await deliverPullRequest(stack, source, { action: 'opened', number: 21, sha: sha('1') });
    const gh = await githubOutputFile();
    const inputs = {
      NEONOPS_URL: stack.apiUrl,
      NEONOPS_TOKEN: stack.demoToken,
      NEONOPS_CLI: BIN,
      INPUT_REPO: 'octo-org/app',
      INPUT_PR: '21',
      INPUT_SHA: sha('1'),
      INPUT_TIMEOUT: '60',
      INPUT_DATABASE: '',
      INPUT_ROLE: '',
      GITHUB_OUTPUT: gh.path,
    };
    for (const name of Object.keys(inputs).filter((n) => n.startsWith('INPUT_') || n.startsWith('NEONOPS_'))) expect(text).toContain(`        ${name}: \${{`);
    const script = await stepScript('wait');
    const run = await bash(script, inputs);
    expect(run.code, run.stderr).toBe(0);
    const outputs = parseGithubOutput(await gh.read());
    expect(outputs).toMatchObject({ intent_id: intentId, branch: 'preview/pr-21-feature-21', status: 'succeeded' });
    expect(outputs.db_url).toMatch(/^postgres/);
    expect(run.stdout.split('\n')[0]).toBe(`::add-mask::${outputs.db_url}`);
    expect(run.stdout + run.stderr).not.toContain(stack.demoToken);

    const noPr = await bash(script, { ...inputs, INPUT_PR: '' });
    expect(noPr.code).toBe(2);
    expect(noPr.stdout).toContain('::error::no pull request number');
  });
});
