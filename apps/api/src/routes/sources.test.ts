import { describe, expect, it } from 'vitest';
import { previewRuleSchema } from '@neonops/intents';
import { githubDelivery, pullRequestEvent } from '../../test/github.js';
import { buildTestApp } from '../../test/helper.js';

const github = { kind: 'github', projectId: 'p-alpha', repositories: ['Codertocat/Hello-World'] };

describe('/v1/sources', () => {
  it('creates a GitHub source with its defaults, shows the secret once, lists, reads and deletes it', async () => {
    const t = await buildTestApp();
    const created = await t.as('alpha', { method: 'POST', url: '/v1/sources', payload: github });
    expect(created.statusCode, t.logs()).toBe(201);
    const body = created.json();
    expect(body).toMatchObject({
      kind: 'github',
      repositories: ['codertocat/hello-world'],
      preview: { nameTemplate: 'preview/pr-{number}-{head_ref}', endpoint: { type: 'read_write' }, ttlSeconds: 604_800, resetOnPush: false, allowForks: false },
      hookPath: `/v1/hooks/github/${body.id}`,
    });
    expect(body.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(created.headers.location).toBe(`/v1/sources/${body.id}`);
    const read = await t.as('alpha', { method: 'GET', url: `/v1/sources/${body.id}` });
    expect(read.statusCode).toBe(200);
    expect(read.body).not.toContain(body.secret);
    expect(read.json().sealedSecret).toBeUndefined();
    expect((await t.as('alpha', { method: 'GET', url: '/v1/sources' })).json().items).toHaveLength(1);
    // The secret is sealed at rest.
    const raw = await t.redis.connect().get(`${t.redis.prefix}{sources}:source:${body.id}`);
    expect(raw).not.toContain(body.secret);
    expect((await t.as('alpha', { method: 'DELETE', url: `/v1/sources/${body.id}` })).statusCode).toBe(204);
    expect((await t.as('alpha', { method: 'GET', url: `/v1/sources/${body.id}` })).statusCode).toBe(404);
  });

  it('takes a GitHub token for posting back: write-only, sealed at rest, shown as postsToGitHub', async () => {
    const t = await buildTestApp();
    const token = 'ghp_postBackToken0123456789abcdefABCDEF';
    const created = await t.as('alpha', { method: 'POST', url: '/v1/sources', payload: { ...github, githubToken: token } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.body).not.toContain(token);
    expect(created.json().postsToGitHub).toBe(true);
    const read = await t.as('alpha', { method: 'GET', url: `/v1/sources/${created.json().id}` });
    expect(read.body).not.toContain(token);
    expect(read.json()).toMatchObject({ postsToGitHub: true });
    expect(await t.redis.connect().get(`${t.redis.prefix}{sources}:source:${created.json().id}`)).not.toContain(token);
    const without = await t.as('alpha', { method: 'POST', url: '/v1/sources', payload: github });
    expect(without.json().postsToGitHub).toBe(false);
    // A token with spaces, or on a Standard Webhooks source, is refused and creates nothing.
    for (const payload of [{ ...github, githubToken: 'two words' }, { kind: 'standard-webhooks', githubToken: token }]) {
      const refused = await t.as('alpha', { method: 'POST', url: '/v1/sources', payload });
      expect(refused.statusCode).toBe(400);
      expect(refused.body).not.toContain(token);
    }
    expect((await t.as('alpha', { method: 'GET', url: '/v1/sources' })).json().items).toHaveLength(2);
  });

  it('stores the teams file’s sources at start: listed, deliveries verified with the secret from the environment, not deletable through the API, pruned once gone from the file', async () => {
    const secret = 'a-github-webhook-secret-0123456789';
    const source = { kind: 'github' as const, id: 'shop', projectId: 'p-alpha', repositories: ['Codertocat/Hello-World'], preview: previewRuleSchema.parse({}), secretEnv: 'SHOP_HOOK_SECRET' };
    const t = await buildTestApp({ fileSources: { teamIds: ['alpha'], sources: [{ teamId: 'alpha', source, secret }] } });
    await t.app.ready();
    const [listed] = (await t.as('alpha', { method: 'GET', url: '/v1/sources' })).json().items;
    expect(listed).toMatchObject({ id: 'src_alpha--shop', kind: 'github', fromTeamsFile: true, repositories: ['codertocat/hello-world'], postsToGitHub: false });
    expect(JSON.stringify(listed)).not.toContain(secret);
    expect(JSON.stringify(listed)).not.toContain('SHOP_HOOK_SECRET');
    const delivered = await t.app.inject(await githubDelivery('src_alpha--shop', secret, 'pull_request', pullRequestEvent({ action: 'opened' })));
    expect(delivered.statusCode, delivered.body).toBe(202);
    const refused = await t.as('alpha', { method: 'DELETE', url: '/v1/sources/src_alpha--shop' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'source_in_teams_file' });
    // The next start without it in the file: gone; a source made through the API stays.
    const api = await t.as('alpha', { method: 'POST', url: '/v1/sources', payload: github });
    const next = await buildTestApp({ keyPrefix: t.redis.prefix, secretBox: t.secretBox, fileSources: { teamIds: ['alpha'], sources: [] } });
    await next.app.ready();
    expect((await next.as('alpha', { method: 'GET', url: '/v1/sources' })).json().items.map((s: { id: string }) => s.id)).toEqual([api.json().id]);
  });

  it('makes a Standard Webhooks source with a whsec_ secret and restrictions', async () => {
    const t = await buildTestApp();
    const created = await t.as('alpha', { method: 'POST', url: '/v1/sources', payload: { kind: 'standard-webhooks', kinds: ['branch.create'], projects: ['p-alpha'] } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ kinds: ['branch.create'], projects: ['p-alpha'] });
    expect(created.json().secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  });

  it('keeps teams apart: another team’s source is 404 to read and to delete', async () => {
    const t = await buildTestApp();
    const id = (await t.as('alpha', { method: 'POST', url: '/v1/sources', payload: github })).json().id as string;
    expect((await t.as('beta', { method: 'GET', url: `/v1/sources/${id}` })).json().code).toBe('source_not_found');
    expect((await t.as('beta', { method: 'DELETE', url: `/v1/sources/${id}` })).statusCode).toBe(404);
    expect((await t.as('beta', { method: 'GET', url: '/v1/sources' })).json().items).toEqual([]);
    expect((await t.as('alpha', { method: 'GET', url: `/v1/sources/${id}` })).statusCode).toBe(200);
  });

  it.each([
    ['a project of another team', { ...github, projectId: 'p-beta' }, 404, 'project_not_found'],
    ['no repository', { ...github, repositories: [] }, 400, 'validation_failed'],
    ['a repository that is not owner/name', { ...github, repositories: ['hello'] }, 400, 'validation_failed'],
    ['an unknown placeholder', { ...github, preview: { nameTemplate: 'pr-{nubmer}' } }, 400, 'validation_failed'],
    ['a TTL over 30 days', { ...github, preview: { ttlSeconds: 31 * 86_400 } }, 400, 'validation_failed'],
    ['an unknown field', { ...github, secret: 'mine' }, 400, 'validation_failed'],
    ['an unknown kind', { kind: 'gitlab' }, 400, 'validation_failed'],
    ['a trigger kind that does not exist', { kind: 'standard-webhooks', kinds: ['branch.explode'] }, 400, 'validation_failed'],
    ['a trigger project of another team', { kind: 'standard-webhooks', projects: ['p-beta'] }, 404, 'project_not_found'],
  ])('refuses %s', async (_what, payload, status, code) => {
    const t = await buildTestApp();
    const res = await t.as('alpha', { method: 'POST', url: '/v1/sources', payload });
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().code).toBe(code);
    expect((await t.as('alpha', { method: 'GET', url: '/v1/sources' })).json().items).toEqual([]);
  });

  it('needs a team token', async () => {
    const t = await buildTestApp();
    expect((await t.app.inject({ method: 'POST', url: '/v1/sources', payload: github })).statusCode).toBe(401);
  });
});
