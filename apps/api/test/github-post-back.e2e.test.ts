import { startNeonSimulator, type NeonSimulator } from '@neonops/neon-sim';
import { waitUntil } from '@neonops/testing';
import { STATUS_CONTEXT } from '@neonops/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGitHub } from './fake-github.js';
import { pullRequestEvent } from './github.js';
import { stack as makeStack, TOKEN, type Stack } from './preview-stack.js';

let sim: NeonSimulator;
beforeAll(async () => {
  sim = await startNeonSimulator({ seed: 23, operations: { schedulingMs: 0, runningMs: 20 }, rateLimit: false });
});
afterAll(async () => {
  await sim.close();
});
const stack = (options?: Parameters<typeof makeStack>[1]): Promise<Stack> => makeStack(sim, options);

const headSha = pullRequestEvent({ action: 'opened' }).pull_request.head.sha;
const statusOf = (g: FakeGitHub) => g.statuses.get(`${headSha}:${STATUS_CONTEXT}`);

describe('GitHub post-back (API + worker + simulator + fake GitHub)', () => {
  it('opened → success status and one comment with branch and host (never the password); synchronize and closed edit the same comment', { timeout: 60_000 }, async () => {
    const s = await stack();
    const t0 = Date.now();
    const opened = await s.deliver(pullRequestEvent({ action: 'opened', updatedAt: t0 }));
    expect(opened.statusCode).toBe(202);
    const ensure = await s.ended(opened.body.intentId!);
    expect(ensure.status).toBe('succeeded');
    const host = (ensure.result.endpoints as Array<{ host: string }>)[0]!.host;
    await waitUntil(() => statusOf(s.github)?.state === 'success' && s.comments()[0]?.body.includes(host), { what: 'the success status and the comment' });
    expect(statusOf(s.github)?.description).toBe('Preview database ready: preview/pr-2-changes');
    const [comment] = s.comments();
    expect(comment?.body).toContain(`<!-- neonops:preview source=${s.source.id} -->`);
    expect(comment?.body).toContain('`preview/pr-2-changes`');
    // The password of the connection URI is nowhere in what GitHub received.
    const password = new URL(ensure.secrets!.connectionUris[0]!.uri).password;
    expect(password.length).toBeGreaterThan(0);
    expect(JSON.stringify(s.github.calls)).not.toContain(password);
    expect(s.github.calls.every((c) => c.status < 400)).toBe(true);

    const pushed = await s.deliver(pullRequestEvent({ action: 'synchronize', updatedAt: t0 + 1000 }));
    const pushedEnd = await s.ended(pushed.body.intentId!);
    await waitUntil(() => s.comments()[0]?.body.includes(`(${String(pushedEnd.result.action)})`) && s.comments()[0]?.body.includes(pushed.body.intentId!), { what: 'the comment edited for the push' });

    const closed = await s.deliver(pullRequestEvent({ action: 'closed', updatedAt: t0 + 2000 }));
    await s.ended(closed.body.intentId!);
    await waitUntil(() => s.comments()[0]?.body.includes('Preview database: deleted') && statusOf(s.github)?.state === 'success', { what: 'the comment saying the preview is deleted' });
    expect(s.comments()).toHaveLength(1);
    // Posting the same intent again is harmless: the same comment, the same status.
    const creates = () => s.github.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/comments')).length;
    const before = creates();
    const body = s.comments()[0]?.body;
    for (let i = 0; i < 2; i++) expect(await s.postBack.postBack.post(closed.body.intentId!)).toEqual({ posted: { comment: 'updated' } });
    expect(s.comments()).toEqual([expect.objectContaining({ body })]);
    expect(creates()).toBe(before);
    // An older intent of the PR posts nothing over the newer one's comment.
    expect(await s.postBack.postBack.post(opened.body.intentId!)).toEqual({ skipped: 'superseded' });
  });

  it('a pending status as soon as the delivery is accepted (the intent still queued)', { timeout: 30_000 }, async () => {
    const s = await stack({ intents: false });
    const opened = await s.deliver(pullRequestEvent({ action: 'opened' }));
    expect(opened.statusCode).toBe(202);
    await waitUntil(() => statusOf(s.github)?.state === 'pending' && s.comments().length === 1, { what: 'the pending status' });
    expect(statusOf(s.github)?.description).toBe('Preparing the preview database');
    expect(s.comments()[0]?.body).toContain('being prepared');
  });

  it('GitHub 502 and 401 are retried with backoff, logged without the token, and never fail the intent', { timeout: 60_000 }, async () => {
    const s = await stack();
    s.github.failNext(3, 502);
    const opened = await s.deliver(pullRequestEvent({ action: 'opened' }));
    await waitUntil(() => s.github.calls.filter((c) => c.status === 502).length === 3, { what: 'three 502s' });
    s.github.failNext(1, 401);
    const ensure = await s.ended(opened.body.intentId!);
    expect(ensure.status).toBe('succeeded');
    await waitUntil(() => statusOf(s.github)?.state === 'success' && s.comments().length === 1, { what: 'the post-back after the failures' });
    expect(s.github.calls.some((c) => c.status === 401)).toBe(true);
    const logs = s.logs.join('');
    expect(logs).toContain('github post-back failed; retried later');
    expect(logs).not.toContain(TOKEN);
    expect(s.comments()).toHaveLength(1);
  });

  it('a source without a token posts nothing', { timeout: 30_000 }, async () => {
    const s = await stack({ token: null });
    const opened = await s.deliver(pullRequestEvent({ action: 'opened' }));
    await s.ended(opened.body.intentId!);
    // The outcome of the end job is logged: nothing was posted.
    await waitUntil(() => s.logs.some((l) => l.includes('no_token')), { what: 'the post-back skipped for want of a token' });
    expect(s.github.calls).toEqual([]);
  });
});
