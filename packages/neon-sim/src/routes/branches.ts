import type { FastifyInstance } from 'fastify';
import type { Simulation } from '../core.js';
import { checkExpiresAt } from '../behaviour/branch-rules.js';
import { checkName, textNameIssue } from '../behaviour/name-rules.js';
import type { OperationSpec } from '../behaviour/operations-engine.js';
import { branchCreateBody, branchRestoreBody, branchUpdateBody, parseBody } from '../http/bodies.js';
import { badRequest, conflict, unprocessable } from '../http/errors.js';
import { decodeOffsetCursor, encodeOffsetCursor, parseLimit } from '../http/pagination.js';
import { connectionUri, endpointHost } from '../http/serialize.js';
import type { ResponseBody } from '../http/types.js';
import type { BranchRecord } from '../state/records.js';
import {
  assertVisible,
  createBranchOperation,
  createBranchRecord,
  createEndpointRecord,
  inheritContents,
  requireBranch,
  requireMutableProject,
  requireProject,
  startComputeOperation,
  tombstoneBranch,
} from '../state/mutations.js';

type BranchParams = { Params: { project_id: string; branch_id: string } };
type ProjectParams = { Params: { project_id: string } };
type Query = { Querystring: Record<string, string | undefined> };

export const READ_WRITE_CONFLICT = 'a branch can have only one read_write endpoint';

function assertUniqueName(sim: Simulation, projectId: string, name: string, except?: string): void {
  if (sim.store.branchesOf(projectId).some((b) => b.name === name && b.id !== except)) throw conflict('branch already exists');
}

const SORT_FIELDS = { name: (b: BranchRecord) => b.name, created_at: (b: BranchRecord) => b.createdAt, updated_at: (b: BranchRecord) => b.updatedAt };

export function registerBranchRoutes(app: FastifyInstance, sim: Simulation): void {
  app.get<ProjectParams & Query>('/projects/:project_id/branches', async (request) => {
    const q = request.query;
    const project = requireProject(sim, request.params.project_id);
    const sortBy = q.sort_by ?? 'updated_at';
    if (!(sortBy in SORT_FIELDS)) throw badRequest('sort_by must be one of name, created_at, updated_at');
    const sortOrder = q.sort_order ?? 'desc';
    if (sortOrder !== 'asc' && sortOrder !== 'desc') throw badRequest('sort_order must be asc or desc');
    const limit = parseLimit(q.limit, 1, 10000, undefined);
    const key = SORT_FIELDS[sortBy as keyof typeof SORT_FIELDS];
    const all = sim.store
      .branchesOf(project.id)
      .filter((b) => !q.search || b.name.includes(q.search) || b.id.includes(q.search))
      .map((b, index) => ({ b, index }))
      .sort((x, y) => {
        const a = key(x.b);
        const c = key(y.b);
        const cmp = a < c ? -1 : a > c ? 1 : x.index - y.index;
        return sortOrder === 'asc' ? cmp : -cmp;
      })
      .map(({ b }) => b);
    const offset = q.cursor ? decodeOffsetCursor(q.cursor) : 0;
    const page = limit === undefined ? all.slice(offset) : all.slice(offset, offset + limit);
    const more = offset + page.length < all.length;
    const body: ResponseBody<'listProjectBranches', 200> = {
      branches: page.map((b) => sim.serializer.branch(b)),
      annotations: Object.fromEntries(page.map((b) => [b.id, sim.serializer.annotation(b)])),
      pagination: { sort_by: sortBy, sort_order: sortOrder, ...(more ? { next: encodeOffsetCursor(offset + page.length) } : {}) },
    };
    return body;
  });

  app.get<ProjectParams & Query>('/projects/:project_id/branches/count', async (request) => {
    const project = requireProject(sim, request.params.project_id);
    const search = request.query.search;
    const count = sim.store.branchesOf(project.id).filter((b) => !search || b.name.includes(search) || b.id.includes(search)).length;
    const body: ResponseBody<'countProjectBranches', 200> = { count };
    return body;
  });

  app.post<ProjectParams>('/projects/:project_id/branches', async (request, reply) => {
    const input = parseBody(branchCreateBody, request.body ?? {});
    checkName('branch.name', input.branch?.name, textNameIssue);
    const project = requireMutableProject(sim, request.params.project_id);
    const now = sim.now();
    const parent = input.branch?.parent_id ? requireBranch(sim, project.id, input.branch.parent_id) : sim.store.defaultBranch(project.id);
    if (!parent) throw unprocessable('project has no default branch');
    const endpoints = input.endpoints ?? [];
    if (endpoints.filter((e) => e.type === 'read_write').length > 1) throw badRequest(READ_WRITE_CONFLICT);
    if (input.branch?.name !== undefined) assertUniqueName(sim, project.id, input.branch.name);
    if (sim.store.branchesOf(project.id).length >= sim.branchesPerProject) {
      throw unprocessable(`branches limit exceeded: a project can have at most ${sim.branchesPerProject} branches`);
    }
    const isProtected = input.branch?.protected ?? false;
    const expiresAt =
      input.branch?.expires_at !== undefined ? checkExpiresAt(input.branch.expires_at, now, { isDefault: false, isProtected }) : undefined;
    let parentTimestamp: number | undefined;
    if (input.branch?.parent_timestamp !== undefined) {
      parentTimestamp = Date.parse(input.branch.parent_timestamp);
      if (parentTimestamp > now) throw badRequest('parent_timestamp must not be in the future');
      if (parentTimestamp < parent.createdAt) throw badRequest('parent_timestamp is before the parent branch was created');
    }
    const branch = createBranchRecord(sim, project, {
      name: input.branch?.name ?? '',
      parent,
      isProtected,
      initSource: input.branch?.init_source ?? 'parent-data',
      ...(input.branch?.parent_lsn !== undefined ? { parentLsn: input.branch.parent_lsn } : {}),
      ...(parentTimestamp !== undefined ? { parentTimestamp } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      ...(input.annotation_value ? { annotations: input.annotation_value } : {}),
    });
    // Neon names an unnamed branch after its id.
    if (branch.name === '') branch.name = branch.id;
    inheritContents(sim, parent, branch);
    const created = endpoints.map((e) =>
      createEndpointRecord(sim, project, branch, {
        type: e.type,
        ...(e.autoscaling_limit_min_cu !== undefined ? { minCu: e.autoscaling_limit_min_cu } : {}),
        ...(e.autoscaling_limit_max_cu !== undefined ? { maxCu: e.autoscaling_limit_max_cu } : {}),
        ...(e.suspend_timeout_seconds !== undefined ? { suspendTimeoutSeconds: e.suspend_timeout_seconds } : {}),
        ...(e.provisioner !== undefined ? { provisioner: e.provisioner } : {}),
        ...(e.settings !== undefined ? { settings: e.settings } : {}),
      }),
    );
    const specs: OperationSpec[] = [createBranchOperation(branch), ...created.map((e) => startComputeOperation(sim, e))];
    const operations = sim.engine.schedule(project.id, specs);
    const roles = sim.store.rolesOf(branch.id);
    const databases = sim.store.databasesOf(branch.id);
    const rw = created.find((e) => e.type === 'read_write') ?? created[0];
    const role = roles[0];
    const database = databases[0];
    // Like Neon: a connection URI only when the choice of role and database is unambiguous.
    const uris =
      rw && role?.password !== undefined && database && roles.length === 1 && databases.length === 1
        ? [
            {
              connection_uri: connectionUri(role, role.password, database.name, endpointHost(rw, project.regionId)),
              connection_parameters: {
                database: database.name,
                password: role.password,
                role: role.name,
                host: endpointHost(rw, project.regionId),
                pooler_host: endpointHost(rw, project.regionId, true),
              },
            },
          ]
        : undefined;
    const body: ResponseBody<'createProjectBranch', 201> = {
      branch: sim.serializer.branch(branch),
      endpoints: created.map((e) => sim.serializer.endpoint(e, project.regionId)),
      operations: operations.map((o) => sim.serializer.operation(o)),
      roles: roles.map((r) => sim.serializer.role(r)),
      databases: databases.map((d) => sim.serializer.database(d)),
      ...(uris ? { connection_uris: uris } : {}),
    };
    return reply.code(201).send(body);
  });

  app.get<BranchParams>('/projects/:project_id/branches/:branch_id', async (request) => {
    requireProject(sim, request.params.project_id);
    const branch = requireBranch(sim, request.params.project_id, request.params.branch_id);
    assertVisible(sim, branch, 'branch');
    const body: ResponseBody<'getProjectBranch', 200> = { branch: sim.serializer.branch(branch), annotation: sim.serializer.annotation(branch) };
    return body;
  });

  app.patch<BranchParams>('/projects/:project_id/branches/:branch_id', async (request) => {
    const input = parseBody(branchUpdateBody, request.body);
    checkName('branch.name', input.branch.name, textNameIssue);
    const project = requireMutableProject(sim, request.params.project_id);
    const branch = requireBranch(sim, project.id, request.params.branch_id);
    const now = sim.now();
    const patch = input.branch;
    if (patch.name !== undefined) assertUniqueName(sim, project.id, patch.name, branch.id);
    const isProtected = patch.protected ?? branch.isProtected;
    let expiresAt = branch.expiresAt;
    if (patch.expires_at === null) expiresAt = undefined;
    else if (patch.expires_at !== undefined) expiresAt = checkExpiresAt(patch.expires_at, now, { isDefault: branch.isDefault, isProtected });
    else if (expiresAt !== undefined && isProtected) throw badRequest('expiration cannot be set on a protected branch');
    if (patch.name !== undefined) branch.name = patch.name;
    branch.isProtected = isProtected;
    if (expiresAt === undefined) delete branch.expiresAt;
    else branch.expiresAt = expiresAt;
    sim.store.watchExpiry(branch);
    if (input.annotation_value) branch.annotations = { ...input.annotation_value };
    branch.updatedAt = now;
    const body: ResponseBody<'updateProjectBranch', 200> = { branch: sim.serializer.branch(branch), operations: [] };
    return body;
  });

  app.delete<BranchParams>('/projects/:project_id/branches/:branch_id', async (request, reply) => {
    const project = requireProject(sim, request.params.project_id);
    const branch = sim.store.liveBranch(project.id, request.params.branch_id);
    // Neon: 204 when the branch does not exist or was already deleted.
    if (!branch) return reply.code(204).send();
    requireMutableProject(sim, project.id);
    if (branch.isDefault) throw unprocessable('cannot delete the default branch');
    if (branch.isProtected) throw unprocessable('cannot delete a protected branch');
    if (sim.store.branchesOf(project.id).some((b) => b.parentId === branch.id)) throw unprocessable('cannot delete a branch that has child branches');
    const operations = sim.engine.schedule(project.id, [{ action: 'delete_timeline', branchId: branch.id }]);
    tombstoneBranch(sim, branch, sim.now());
    const body: ResponseBody<'deleteProjectBranch', 200> = {
      branch: sim.serializer.branch(branch),
      operations: operations.map((o) => sim.serializer.operation(o)),
    };
    return body;
  });

  app.post<BranchParams>('/projects/:project_id/branches/:branch_id/restore', async (request) => {
    const input = parseBody(branchRestoreBody, request.body);
    const project = requireMutableProject(sim, request.params.project_id);
    const target = requireBranch(sim, project.id, request.params.branch_id);
    const source = requireBranch(sim, project.id, input.source_branch_id);
    const self = source.id === target.id;
    const hasChildren = sim.store.branchesOf(project.id).some((b) => b.parentId === target.id);
    if (self && input.source_lsn === undefined && input.source_timestamp === undefined) {
      throw badRequest('source_timestamp or source_lsn is required when restoring a branch to its own history');
    }
    if ((self || hasChildren) && input.preserve_under_name === undefined) {
      throw badRequest('preserve_under_name is required when the branch has children or is restored to its own history');
    }
    if (target.isProtected && input.preserve_under_name === undefined) throw unprocessable('cannot restore a protected branch without preserve_under_name');
    checkName('preserve_under_name', input.preserve_under_name, textNameIssue);
    if (input.preserve_under_name !== undefined) assertUniqueName(sim, project.id, input.preserve_under_name);
    const now = sim.now();
    if (input.preserve_under_name !== undefined) {
      const backup = createBranchRecord(sim, project, {
        name: input.preserve_under_name,
        ...(target.parentId !== undefined ? { parent: requireBranch(sim, project.id, target.parentId) } : {}),
      });
      backup.currentState = 'ready';
      delete backup.pendingState;
      inheritContents(sim, target, backup);
      for (const child of sim.store.branchesOf(project.id)) if (child.parentId === target.id) child.parentId = backup.id;
    }
    if (!self) {
      for (const role of sim.store.rolesOf(target.id)) role.deletedAt = now;
      for (const db of sim.store.databasesOf(target.id)) db.deletedAt = now;
      inheritContents(sim, source, target);
      target.parentId = source.id;
      target.parentLsn = input.source_lsn ?? `0/${source.lsn.toString(16).toUpperCase()}`;
    }
    target.lastResetAt = now;
    target.restoredFrom = source.id;
    target.currentState = 'resetting';
    target.pendingState = 'ready';
    target.updatedAt = now;
    const operations = sim.engine.schedule(project.id, [createBranchOperation(target, 'create_timeline')]);
    const body: ResponseBody<'restoreProjectBranch', 200> = {
      branch: sim.serializer.branch(target),
      operations: operations.map((o) => sim.serializer.operation(o)),
    };
    return body;
  });

  app.post<BranchParams>('/projects/:project_id/branches/:branch_id/set_as_default', async (request) => {
    const project = requireMutableProject(sim, request.params.project_id);
    const branch = requireBranch(sim, project.id, request.params.branch_id);
    if (branch.expiresAt !== undefined) throw badRequest('a branch with an expiration cannot be the default branch; remove expires_at first');
    const now = sim.now();
    for (const b of sim.store.branchesOf(project.id)) {
      if (b.isDefault && b.id !== branch.id) {
        b.isDefault = false;
        b.updatedAt = now;
      }
    }
    branch.isDefault = true;
    branch.updatedAt = now;
    const body: ResponseBody<'setDefaultProjectBranch', 200> = { branch: sim.serializer.branch(branch), operations: [] };
    return body;
  });

  app.get<BranchParams>('/projects/:project_id/branches/:branch_id/endpoints', async (request) => {
    const project = requireProject(sim, request.params.project_id);
    const branch = requireBranch(sim, project.id, request.params.branch_id);
    const body: ResponseBody<'listProjectBranchEndpoints', 200> = {
      endpoints: sim.store.endpointsOf(project.id, branch.id).map((e) => sim.serializer.endpoint(e, project.regionId)),
    };
    return body;
  });
}
