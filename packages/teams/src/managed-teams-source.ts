import { teamSchema, type Team } from './teams-file.js';
import type { TeamsSource } from './teams-source.js';

/**
 * The Redis hash of the teams managed through the admin routes (team id → team JSON), written
 * by the API's `LiveTeamDirectory`. Hash tag `{teams}`: one slot with its tokens and version.
 */
export function managedTeamsKey(prefix: string): string {
  return `${prefix}{teams}:managed`;
}

/** The Redis commands a managed-teams source needs (an ioredis client has them). */
export interface ManagedTeamsRedis {
  hvals(key: string): Promise<string[]>;
}

/**
 * The teams managed in Redis (admin routes), read at each `list()`: the worker's schedules,
 * budgets, quota sweeps and usage collection see a team created or changed by the API at
 * their next run, without a restart.
 */
export function managedTeams(redis: ManagedTeamsRedis, prefix: string): TeamsSource {
  return {
    list: async () => (await redis.hvals(managedTeamsKey(prefix))).map((json) => teamSchema.parse(JSON.parse(json))),
  };
}

/**
 * The teams of several sources, the first one's winning an id they share (the teams file over
 * Redis, as the API's directory decides): one list for every process.
 */
export function combinedTeams(...sources: TeamsSource[]): TeamsSource {
  return {
    list: async () => {
      const lists = await Promise.all(sources.map((source) => source.list()));
      const seen = new Set<string>();
      const teams: Team[] = [];
      for (const team of lists.flat()) {
        if (seen.has(team.id)) continue;
        seen.add(team.id);
        teams.push(team);
      }
      return teams;
    },
  };
}
