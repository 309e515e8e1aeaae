import { ProjectOwnership } from '@neonops/intents';
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
 * A project of another team, or none at all, is "not found" — never "forbidden".
 */
export class ProjectScope {
  readonly ownership: ProjectOwnership;

  constructor(
    private readonly redis: Redis,
    keyPrefix: string,
    private readonly allTeams: () => readonly Team[],
  ) {
    this.ownership = new ProjectOwnership(redis, { prefix: keyPrefix });
  }

  /** The team's projects: configured first, then created ones, without duplicates. */
  async projectsOf(team: Team): Promise<string[]> {
    const created = await withRedis(this.redis, () => this.ownership.projectsOf(team.id));
    return [...new Set([...team.projects, ...created])];
  }

  /** Throws `ProjectNotFoundError` unless the team may use `projectId`. */
  async assertAllowed(team: Team, projectId: string): Promise<void> {
    if (team.projects.includes(projectId)) return;
    // A project configured for another team is theirs even if a stale ownership says otherwise.
    if (this.allTeams().some((other) => other.id !== team.id && other.projects.includes(projectId))) {
      throw new ProjectNotFoundError(`No project ${projectId}`);
    }
    const owner = await withRedis(this.redis, () => this.ownership.ownerOf(projectId));
    if (owner !== team.id) throw new ProjectNotFoundError(`No project ${projectId}`);
  }
}

export default fp<{ keyPrefix: string }>(
  async (fastify, options) => {
    fastify.decorate('projectScope', new ProjectScope(fastify.redis, options.keyPrefix, () => fastify.teams.list()));
  },
  { name: 'project-scope', dependencies: ['redis', 'auth'] },
);
