import { startNeonSimulator, type NeonSimulator } from '@neonops/neon-sim';
import { waitUntil } from '@neonops/testing';
import { startPreviewSweep, type PreviewSweepScheduler } from '@neonops/worker';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { pullRequestEvent } from './github.js';
import { stack as makeStack, type Stack } from './preview-stack.js';

let sim: NeonSimulator;
beforeAll(async () => {
  sim = await startNeonSimulator({ seed: 29, operations: { schedulingMs: 0, runningMs: 20 }, rateLimit: false });
});
afterAll(async () => {
  await sim.close();
});

/** The repository id of GitHub's example payloads (Codertocat/Hello-World). */
const REPOSITORY_ID = pullRequestEvent({ action: 'opened' }).repository.id;

function sweeper(s: Stack, now?: () => number): Promise<PreviewSweepScheduler> {
  return startPreviewSweep({
    connection: () => s.t.redis.connect(),
    redis: s.t.redis.connect(),
    keyPrefix: s.t.redis.prefix,
    store: s.store,
    secretBox: s.t.secretBox,
    neon: s.neon,
    logger: s.logger,
    apiUrl: s.github.url,
    intervalMs: 3_600_000,
    // As a deployment starts: scheduled sweeps only report; the test sweeps for real with sweepNow.
    dryRun: true,
    ...(now ? { now } : {}),
  }).then((sweep) => {
    onTestFinished(() => sweep.close());
    return sweep;
  });
}

const live = (s: Stack, name: string) => sim.control.state().branches.filter((b) => b.projectId === s.projectId && b.name === name && !b.deletedAt);

/** Opens PR `number` and waits for its preview branch. */
async function open(s: Stack, number: number): Promise<string> {
  const opened = await s.deliver(pullRequestEvent({ action: 'opened', number }));
  expect(opened.statusCode).toBe(202);
  expect((await s.ended(opened.body.intentId!)).status).toBe('succeeded');
  return `preview/pr-${number}-changes`;
}

describe('preview sweep (API + worker + simulator + fake GitHub)', () => {
  it('with a token: asks GitHub; a PR closed without its event loses its branch (dry run first, one teardown intent), an open one keeps it', { timeout: 60_000 }, async () => {
    const s = await stack();
    const lost = await open(s, 2);
    const kept = await open(s, 5);
    // GitHub says PR 2 is closed — its `closed` delivery never came; PR 5 is open.
    s.github.pulls.set(`${REPOSITORY_ID}#2`, { state: 'closed', updated_at: new Date().toISOString() });
    s.github.pulls.set(`${REPOSITORY_ID}#5`, { state: 'open', updated_at: new Date().toISOString() });
    const sweep = await sweeper(s);

    const dry = await sweep.sweepNow({ dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, sources: 1, previews: 2, errors: [] });
    expect(dry.swept).toEqual([expect.objectContaining({ branchName: lost, number: 2, reason: 'github_closed' })]);
    expect(dry.swept[0]?.intentId).toBeUndefined();
    expect(live(s, lost)).toHaveLength(1);

    const real = await sweep.sweepNow({ dryRun: false });
    const intentId = real.swept[0]?.intentId;
    expect(real.swept).toEqual([expect.objectContaining({ branchName: lost, reason: 'github_closed', intentId: expect.any(String) })]);
    // A sweep before the teardown ran makes no second intent (dedupe key per branch).
    const again = await sweep.sweepNow({ dryRun: false });
    for (const swept of again.swept) expect(swept).toMatchObject({ intentId, duplicate: true });
    const teardown = await s.ended(intentId!);
    expect(teardown.status).toBe('succeeded');
    expect(teardown.result).toMatchObject({ action: 'deleted' });
    expect(live(s, lost)).toEqual([]);
    expect(live(s, kept)).toHaveLength(1);
    const kinds = (await s.t.as('alpha', { method: 'GET', url: '/v1/intents' })).json().items.map((i: { kind: string }) => i.kind);
    expect(kinds.filter((k: string) => k === 'preview.teardown')).toHaveLength(1);
    expect((await sweep.sweepNow({ dryRun: false })).swept).toEqual([]);
  });

  it('without a token: a preview past its expires_at still there is deleted; GitHub is never asked', { timeout: 60_000 }, async () => {
    const s = await stack({ token: null });
    const name = await open(s, 7);
    const expiresAt = Date.parse(String(live(s, name)[0]?.expiresAt));
    expect(expiresAt).toBeGreaterThan(Date.now());
    expect((await (await sweeper(s)).sweepNow({ dryRun: false })).swept).toEqual([]);
    // The same sweep an hour past the expiry (Neon has not deleted it).
    const late = await sweeper(s, () => expiresAt + 3_600_000);
    const report = await late.sweepNow({ dryRun: false });
    expect(report.swept).toEqual([expect.objectContaining({ branchName: name, reason: 'expired', intentId: expect.any(String) })]);
    expect((await s.ended(report.swept[0]!.intentId!)).result).toMatchObject({ action: 'deleted' });
    await waitUntil(() => live(s, name).length === 0, { what: 'the expired preview deleted' });
    expect(s.github.calls).toEqual([]);
  });
});

const stack = (options?: Parameters<typeof makeStack>[1]): Promise<Stack> => makeStack(sim, options);
