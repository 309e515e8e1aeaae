import type { Team } from '@neonops/teams';
import type { Redis } from 'ioredis';
import { intentCatalog, scopeOf, type IntentKindDefinition, type IntentRequest } from './catalog.js';
import { ProjectOwnership } from './project-ownership.js';

/** Why a team may not submit a request: the API maps each code to its problem (403 or 404). */
export type IntentRefusalCode = 'kind_forbidden' | 'project_not_found' | 'project_creation_forbidden';

/** A team asked for something its rights do not cover. Never names another team. */
export class IntentRefusedError extends Error {
  constructor(
    readonly code: IntentRefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'IntentRefusedError';
  }
}

export interface IntentRightsOptions {
  /** Prefix of the ownership keys (the deployment's `KEY_PREFIX`). */
  prefix: string;
  /** Every team of the teams file (a project configured for another team is never this team's). */
  allTeams: () => readonly Team[];
}

/**
 * What a team may ask for, checked the same way wherever an intent is submitted (the API
 * for a request, the worker at each run of a schedule): admin-only kinds need an admin
 * team; a project must be one of the team's — listed for it in the teams file, or made by
 * its `project.create` intents (`ProjectOwnership`) and not configured for another team;
 * `project.create` needs `canCreateProjects`. A project the team may not use is "not
 * found", never "forbidden", so nothing says whether it exists.
 */
export class IntentRights {
  readonly ownership: ProjectOwnership;

  constructor(
    redis: Redis,
    private readonly options: IntentRightsOptions,
  ) {
    this.ownership = new ProjectOwnership(redis, { prefix: options.prefix });
  }

  /** The team's projects: configured first, then created ones, without duplicates. */
  async projectsOf(team: Team): Promise<string[]> {
    return [...new Set([...team.projects, ...(await this.ownership.projectsOf(team.id))])];
  }

  /** True when the team may use `projectId`. */
  async mayUseProject(team: Team, projectId: string): Promise<boolean> {
    if (team.projects.includes(projectId)) return true;
    // A project configured for another team is theirs even if a stale ownership says otherwise.
    if (this.options.allTeams().some((other) => other.id !== team.id && other.projects.includes(projectId))) return false;
    return (await this.ownership.ownerOf(projectId)) === team.id;
  }

  /** Why the team may not submit `request`, or undefined when it may. */
  async refusal(team: Team, request: IntentRequest): Promise<IntentRefusedError | undefined> {
    const definition = intentCatalog[request.kind] as IntentKindDefinition;
    if (definition.adminOnly && !team.admin) return new IntentRefusedError('kind_forbidden', `${request.kind} needs an admin token`);
    const scope = scopeOf(request);
    if ('projectId' in scope) {
      if (!(await this.mayUseProject(team, scope.projectId))) return new IntentRefusedError('project_not_found', `No project ${scope.projectId}`);
    } else if ('newProject' in scope) {
      if (!team.canCreateProjects) return new IntentRefusedError('project_creation_forbidden', 'This team may not create projects');
    } else if (!team.admin) {
      return new IntentRefusedError('kind_forbidden', `${request.kind} needs an admin token`);
    }
    return undefined;
  }

  /** Throws the `IntentRefusedError` that applies, if any. */
  async assert(team: Team, request: IntentRequest): Promise<void> {
    const refused = await this.refusal(team, request);
    if (refused) throw refused;
  }
}
