import { useTestRedis } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { combinedTeams, managedTeams, managedTeamsKey } from './managed-teams-source.js';
import { teamSchema } from './teams-file.js';
import { staticTeams } from './teams-source.js';

describe('managed teams for the worker', () => {
  it('reads the teams the API manages in Redis at each list, the teams file winning a shared id', async () => {
    const redis = useTestRedis('managed-teams');
    const client = redis.connect();
    const fileTeams = staticTeams([teamSchema.parse({ id: 'alpha', projects: ['p-file'] })]);
    const teams = combinedTeams(fileTeams, managedTeams(client, redis.prefix));
    expect((await teams.list()).map((t) => t.id)).toEqual(['alpha']);

    // What LiveTeamDirectory.createTeam writes (its key, a team as the schema makes it).
    await client.hset(managedTeamsKey(redis.prefix), 'beta', JSON.stringify(teamSchema.parse({ id: 'beta', projects: ['p-beta'] })));
    await client.hset(managedTeamsKey(redis.prefix), 'alpha', JSON.stringify(teamSchema.parse({ id: 'alpha', projects: ['p-redis'] })));
    const listed = await teams.list();
    expect(listed.map((t) => [t.id, t.projects])).toEqual([
      ['alpha', ['p-file']],
      ['beta', ['p-beta']],
    ]);

    await client.hdel(managedTeamsKey(redis.prefix), 'beta');
    expect((await teams.list()).map((t) => t.id)).toEqual(['alpha']);
  });
});
