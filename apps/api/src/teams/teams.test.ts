import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTeamToken } from '../cli/create-team-token.js';
import { TeamDirectory } from './team-directory.js';
import { hashToken, loadTeamsFile } from './teams-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'teams-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runCli(argv: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = createTeamToken(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), env, cwd: dir });
  return code.then((c) => ({ code: c, out, err }));
}

describe('team:token command', () => {
  it('creates the file and the team, prints the token once and stores only its hash', async () => {
    const { code, out, err } = await runCli(['payments', '--file', 'teams.yaml', '--project', 'p-1', '--can-create-projects']);
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const token = out[0] ?? '';
    expect(token).toMatch(/^nop_[A-Za-z0-9_-]{43}$/);
    expect(err.join('\n')).not.toContain(token);
    const text = await readFile(join(dir, 'teams.yaml'), 'utf8');
    expect(text).not.toContain(token);
    const file = await loadTeamsFile(join(dir, 'teams.yaml'));
    expect(file.teams[0]).toMatchObject({ id: 'payments', projects: ['p-1'], canCreateProjects: true, tokenHashes: [hashToken(token)] });
    expect(new TeamDirectory(file.teams).authenticate(token)?.id).toBe('payments');
  });

  it('adds a token to an existing team in a JSON file and keeps its settings', async () => {
    const path = join(dir, 'teams.json');
    await writeFile(path, JSON.stringify({ teams: [{ id: 'ops', admin: true, tokenHashes: [hashToken('old')] }] }));
    const { code, out } = await runCli(['ops', '--file', path]);
    expect(code).toBe(0);
    const file = JSON.parse(await readFile(path, 'utf8')) as { teams: { admin: boolean; tokenHashes: string[] }[] };
    expect(file.teams[0]?.admin).toBe(true);
    expect(file.teams[0]?.tokenHashes).toEqual([hashToken('old'), hashToken(out[0] ?? '')]);
  });

  it('uses TEAMS_FILE relative to INIT_CWD, and refuses bad arguments', async () => {
    const { code } = await runCli(['x'], { TEAMS_FILE: 'custom.yaml', INIT_CWD: dir });
    expect(code).toBe(0);
    expect((await loadTeamsFile(join(dir, 'custom.yaml'))).teams[0]?.id).toBe('x');
    expect((await runCli([])).code).toBe(2);
    expect((await runCli(['Bad Id!'])).code).toBe(2);
  });
});

describe('createDemoTeam', () => {
  it('makes a team whose fresh token authenticates, beside file teams', async () => {
    const { createDemoTeam, withTeams } = await import('./demo.js');
    const { token, team } = createDemoTeam({ projects: ['p-1'] });
    expect(team).toMatchObject({ id: 'demo', canCreateProjects: true, projects: ['p-1'] });
    const directory = withTeams([{ id: 'other', tokenHashes: [hashToken('o')] }], [team]);
    expect(directory.authenticate(token)?.id).toBe('demo');
    expect(directory.authenticate('o')?.id).toBe('other');
  });
});
