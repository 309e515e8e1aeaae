import { describe, expect, it } from 'vitest';
import { createReadyProject, startTestSim } from '../test/harness.js';

describe('names the way Neon checks them', () => {
  it('refuses bad branch, database, role and project names with 400 and changes nothing', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const project = `/projects/${p.project.id}`;
    const branches = `${project}/branches`;
    const onBranch = `${branches}/${p.branch.id}`;
    const before = JSON.stringify(t.sim.control.state());

    const refused: [string, string, unknown][] = [
      ['POST', branches, { branch: { name: 'dev\u0000\u001b[31m' } }],
      ['POST', branches, { branch: { name: 'b'.repeat(257) } }],
      ['POST', branches, { branch: { name: '  ' } }],
      ['PATCH', onBranch, { branch: { name: 'x\ny' } }],
      ['POST', `${onBranch}/databases`, { database: { name: 'd'.repeat(64), owner_name: 'neondb_owner' } }],
      ['POST', `${onBranch}/databases`, { database: { name: '€'.repeat(22), owner_name: 'neondb_owner' } }],
      ['POST', `${onBranch}/databases`, { database: { name: 'a/b', owner_name: 'neondb_owner' } }],
      ['POST', `${onBranch}/databases`, { database: { name: '..', owner_name: 'neondb_owner' } }],
      ['PATCH', `${onBranch}/databases/neondb`, { database: { name: 'n\u0085' } }],
      ['POST', `${onBranch}/roles`, { role: { name: 'pg_evil' } }],
      ['POST', `${onBranch}/roles`, { role: { name: 'Neon_Superuser' } }],
      ['POST', `${onBranch}/roles`, { role: { name: 'r'.repeat(64) } }],
      ['POST', `${onBranch}/roles`, { role: { name: 'a\tb' } }],
      ['POST', '/projects', { project: { name: 'p\u0007' } }],
      ['POST', '/projects', { project: { branch: { role_name: 'pg_x' } } }],
      ['POST', '/projects', { project: { branch: { database_name: 'x'.repeat(64) } } }],
      ['PATCH', project, { project: { name: 'p'.repeat(257) } }],
    ];
    for (const [method, path, body] of refused) {
      const res = method === 'POST' ? await t.api.post(path, body) : await t.api.patch(path, body);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
    }
    expect(JSON.stringify(t.sim.control.state())).toBe(before);

    // Names at the limits pass.
    expect((await t.api.post(branches, { branch: { name: `preview/${'b'.repeat(248)}` } })).status).toBe(201);
    t.sim.control.fastForward();
    expect((await t.api.post(`${onBranch}/roles`, { role: { name: 'r'.repeat(63) } })).status).toBe(201);
    t.sim.control.fastForward();
    expect((await t.api.post(`${onBranch}/databases`, { database: { name: '€'.repeat(21), owner_name: 'neondb_owner' } })).status).toBe(201);
  });
});
