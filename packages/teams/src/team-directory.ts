import { timingSafeEqual } from 'node:crypto';
import { hashToken, teamSchema, type Team, type TeamInput } from './teams-file.js';

/**
 * Finds the team a bearer token belongs to. Every stored hash is compared in constant time
 * and the scan never stops early, so response timing says nothing about which hash was close.
 */
export class TeamDirectory {
  private readonly teams: readonly Team[];
  private readonly hashes: { hash: Buffer; team: Team }[];

  constructor(teams: readonly (Team | TeamInput)[]) {
    this.teams = teams.map((team) => teamSchema.parse(team));
    this.hashes = this.teams.flatMap((team) => team.tokenHashes.map((hex) => ({ hash: Buffer.from(hex, 'hex'), team })));
  }

  /** The team holding `token`, or `undefined`. */
  authenticate(token: string): Team | undefined {
    const candidate = Buffer.from(hashToken(token), 'hex');
    let found: Team | undefined;
    for (const entry of this.hashes) {
      if (timingSafeEqual(entry.hash, candidate) && found === undefined) found = entry.team;
    }
    return found;
  }

  get(teamId: string): Team | undefined {
    return this.teams.find((team) => team.id === teamId);
  }

  list(): readonly Team[] {
    return this.teams;
  }
}
