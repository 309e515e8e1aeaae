import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { example, githubDelivery, pullRequestEvent } from '../../test/github.js';
import { buildTestApp, jobCount, type TestApp } from '../../test/helper.js';

async function githubSource(t: TestApp, preview: Record<string, unknown> = {}, team = 'alpha', projectId = 'p-alpha'): Promise<{ id: string; secret: string }> {
  const res = await t.as(team, { method: 'POST', url: '/v1/sources', payload: { kind: 'github', projectId, repositories: ['Codertocat/Hello-World'], preview } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function intents(t: TestApp): Promise<Array<{ id: string; kind: string; params: Record<string, unknown> }>> {
  return (await t.as('alpha', { method: 'GET', url: '/v1/intents' })).json().items;
}

/** Nothing was queued or recorded. */
async function expectNothingChanged(t: TestApp): Promise<void> {
  expect(await intents(t)).toEqual([]);
  expect(await jobCount(t.queue)).toBe(0);
}

describe('POST /v1/hooks/github/:sourceId', () => {
  it('turns a real pull_request.opened into one preview.ensure intent; the same delivery again answers the first outcome', async () => {
    const t = await buildTestApp();
    const source = await githubSource(t);
    const delivery = await githubDelivery(source.id, source.secret, 'pull_request', pullRequestEvent({ action: 'opened' }));
    const first = await t.app.inject(delivery);
    expect(first.statusCode, first.body).toBe(202);
    expect(first.json()).toMatchObject({ outcome: 'queued', kind: 'preview.ensure' });
    const intentId = first.json().intentId as string;
    expect(first.headers.location).toBe(`/v1/intents/${intentId}`);
    const [intent] = await intents(t);
    expect(intent).toMatchObject({
      id: intentId,
      kind: 'preview.ensure',
      params: { projectId: 'p-alpha', name: 'preview/pr-2-changes', endpoints: [{ type: 'read_write' }], ttlSeconds: 604_800, reset: false, pullRequest: { sourceId: source.id, repositoryId: 186853002, number: 2 } },
    });

    const again = await t.app.inject(delivery);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await intents(t)).toHaveLength(1);
    expect(await jobCount(t.queue)).toBe(1);
  });

  it('maps synchronize (reset per rule) and closed (teardown)', async () => {
    const t = await buildTestApp();
    const source = await githubSource(t, { resetOnPush: true, parent: 'main' });
    const now = Date.now();
    const sync = await t.app.inject(await githubDelivery(source.id, source.secret, 'pull_request', pullRequestEvent({ action: 'synchronize', updatedAt: now })));
    expect(sync.statusCode, sync.body).toBe(202);
    const closed = await t.app.inject(await githubDelivery(source.id, source.secret, 'pull_request', pullRequestEvent({ action: 'closed', updatedAt: now + 1000 })));
    expect(closed.json()).toMatchObject({ outcome: 'queued', kind: 'preview.teardown' });
    const [teardown, ensure] = await intents(t);
    expect(ensure?.params).toMatchObject({ reset: true, parent: { name: 'main' } });
    expect(teardown?.params).toMatchObject({ name: 'preview/pr-2-changes' });
  });

  it('carries the rule’s database and owner role into preview.ensure; a reserved role name is refused when the source is made', async () => {
    const t = await buildTestApp();
    const source = await githubSource(t, { database: { name: 'app', owner: 'app_owner' } });
    const opened = await t.app.inject(await githubDelivery(source.id, source.secret, 'pull_request', pullRequestEvent({ action: 'opened' })));
    expect(opened.statusCode, opened.body).toBe(202);
    const [intent] = await intents(t);
    expect(intent?.params).toMatchObject({ database: { name: 'app', owner: 'app_owner' }, pullRequest: { repository: 'Codertocat/Hello-World' } });
    const refused = await t.as('alpha', {
      method: 'POST',
      url: '/v1/sources',
      payload: { kind: 'github', projectId: 'p-alpha', repositories: ['Codertocat/Hello-World'], preview: { database: { name: 'app', owner: 'public' } } },
    });
    expect(refused.statusCode).toBe(400);
    expect((await t.as('alpha', { method: 'GET', url: '/v1/sources' })).json().items).toHaveLength(1);
  });

  it('answers 200 and does nothing for ping, other events and other actions', async () => {
    const t = await buildTestApp();
    const source = await githubSource(t);
    for (const [event, payload, reason] of [
      ['ping', example('ping'), 'ping'],
      ['issues', example('issues', 'opened'), 'event_not_handled'],
      ['pull_request', example('pull_request', 'labeled'), 'action_not_handled'],
      ['pull_request', example('pull_request', 'assigned'), 'action_not_handled'],
    ] as const) {
      const res = await t.app.inject(await githubDelivery(source.id, source.secret, event, payload));
      expect({ event, status: res.statusCode, body: res.json() }).toEqual({ event, status: 200, body: { outcome: 'ignored', reason } });
    }
    await expectNothingChanged(t);
  });

  it('ignores a late opened after closed (by updated_at, not arrival order)', async () => {
    const t = await buildTestApp();
    const source = await githubSource(t);
    const now = Date.now();
    const closed = await t.app.inject(await githubDelivery(source.id, source.secret, 'pull_request', pullRequestEvent({ action: 'closed', updatedAt: now })));
    expect(closed.statusCode).toBe(202);
    const late = await t.app.inject(await githubDelivery(source.id, source.secret, 'pull_request', pullRequestEvent({ action: 'opened', updatedAt: now - 60_000 })));
    expect(late.json()).toEqual({ outcome: 'ignored', reason: 'stale_event' });
    expect((await intents(t)).map((i) => i.kind)).toEqual(['preview.teardown']);
  });

  it('refuses a missing or wrong signature with 401, without logging the body', async () => {
    const t = await buildTestApp();
    const source = await githubSource(t);
    const other = await githubSource(t, {}, 'beta', 'p-beta');
    const event = pullRequestEvent({ action: 'opened' });
    event.pull_request.title = 'MARKER-secret-title';
    for (const options of [{ signature: null }, { signature: 'sha256=00' }, { signature: 'garbage' }]) {
      const res = await t.app.inject(await githubDelivery(source.id, source.secret, 'pull_request', event, options));
      expect(res.statusCode, res.body).toBe(401);
      expect(res.json().code).toBe('hook_signature_invalid');
    }
    // Signed with another team's source secret, or for another team's source.
    expect((await t.app.inject(await githubDelivery(source.id, other.secret, 'pull_request', event))).statusCode).toBe(401);
    expect((await t.app.inject(await githubDelivery(other.id, source.secret, 'pull_request', event))).statusCode).toBe(401);
    // A body changed after signing.
    const signed = await githubDelivery(source.id, source.secret, 'pull_request', event);
    expect((await t.app.inject({ ...signed, payload: String(signed.payload).replace('MARKER', 'MARKEX') })).statusCode).toBe(401);
    expect(t.logs()).toContain('hook_signature_invalid');
    expect(t.logs()).not.toContain('MARKER');
    await expectNothingChanged(t);
  });

  it.each([
    ['an unknown source', async (t: TestApp, s: { id: string; secret: string }) => githubDelivery('src_nope', s.secret, 'pull_request', pullRequestEvent({ action: 'opened' })), 404, 'source_not_found'],
    [
      'a repository the source does not bind',
      async (t: TestApp, s: { id: string; secret: string }) => {
        const event = pullRequestEvent({ action: 'opened' });
        event.repository.full_name = 'Codertocat/Other';
        return githubDelivery(s.id, s.secret, 'pull_request', event);
      },
      422,
      'repository_not_bound',
    ],
    ['malformed JSON (signed)', async (t: TestApp, s: { id: string; secret: string }) => githubDelivery(s.id, s.secret, 'pull_request', null, { body: '{"action":' }), 400, 'malformed_json'],
    [
      'a pull_request event without its pull request',
      async (t: TestApp, s: { id: string; secret: string }) => githubDelivery(s.id, s.secret, 'pull_request', { action: 'opened', number: 1 }),
      400,
      'validation_failed',
    ],
    [
      'a delivery without X-GitHub-Delivery',
      async (t: TestApp, s: { id: string; secret: string }) => {
        const d = await githubDelivery(s.id, s.secret, 'pull_request', pullRequestEvent({ action: 'opened' }));
        const { 'x-github-delivery': _omit, ...headers } = d.headers as Record<string, string>;
        return { ...d, headers };
      },
      400,
      'validation_failed',
    ],
    [
      'a huge payload',
      async (t: TestApp, s: { id: string; secret: string }) => {
        const event = pullRequestEvent({ action: 'opened' });
        event.pull_request.body = 'x'.repeat(2 * 1024 * 1024);
        return githubDelivery(s.id, s.secret, 'pull_request', event);
      },
      413,
      'body_too_large',
    ],
    [
      'a form-encoded delivery',
      async (t: TestApp, s: { id: string; secret: string }) => {
        const d = await githubDelivery(s.id, s.secret, 'pull_request', null, { body: 'payload=%7B%7D' });
        return { ...d, headers: { ...(d.headers as Record<string, string>), 'content-type': 'application/x-www-form-urlencoded' } };
      },
      415,
      'unsupported_media_type',
    ],
  ])('refuses %s, changing nothing', async (_what, make, status, code) => {
    const t = await buildTestApp();
    const source = await githubSource(t);
    const res = await t.app.inject(await make(t, source));
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().code).toBe(code);
    expect(res.headers['content-type']).toContain('application/problem+json');
    await expectNothingChanged(t);
  });

  it('answers a fork 200 and ignores it unless the rule allows forks', async () => {
    const t = await buildTestApp();
    const strict = await githubSource(t);
    const open = await githubSource(t, { allowForks: true });
    const fork = pullRequestEvent({ action: 'opened', fork: true });
    const refused = await t.app.inject(await githubDelivery(strict.id, strict.secret, 'pull_request', fork));
    expect(refused.json()).toEqual({ outcome: 'ignored', reason: 'fork_not_allowed' });
    await expectNothingChanged(t);
    expect((await t.app.inject(await githubDelivery(open.id, open.secret, 'pull_request', fork))).statusCode).toBe(202);
  });

  it('refuses with 422 a template that gives no usable branch name for this pull request', async () => {
    const t = await buildTestApp();
    const source = await githubSource(t, { nameTemplate: '{head_ref}' });
    const res = await t.app.inject(await githubDelivery(source.id, source.secret, 'pull_request', pullRequestEvent({ action: 'opened', headRef: '日本語' })));
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'preview_name_invalid' });
    await expectNothingChanged(t);
    // The same delivery id is free again for a fixed redelivery.
  });
});

describe('POST /v1/hooks/:sourceId (Standard Webhooks)', () => {
  async function standardSource(t: TestApp, restrict: Record<string, unknown> = {}) {
    const res = await t.as('alpha', { method: 'POST', url: '/v1/sources', payload: { kind: 'standard-webhooks', ...restrict } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; secret: string };
  }
  function signed(sourceId: string, secret: string, body: unknown, options: { id?: string; at?: Date } = {}) {
    const payload = JSON.stringify(body);
    const id = options.id ?? `msg_${crypto.randomUUID()}`;
    const at = options.at ?? new Date();
    return {
      method: 'POST' as const,
      url: `/v1/hooks/${sourceId}`,
      payload,
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(id, at, payload),
      },
    };
  }
  const request = { kind: 'branch.create', params: { projectId: 'p-alpha', name: 'from-deploy-tool' } };

  it('queues a signed intent request once per webhook-id', async () => {
    const t = await buildTestApp();
    const source = await standardSource(t);
    const delivery = signed(source.id, source.secret, request);
    const first = await t.app.inject(delivery);
    expect(first.statusCode, first.body).toBe(202);
    expect(first.json()).toMatchObject({ kind: 'branch.create', status: 'queued', idempotencyKey: `webhook:${delivery.headers['webhook-id']}` });
    const again = await t.app.inject(delivery);
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
    expect(await intents(t)).toHaveLength(1);
  });

  it.each([
    ['a wrong secret', {}, (s: { id: string; secret: string }) => signed(s.id, `whsec_${Buffer.alloc(32, 1).toString('base64')}`, request), 401, 'hook_signature_invalid'],
    ['a timestamp 10 minutes old', {}, (s: { id: string; secret: string }) => signed(s.id, s.secret, request, { at: new Date(Date.now() - 600_000) }), 401, 'hook_signature_invalid'],
    ['a kind the source may not trigger', { kinds: ['branch.delete'] }, (s: { id: string; secret: string }) => signed(s.id, s.secret, request), 403, 'trigger_forbidden'],
    ['a project the source may not use', { projects: ['p-alpha'] }, (s: { id: string; secret: string }) => signed(s.id, s.secret, { kind: 'project.create', params: {} }), 403, 'trigger_forbidden'],
    ['a project of another team', {}, (s: { id: string; secret: string }) => signed(s.id, s.secret, { ...request, params: { projectId: 'p-beta' } }), 404, 'project_not_found'],
    ['invalid params', {}, (s: { id: string; secret: string }) => signed(s.id, s.secret, { kind: 'branch.create', params: { projectId: 'p-alpha', color: 'red' } }), 400, 'validation_failed'],
    ['a GitHub source id', 'github', (s: { id: string; secret: string }) => signed(s.id, s.secret, request), 404, 'source_not_found'],
  ])('refuses %s, changing nothing', async (_what, restrict, make, status, code) => {
    const t = await buildTestApp();
    const source = restrict === 'github' ? await githubSource(t) : await standardSource(t, restrict as Record<string, unknown>);
    const res = await t.app.inject(make(source));
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().code).toBe(code);
    await expectNothingChanged(t);
  });
});
