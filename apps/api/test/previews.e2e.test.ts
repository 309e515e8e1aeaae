import { startNeonSimulator, type NeonSimulator } from '@neonops/neon-sim';
import { startReceiver } from '@neonops/webhooks/test-receiver';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { pullRequestEvent } from './github.js';
import { stack as makeStack, type Stack } from './preview-stack.js';

let sim: NeonSimulator;
beforeAll(async () => {
  sim = await startNeonSimulator({ seed: 19, operations: { schedulingMs: 0, runningMs: 20 }, rateLimit: false });
});
afterAll(async () => {
  await sim.close();
});

/** A project on the simulator, the API, one worker with its webhook relay, and a GitHub source (reset on push) without a token. */
const stack = (): Promise<Stack> =>
  makeStack(sim, { token: null, preview: { resetOnPush: true, ttlSeconds: 3600 }, concurrency: 16, maxActiveIntents: 200, webhooks: true });

describe('pull request previews (API + worker + simulator)', () => {
  it('opened → a branch with its endpoint and a verified completion webhook; redelivery → still one; synchronize → restored; closed → gone', { timeout: 120_000 }, async () => {
    const s = await stack();
    const receiver = await startReceiver();
    onTestFinished(() => receiver.close());
    const sub = await s.t.as('alpha', { method: 'POST', url: '/v1/webhooks', payload: { url: `${receiver.url}/ci`, events: ['intent.*'], include_secrets: true } });
    expect(sub.statusCode, sub.body).toBe(201);
    const subscriptionSecret = sub.json().secret as string;
    const name = 'preview/pr-2-changes';
    const t0 = Date.now();

    const opened = await s.deliver(pullRequestEvent({ action: 'opened', updatedAt: t0 }), { deliveryId: 'delivery-opened' });
    expect(opened.statusCode, JSON.stringify(opened.body)).toBe(202);
    const ensure = await s.ended(opened.body.intentId!);
    expect(ensure.status, JSON.stringify(ensure.error)).toBe('succeeded');
    expect(ensure.result).toMatchObject({ action: 'created', branch: { name }, endpoints: [{ type: 'read_write' }] });
    const [branch] = s.branches(name);
    expect(branch?.expiresAt).toBeDefined();
    expect(sim.control.state().endpoints.filter((e) => e.branchId === branch?.id && !e.deletedAt)).toHaveLength(1);

    // CI's receiver gets the signed completion event with the host and, with include_secrets, the URI.
    const [got] = await receiver.waitFor(1);
    const event = new Webhook(subscriptionSecret).verify(got!.body, got!.headers) as {
      type: string;
      data: { id: string; kind: string; result: { branch: { name: string }; endpoints: { host: string }[] }; secrets: { connectionUris: { uri: string }[] } };
    };
    expect(event).toMatchObject({ type: 'intent.succeeded', data: { id: opened.body.intentId, kind: 'preview.ensure', result: { branch: { name } } } });
    expect(event.data.result.endpoints[0]?.host).toMatch(/\./);
    expect(event.data.secrets.connectionUris[0]?.uri).toMatch(/^postgres(ql)?:\/\//);

    // CI finds its preview without knowing the intent: branch, host and (the owning team only) the URIs.
    const found = await s.t.as('alpha', { method: 'GET', url: '/v1/previews?repo=Codertocat/Hello-World&pr=2&wait=30' });
    expect(found.statusCode, found.body).toBe(200);
    expect(found.json()).toMatchObject({
      repo: 'codertocat/hello-world',
      pr: 2,
      state: 'open',
      branch: { id: branch?.id, name },
      host: event.data.result.endpoints[0]?.host,
      intent: { id: opened.body.intentId, status: 'succeeded', secrets: { connectionUris: [{ uri: expect.stringMatching(/^postgres/) }] } },
    });
    const unknownPr = await s.t.as('alpha', { method: 'GET', url: '/v1/previews?repo=Codertocat/Hello-World&pr=999' });
    expect(unknownPr.statusCode).toBe(404);
    expect(unknownPr.json()).toMatchObject({ code: 'preview_not_found' });
    expect((await s.t.as('alpha', { method: 'GET', url: '/v1/previews?repo=not-a-repo&pr=2' })).statusCode).toBe(400);

    // GitHub's "Redeliver": the first outcome, nothing new.
    const redelivered = await s.deliver(pullRequestEvent({ action: 'opened', updatedAt: t0 }), { deliveryId: 'delivery-opened' });
    expect(redelivered).toEqual({ statusCode: 200, body: opened.body });
    expect(s.branches(name)).toHaveLength(1);

    const pushed = await s.deliver(pullRequestEvent({ action: 'synchronize', updatedAt: t0 + 1000 }));
    const reset = await s.ended(pushed.body.intentId!);
    expect(reset.result).toMatchObject({ action: 'reset', branch: { id: branch?.id } });
    expect(s.branches(name)).toEqual([expect.objectContaining({ id: branch?.id, restoredFrom: s.mainId })]);

    const closed = await s.deliver(pullRequestEvent({ action: 'closed', updatedAt: t0 + 2000 }));
    expect((await s.ended(closed.body.intentId!)).result).toMatchObject({ action: 'deleted', branchId: branch?.id });
    expect(s.branches(name)).toEqual([]);
    const afterClose = (await s.t.as('alpha', { method: 'GET', url: '/v1/previews?repo=codertocat/hello-world&pr=2&wait=30' })).json();
    expect(afterClose).toMatchObject({ state: 'closed', intent: { id: closed.body.intentId, kind: 'preview.teardown', status: 'succeeded' } });

    const kinds = (await s.t.as('alpha', { method: 'GET', url: '/v1/intents' })).json().items.map((i: { kind: string }) => i.kind);
    expect(kinds).toEqual(['preview.teardown', 'preview.ensure', 'preview.ensure']);
    await receiver.waitFor(3);
  });

  it('closed processed before opened → no branch at the end, whatever order the intents run in', { timeout: 120_000 }, async () => {
    const s = await stack();
    const t0 = Date.now();
    // PR 3: closed arrives first; the late opened is ignored.
    const closed = await s.deliver(pullRequestEvent({ action: 'closed', number: 3, updatedAt: t0 + 1000 }));
    expect((await s.ended(closed.body.intentId!)).result).toMatchObject({ action: 'gone' });
    expect((await s.deliver(pullRequestEvent({ action: 'opened', number: 3, updatedAt: t0 }))).body).toEqual({ outcome: 'ignored', reason: 'stale_event' });
    expect(s.branches('preview/pr-3-changes')).toEqual([]);

    // PR 4: opened and closed accepted back to back; both intents race in the worker.
    const [opened4, closed4] = await Promise.all([
      s.deliver(pullRequestEvent({ action: 'opened', number: 4, updatedAt: t0 })),
      s.deliver(pullRequestEvent({ action: 'closed', number: 4, updatedAt: t0 + 1000 })),
    ]);
    const ends = await Promise.all([opened4, closed4].map((r) => (r.body.intentId ? s.ended(r.body.intentId) : undefined)));
    for (const end of ends) if (end) expect(end.status, JSON.stringify(end.error)).toBe('succeeded');
    expect(s.branches('preview/pr-4-changes')).toEqual([]);
  });

  it('50 pull requests opened at once on one project → 50 branches, no duplicates', { timeout: 120_000 }, async () => {
    const s = await stack();
    const numbers = Array.from({ length: 50 }, (_, i) => 100 + i);
    const answers = await Promise.all(numbers.map((number) => s.deliver(pullRequestEvent({ action: 'opened', number, headRef: `feature-${number}` }))));
    expect(answers.every((a) => a.statusCode === 202)).toBe(true);
    const ends = await Promise.all(answers.map((a) => s.ended(a.body.intentId!)));
    expect(ends.filter((e) => e.status !== 'succeeded').map((e) => e.error)).toEqual([]);
    for (const number of numbers) expect(s.branches(`preview/pr-${number}-feature-${number}`)).toHaveLength(1);
    expect(sim.control.state().branches.filter((b) => b.projectId === s.projectId && !b.deletedAt)).toHaveLength(51);
  });
});
