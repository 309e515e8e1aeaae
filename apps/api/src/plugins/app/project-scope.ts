import { IntentRights, type ProjectOwnership } from '@neonops/intents';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import { ProjectNotFoundError } from '../../errors.js';
import { withRedis } from '../../redis-errors.js';
import type { Team } from '../../teams/teams-file.js';

declare module 'fastify' {
  interface FastifyInstance {
    projectScope: ProjectScope;
  }
}

/**
 * Which Neon projects a team may use: those the teams file lists for it, plus those its
 * `project.create` intents made (recorded in Redis by the worker through ProjectOwnership).
 * A project of another team, or none at all, is "not found" — never "forbidden". The rule
 * itself is `IntentRights` (@neonops/intents), which the worker applies to the intents it
 * submits for teams (schedules); this wraps it with the API's errors.
 */
export class ProjectScope {
  readonly rights: IntentRights;
  readonly ownership: ProjectOwnership;

  constructor(
    private readonly redis: Redis,
    keyPrefix: string,
    allTeams: () => readonly Team[],
  ) {
    this.rights = new IntentRights(redis, { prefix: keyPrefix, allTeams });
    this.ownership = this.rights.ownership;
  }

  /** The team's projects: configured first, then created ones, without duplicates. */
  async projectsOf(team: Team): Promise<string[]> {
    return withRedis(this.redis, () => this.rights.projectsOf(team));
  }

  /** Throws `ProjectNotFoundError` unless the team may use `projectId`. */
  async assertAllowed(team: Team, projectId: string): Promise<void> {
    if (!(await withRedis(this.redis, () => this.rights.mayUseProject(team, projectId)))) throw new ProjectNotFoundError(`No project ${projectId}`);
  }
}

export default fp<{ keyPrefix: string }>(
  async (fastify, options) => {
    fastify.decorate('projectScope', new ProjectScope(fastify.redis, options.keyPrefix, () => fastify.teams.list()));
  },
  { name: 'project-scope', dependencies: ['redis', 'auth'] },
);
