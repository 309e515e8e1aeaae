import { describe, expect, it } from 'vitest';
import { TeamDirectory } from './team-directory.js';
import { hashToken, parseTeamsFile, TeamsFileError } from './teams-file.js';

describe('teams file', () => {
  it('reads YAML and JSON with defaults', () => {
    const yaml = parseTeamsFile(`teams:\n  - id: payments\n    tokenHashes: ["${hashToken('t')}"]\n    projects: [p-1]\n`);
    expect(yaml.teams[0]).toEqual({
      id: 'payments',
      tokenHashes: [hashToken('t')],
      projects: ['p-1'],
      canCreateProjects: false,
      admin: false,
      limits: { maxActiveIntents: 100 },
    });
    const json = parseTeamsFile(JSON.stringify({ teams: [{ id: 'a', admin: true, limits: { maxActiveIntents: 3 } }] }));
    expect(json.teams[0]).toMatchObject({ id: 'a', admin: true, limits: { maxActiveIntents: 3 } });
  });

  it('hashes a token as the teams file stores it: SHA-256 of its UTF-8 bytes, in hex (as `sha256sum` prints it)', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashToken('tök')).toBe('2c0edbabf162720a9136d3705445464cb3d57b313c967ee52616084ec8a7e31d');
  });

  it('rejects unknown fields, bad hashes and duplicate ids, naming the field', () => {
    expect(() => parseTeamsFile('teams:\n  - id: a\n    colour: red\n')).toThrow(TeamsFileError);
    expect(() => parseTeamsFile('teams:\n  - id: a\n    tokenHashes: [abc]\n')).toThrow(/teams\.0\.tokenHashes\.0/);
    expect(() => parseTeamsFile('teams:\n  - id: a\n  - id: a\n')).toThrow(/duplicate team id a/);
    expect(() => parseTeamsFile('teams: [')).toThrow(TeamsFileError);
  });
});

describe('TeamDirectory', () => {
  it('finds the team of a token and nothing for others', () => {
    const teams = new TeamDirectory([
      { id: 'a', tokenHashes: [hashToken('token-a1'), hashToken('token-a2')] },
      { id: 'b', tokenHashes: [hashToken('token-b')] },
    ]);
    expect(teams.authenticate('token-a2')?.id).toBe('a');
    expect(teams.authenticate('token-b')?.id).toBe('b');
    expect(teams.authenticate('token-c')).toBeUndefined();
    expect(teams.authenticate('')).toBeUndefined();
  });
});
