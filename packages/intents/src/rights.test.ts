import { parseTeamsFile, teamSchema, type Team, type TeamInput } from '@neonops/teams';
import { useTestRedis } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import type { IntentRequest } from './catalog.js';
import { IntentRights, type IntentRightsOptions } from './rights.js';

const team = (input: TeamInput): Team => teamSchema.parse(input);

function setup(teams: Team[], options: Partial<IntentRightsOptions> = {}) {
  const redis = useTestRedis('rights');
  const client = redis.connect();
  const rights = new IntentRights(client, { prefix: redis.prefix, allTeams: () => teams, ...options });
  return { rights, client, prefix: redis.prefix };
}

const request = (kind: string, params: Record<string, unknown>) => ({ kind, params }) as IntentRequest;
const refusalCode = async (rights: IntentRights, who: Team, req: IntentRequest) => (await rights.refusal(who, req))?.code;

describe('IntentRights', () => {
  it('project.delete only for the owning team: refused on a shared project, allowed on its own (file or created)', async () => {
    const payments = team({ id: 'payments', projects: ['p-shared', 'p-own'], owns: ['p-own'] });
    const search = team({ id: 'search', projects: ['p-shared'], canCreateProjects: true });
    const { rights } = setup([payments, search]);
    expect(await refusalCode(rights, payments, request('project.delete', { projectId: 'p-shared' }))).toBe('not_project_owner');
    expect(await refusalCode(rights, search, request('project.delete', { projectId: 'p-shared' }))).toBe('not_project_owner');
    expect(await refusalCode(rights, payments, request('project.delete', { projectId: 'p-own' }))).toBeUndefined();
    // Everything else on the shared project stays allowed by default.
    expect(await refusalCode(rights, search, request('branch.create', { projectId: 'p-shared' }))).toBeUndefined();
    expect(await refusalCode(rights, search, request('project.update', { projectId: 'p-shared', name: 'x' }))).toBeUndefined();
    // A project the team's project.create made is its own.
    await rights.ownership.record('search', 'p-made');
    expect(await refusalCode(rights, search, request('project.delete', { projectId: 'p-made' }))).toBeUndefined();
    expect(await rights.ownerOf('p-made')).toBe('search');
    expect(await rights.ownerOf('p-own')).toBe('payments');
    expect(await rights.ownerOf('p-shared')).toBeUndefined();
    // Another team's project is still "not found", whatever the kind.
    expect(await refusalCode(rights, payments, request('project.delete', { projectId: 'p-made' }))).toBe('project_not_found');
  });

  it('kinds patterns per team and per project', async () => {
    const ci = team({ id: 'ci', projects: ['p-1', 'p-2'], kinds: ['branch.*', 'endpoint.start'], projectKinds: { 'p-2': ['*'] }, owns: ['p-2'] });
    const { rights } = setup([ci]);
    expect(await refusalCode(rights, ci, request('branch.create', { projectId: 'p-1' }))).toBeUndefined();
    expect(await refusalCode(rights, ci, request('branch.delete', { projectId: 'p-1', branchId: 'br-1' }))).toBeUndefined();
    expect(await refusalCode(rights, ci, request('endpoint.start', { projectId: 'p-1', endpointId: 'ep-1' }))).toBeUndefined();
    expect(await refusalCode(rights, ci, request('endpoint.delete', { projectId: 'p-1', endpointId: 'ep-1' }))).toBe('kind_not_allowed_on_project');
    expect(await refusalCode(rights, ci, request('role.create', { projectId: 'p-1', branchId: 'br-1', name: 'app' }))).toBe('kind_not_allowed_on_project');
    // p-2 has its own patterns (everything), and the team owns it.
    expect(await refusalCode(rights, ci, request('endpoint.delete', { projectId: 'p-2', endpointId: 'ep-1' }))).toBeUndefined();
    expect(await refusalCode(rights, ci, request('project.delete', { projectId: 'p-2' }))).toBeUndefined();
    // An owner whose patterns leave project.delete out may not delete either.
    const careful = team({ id: 'careful', projects: ['p-3'], owns: ['p-3'], kinds: ['branch.*'] });
    expect(await refusalCode(setup([careful]).rights, careful, request('project.delete', { projectId: 'p-3' }))).toBe('kind_not_allowed_on_project');
  });

  it('never lets anyone revoke the API key the service runs on', async () => {
    const ops = team({ id: 'ops', admin: true });
    const { rights } = setup([ops], { serviceApiKeyIds: () => [4242] });
    const refused = await rights.refusal(ops, request('api_key.revoke', { keyId: 4242 }));
    expect(refused?.code).toBe('service_key_protected');
    expect(refused?.message).toContain('4242');
    expect(await refusalCode(rights, ops, request('api_key.revoke', { keyId: 7 }))).toBeUndefined();
    // A non-admin is refused for the kind first.
    expect(await refusalCode(rights, team({ id: 'dev' }), request('api_key.revoke', { keyId: 7 }))).toBe('kind_forbidden');
  });

  it('refuses branch.delete of a protected branch when the lookup knows it is protected', async () => {
    const ci = team({ id: 'ci', projects: ['p-1'] });
    const asked: string[] = [];
    const { rights } = setup([ci], {
      branchProtected: async (projectId, branchId) => {
        asked.push(`${projectId}/${branchId}`);
        return branchId === 'br-main' ? true : branchId === 'br-gone' ? undefined : false;
      },
    });
    expect(await refusalCode(rights, ci, request('branch.delete', { projectId: 'p-1', branchId: 'br-main' }))).toBe('branch_protected');
    expect(await refusalCode(rights, ci, request('branch.delete', { projectId: 'p-1', branchId: 'br-dev' }))).toBeUndefined();
    // Unknown (not found, Neon away) is left to the worker's own check.
    expect(await refusalCode(rights, ci, request('branch.delete', { projectId: 'p-1', branchId: 'br-gone' }))).toBeUndefined();
    expect(asked).toEqual(['p-1/br-main', 'p-1/br-dev', 'p-1/br-gone']);
    // Other kinds never ask Neon.
    await rights.refusal(ci, request('branch.update', { projectId: 'p-1', branchId: 'br-main', name: 'x' }));
    expect(asked).toHaveLength(3);
  });
});

describe('teams file rights', () => {
  it('refuses bad patterns, owning a project not listed, and two owners of one project', () => {
    expect(() => parseTeamsFile('teams: [{ id: a, kinds: ["branch"] }]')).toThrow(/kinds\.0/);
    expect(() => parseTeamsFile('teams: [{ id: a, projects: [p-1], owns: [p-2] }]')).toThrow(/owns p-2, which is not in its projects/);
    expect(() => parseTeamsFile('teams: [{ id: a, projects: [p-1], owns: [p-1] }, { id: b, projects: [p-1], owns: [p-1] }]')).toThrow(/already owned by team a/);
    const file = parseTeamsFile('teams: [{ id: a, projects: [p-1], owns: [p-1], kinds: ["branch.*", "*"], projectKinds: { p-1: ["endpoint.start"] } }]');
    expect(file.teams[0]).toMatchObject({ owns: ['p-1'], kinds: ['branch.*', '*'], projectKinds: { 'p-1': ['endpoint.start'] } });
  });
});
