import { describe, expect, it } from 'vitest';
import { teamSchema, TeamsFileError } from '../teams/teams-file.js';
import { resolveFileSources } from './file-sources.js';

const GITHUB_SECRET = 'a-github-webhook-secret-0123456789';
const WHSEC = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const team = (sources: unknown[]) => teamSchema.parse({ id: 'acme', projects: ['p-acme'], sources });
const github = { kind: 'github', id: 'shop', projectId: 'p-acme', repositories: ['acme/shop'], secretEnv: 'SHOP_HOOK_SECRET' };

describe('resolveFileSources', () => {
  it('reads each source’s secrets from the variables it names, with the rule’s defaults', () => {
    const resolved = resolveFileSources(
      [team([{ ...github, githubTokenEnv: 'SHOP_GITHUB_TOKEN' }, { kind: 'standard-webhooks', id: 'deploys', kinds: ['branch.create'], secretEnv: 'DEPLOY_HOOK_SECRET' }])],
      { SHOP_HOOK_SECRET: GITHUB_SECRET, SHOP_GITHUB_TOKEN: 'ghp_token', DEPLOY_HOOK_SECRET: WHSEC },
    );
    expect(resolved.teamIds).toEqual(['acme']);
    expect(resolved.sources).toEqual([
      expect.objectContaining({ teamId: 'acme', secret: GITHUB_SECRET, githubToken: 'ghp_token', source: expect.objectContaining({ id: 'shop', preview: expect.objectContaining({ ttlSeconds: 604_800 }) }) }),
      expect.objectContaining({ teamId: 'acme', secret: WHSEC, source: expect.objectContaining({ id: 'deploys', kind: 'standard-webhooks' }) }),
    ]);
  });

  it.each([
    ['an unset variable', [github], {}, /teams\.acme\.sources\.0\.secretEnv: SHOP_HOOK_SECRET is not set/],
    ['a short GitHub secret', [github], { SHOP_HOOK_SECRET: 'short' }, /at least 16 characters/],
    ['a Standard Webhooks secret that is no whsec_ key', [{ kind: 'standard-webhooks', id: 'd', secretEnv: 'D' }], { D: 'plain-text-secret-value' }, /whsec_/],
    ['a literal secret instead of a variable name', [{ ...github, secretEnv: 'not a name' }], {}, /secretEnv: an environment variable name/],
    ['a project not the team’s', [{ ...github, projectId: 'p-other' }], { SHOP_HOOK_SECRET: GITHUB_SECRET }, /p-other is not one of team acme's projects/],
    ['a duplicate id', [github, github], { SHOP_HOOK_SECRET: GITHUB_SECRET }, /duplicate source id shop/],
    ['an unknown field', [{ ...github, secret: GITHUB_SECRET }], { SHOP_HOOK_SECRET: GITHUB_SECRET }, /teams\.acme\.sources\.0/],
    ['an unset token variable', [{ ...github, githubTokenEnv: 'TOKEN_X' }], { SHOP_HOOK_SECRET: GITHUB_SECRET }, /TOKEN_X is not set/],
  ])('refuses %s, naming where — never a secret', (_what, sources, env, message) => {
    let error: unknown;
    try {
      resolveFileSources([team(sources)], env as Record<string, string>);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TeamsFileError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(GITHUB_SECRET);
    expect((error as Error).message).not.toContain('plain-text-secret-value');
  });
});
