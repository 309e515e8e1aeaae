import { IntentRights, type IntentRightsOptions, type ProjectOwnership } from '@neonops/intents';
import type { FastifyBaseLogger } from 'fastify';
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
    guards: Pick<IntentRightsOptions, 'serviceApiKeyIds' | 'branchProtected'> = {},
  ) {
    this.rights = new IntentRights(redis, { prefix: keyPrefix, allTeams, ...guards });
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

/**
 * Whether Neon marks a branch protected, for refusing `branch.delete` before queuing it.
 * Unknown (no Neon client, branch not found, Neon failing) lets the request through: the
 * worker checks again right before deleting, so a Neon outage does not block the API.
 */
export function neonBranchProtected(
  neon: { getBranch(projectId: string, branchId: string): Promise<{ branch: { protected: boolean } }> } | undefined,
  log: FastifyBaseLogger,
): (projectId: string, branchId: string) => Promise<boolean | undefined> {
  return async (projectId, branchId) => {
    if (!neon) return undefined;
    try {
      return (await neon.getBranch(projectId, branchId)).branch.protected;
    } catch (error) {
      log.warn({ err: error, projectId, branchId }, 'could not read the branch to check protection; the worker checks again');
      return undefined;
    }
  };
}

export default fp<{ keyPrefix: string; serviceApiKeyIds?: readonly number[] }>(
  async (fastify, options) => {
    const serviceApiKeyIds = [...(options.serviceApiKeyIds ?? [])];
    fastify.decorate(
      'projectScope',
      new ProjectScope(fastify.redis, options.keyPrefix, () => fastify.teams.list(), {
        serviceApiKeyIds: () => serviceApiKeyIds,
        branchProtected: neonBranchProtected(fastify.neon, fastify.log),
      }),
    );
  },
  { name: 'project-scope', dependencies: ['redis', 'auth', 'neon'] },
);
