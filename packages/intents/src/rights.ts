import { kindMatches, type Team } from '@neonops/teams';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { intentCatalog, scopeOf, type IntentKindDefinition, type IntentRequest } from './catalog.js';
import { ProjectOwnership } from './project-ownership.js';

/** Why a team may not submit a request: the API maps each code to its problem (403 or 404). */
export type IntentRefusalCode =
  | 'kind_forbidden'
  | 'project_not_found'
  | 'project_creation_forbidden'
  /** The kind is not among the team's kinds on this project (`kinds` / `projectKinds`). */
  | 'kind_not_allowed_on_project'
  /** A destructive project kind (`project.delete`) from a team that does not own the project. */
  | 'not_project_owner'
  /** `api_key.revoke` of the Neon API key the service itself runs on. */
  | 'service_key_protected'
  /** `branch.delete` of a protected branch. */
  | 'branch_protected';

/**
 * Project kinds only the project's owning team may submit: they destroy what every team on
 * the project uses. `project.update` is not among them: it changes settings that can be
 * changed back, and a project's `projectKinds` can withhold it from a team.
 */
export const DESTRUCTIVE_PROJECT_KINDS: readonly string[] = ['project.delete'];

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
  /**
   * Ids of the Neon API keys the service runs on (`NEON_API_KEY_ID`): `api_key.revoke` of one
   * is refused, admin or not. Default none.
   */
  serviceApiKeyIds?: () => readonly number[];
  /**
   * Whether a branch is protected in Neon (`undefined` when unknown: not found, Neon
   * unreachable). `branch.delete` of a protected branch is refused; unknown lets it through
   * to the worker, which checks again right before deleting. Default: not checked here.
   */
  branchProtected?: (projectId: string, branchId: string) => Promise<boolean | undefined>;
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

  /**
   * The team that owns `projectId` (may submit destructive project kinds): the file team
   * listing it in `owns`, else the team whose `project.create` made it. Undefined: nobody.
   */
  async ownerOf(projectId: string): Promise<string | undefined> {
    const configured = this.options.allTeams().find((team) => team.owns?.includes(projectId));
    if (configured) return configured.id;
    return this.ownership.ownerOf(projectId);
  }

  /** The kind patterns the team has on `projectId`: the project's own, else the team's, else every kind. */
  static kindPatterns(team: Team, projectId: string): readonly string[] {
    return (team.projectKinds && Object.hasOwn(team.projectKinds, projectId) ? team.projectKinds[projectId] : undefined) ?? team.kinds ?? ['*'];
  }

  /**
   * Why the team may not submit `request`, or undefined when it may. In order: admin-only
   * kinds; the service's own API key; the project (not the team's: "not found"); the team's
   * kinds on the project; ownership for destructive kinds; a protected branch.
   */
  async refusal(team: Team, request: IntentRequest): Promise<IntentRefusedError | undefined> {
    const definition = intentCatalog[request.kind] as IntentKindDefinition;
    if (definition.adminOnly && !team.admin) return new IntentRefusedError('kind_forbidden', `${request.kind} needs an admin token`);
    if (request.kind === 'api_key.revoke' && (this.options.serviceApiKeyIds?.() ?? []).includes(request.params.keyId)) {
      return new IntentRefusedError('service_key_protected', `API key ${request.params.keyId} is the key this service runs on and cannot be revoked through it`);
    }
    const scope = scopeOf(request);
    if ('projectId' in scope) {
      if (!(await this.mayUseProject(team, scope.projectId))) return new IntentRefusedError('project_not_found', `No project ${scope.projectId}`);
      if (!kindMatches(IntentRights.kindPatterns(team, scope.projectId), request.kind)) {
        return new IntentRefusedError('kind_not_allowed_on_project', `This team may not submit ${request.kind} on project ${scope.projectId}`);
      }
      if (DESTRUCTIVE_PROJECT_KINDS.includes(request.kind) && (await this.ownerOf(scope.projectId)) !== team.id) {
        return new IntentRefusedError('not_project_owner', `Only the team owning project ${scope.projectId} may submit ${request.kind}`);
      }
      if (request.kind === 'branch.delete' && (await this.options.branchProtected?.(request.params.projectId, request.params.branchId)) === true) {
        return new IntentRefusedError('branch_protected', `Branch ${request.params.branchId} is protected and cannot be deleted`);
      }
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

/**
 * `NEON_API_KEY_ID` of the API and the workers: ids of the Neon API keys the service runs on
 * (comma-separated positive integers; Neon does not say which key made a call, so they are
 * configured). `api_key.revoke` of one is refused (`service_key_protected`).
 */
export const neonApiKeyIdsSchema = z
  .string()
  .optional()
  .transform((raw, ctx) => {
    const ids = (raw ?? '').split(',').map((part) => part.trim()).filter((part) => part !== '');
    if (ids.some((id) => !/^[1-9][0-9]{0,15}$/.test(id))) {
      ctx.addIssue({ code: 'custom', message: 'NEON_API_KEY_ID: positive integer ids, comma-separated' });
      return z.NEVER;
    }
    return ids.map(Number);
  });
