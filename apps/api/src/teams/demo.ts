import { TeamDirectory } from './team-directory.js';
import { generateToken, hashToken, teamSchema, type Team, type TeamInput } from './teams-file.js';

/**
 * A team with a fresh token, for local runs (`pnpm start` prints the token once). Nothing is
 * written to disk: the team lives as long as the process.
 */
export function createDemoTeam(team: Partial<Omit<TeamInput, 'tokenHashes'>> = {}): { token: string; team: Team } {
  const token = generateToken();
  return {
    token,
    // A local run (and the stack's tests, which poll tightly) is not held to TEAM_REQUESTS_PER_MINUTE.
    team: teamSchema.parse({ id: 'demo', name: 'Demo team', canCreateProjects: true, ...team, limits: { maxActiveIntents: 100, requestsPerMinute: 1_000_000, ...team.limits }, tokenHashes: [hashToken(token)] }),
  };
}

/** A directory of the given teams plus extra ones (e.g. a demo team beside the teams file). */
export function withTeams(base: readonly (Team | TeamInput)[], extra: readonly Team[]): TeamDirectory {
  return new TeamDirectory([...base, ...extra]);
}
