import { describe, expect, it } from 'vitest';
import { buildTestApp, jobCount } from '../../test/helper.js';

type Case = { name: string; kind: string; params: Record<string, unknown>; field: string };

const branch = { projectId: 'p-alpha' };
const onBranch = { projectId: 'p-alpha', branchId: 'br-1' };
const controls = 'feature\u0000\u0007\u001b[31m\u007f\u0085';

const cases: Case[] = [
  { name: 'a branch name full of control characters', kind: 'branch.create', params: { ...branch, name: controls }, field: 'params.name' },
  { name: 'a branch name with a newline', kind: 'branch.create', params: { ...branch, name: 'dev\nprod' }, field: 'params.name' },
  { name: 'a branch name over 256 characters', kind: 'branch.create', params: { ...branch, name: 'b'.repeat(257) }, field: 'params.name' },
  { name: 'a blank branch name', kind: 'branch.create', params: { ...branch, name: '   ' }, field: 'params.name' },
  { name: 'a parent branch name with a control character', kind: 'branch.create', params: { ...branch, parent: { name: 'main\u0000' } }, field: 'params.parent.name' },
  { name: 'a renamed branch with a tab', kind: 'branch.update', params: { ...onBranch, name: 'a\tb' }, field: 'params.name' },
  { name: 'a database name over 63 bytes', kind: 'database.create', params: { ...onBranch, name: 'd'.repeat(64), ownerName: 'app' }, field: 'params.name' },
  { name: 'a database name of 22 three-byte characters (66 bytes)', kind: 'database.create', params: { ...onBranch, name: '€'.repeat(22), ownerName: 'app' }, field: 'params.name' },
  { name: 'a database name with "/"', kind: 'database.create', params: { ...onBranch, name: 'a/b', ownerName: 'app' }, field: 'params.name' },
  { name: 'a database name ".."', kind: 'database.delete', params: { ...onBranch, name: '..' }, field: 'params.name' },
  { name: 'a database name with a control character', kind: 'database.update', params: { ...onBranch, name: 'app', newName: 'app\u0001' }, field: 'params.newName' },
  { name: 'a database owner "pg_monitor"', kind: 'database.create', params: { ...onBranch, name: 'app', ownerName: 'pg_monitor' }, field: 'params.ownerName' },
  { name: 'a role name starting with pg_', kind: 'role.create', params: { ...onBranch, name: 'pg_evil' }, field: 'params.name' },
  { name: 'the reserved role name neon_superuser', kind: 'role.create', params: { ...onBranch, name: 'neon_superuser' }, field: 'params.name' },
  { name: 'the reserved role name PUBLIC', kind: 'role.create', params: { ...onBranch, name: 'PUBLIC' }, field: 'params.name' },
  { name: 'a role name over 63 bytes', kind: 'role.create', params: { ...onBranch, name: 'r'.repeat(64) }, field: 'params.name' },
  { name: 'a role name with "../"', kind: 'role.delete', params: { ...onBranch, name: '../../projects' }, field: 'params.name' },
  { name: 'a role of branch.create with a newline', kind: 'branch.create', params: { ...branch, role: { name: 'app\n' } }, field: 'params.role.name' },
  { name: 'a database of branch.create over 63 bytes', kind: 'branch.create', params: { ...branch, database: { name: 'x'.repeat(64) } }, field: 'params.database.name' },
  { name: 'a project name with control characters', kind: 'project.create', params: { name: 'proj\u001b' }, field: 'params.name' },
  { name: 'a project name over 256 characters', kind: 'project.update', params: { projectId: 'p-alpha', name: 'p'.repeat(257) }, field: 'params.name' },
];

describe('names on POST /v1/intents are checked against Neon’s rules before anything is queued', () => {
  it.each(cases)('400 naming the field for $name; nothing stored, nothing queued', async (c) => {
    const t = await buildTestApp();
    const res = await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: { kind: c.kind, params: c.params } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json();
    expect(problem.code).toBe('validation_failed');
    expect(problem.errors.map((e: { path: string }) => e.path)).toContain(c.field);
    // The answer never echoes control characters back.
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    expect(res.body).not.toMatch(/[\u0000-\u0008\u000e-\u001f]/);
    expect(await jobCount(t.queue)).toBe(0);
    expect((await t.as('alpha', { method: 'GET', url: '/v1/intents' })).json().items).toEqual([]);
  });

  it('accepts names at Neon’s limits: 256-character and "/" branch names, 63-byte identifiers, non-ASCII', async () => {
    const t = await buildTestApp();
    const ok = [
      { kind: 'branch.create', params: { ...branch, name: 'preview/pr-12-feature/x' } },
      { kind: 'branch.create', params: { ...branch, name: 'b'.repeat(256) } },
      { kind: 'database.create', params: { ...onBranch, name: 'd'.repeat(63), ownerName: 'app_owner' } },
      { kind: 'database.create', params: { ...onBranch, name: '€'.repeat(21), ownerName: 'app_owner' } },
      { kind: 'role.create', params: { ...onBranch, name: 'ünïcode.role' } },
    ];
    for (const body of ok) {
      const res = await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: body });
      expect(res.statusCode, JSON.stringify(body)).toBe(202);
    }
  });
});
