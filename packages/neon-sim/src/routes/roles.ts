import type { FastifyInstance } from 'fastify';
import type { Simulation } from '../core.js';
import { checkName, roleNameIssue } from '../behaviour/name-rules.js';
import { parseBody, roleCreateBody } from '../http/bodies.js';
import { conflict, notFound, SimHttpError, unprocessable } from '../http/errors.js';
import type { ResponseBody } from '../http/types.js';
import type { RoleRecord } from '../state/records.js';
import { applyConfigOperations, createRoleRecord, requireBranch, requireMutableProject, requireProject } from '../state/mutations.js';

type BranchParams = { Params: { project_id: string; branch_id: string } };
type RoleParams = { Params: { project_id: string; branch_id: string; role_name: string } };

export function registerRoleRoutes(app: FastifyInstance, sim: Simulation): void {
  const base = '/projects/:project_id/branches/:branch_id/roles';

  const lookup = (params: RoleParams['Params']): { role: RoleRecord; branchId: string } => {
    requireProject(sim, params.project_id);
    const branch = requireBranch(sim, params.project_id, params.branch_id);
    const role = sim.store.liveRole(branch.id, params.role_name);
    if (!role) throw notFound('role');
    return { role, branchId: branch.id };
  };

  app.get<BranchParams>(base, async (request) => {
    requireProject(sim, request.params.project_id);
    const branch = requireBranch(sim, request.params.project_id, request.params.branch_id);
    const body: ResponseBody<'listProjectBranchRoles', 200> = { roles: sim.store.rolesOf(branch.id).map((r) => sim.serializer.role(r)) };
    return body;
  });

  app.get<RoleParams>(`${base}/:role_name`, async (request) => {
    const body: ResponseBody<'getProjectBranchRole', 200> = { role: sim.serializer.role(lookup(request.params).role) };
    return body;
  });

  app.post<BranchParams>(base, async (request, reply) => {
    const input = parseBody(roleCreateBody, request.body).role;
    checkName('role.name', input.name, roleNameIssue);
    const project = requireMutableProject(sim, request.params.project_id);
    const branch = requireBranch(sim, project.id, request.params.branch_id);
    if (sim.store.liveRole(branch.id, input.name)) throw conflict('role already exists');
    const role = createRoleRecord(sim, branch, input.name, { noLogin: input.no_login ?? false });
    const operations = sim.engine.schedule(project.id, applyConfigOperations(sim, branch));
    const body: ResponseBody<'createProjectBranchRole', 201> = {
      role: sim.serializer.role(role, true),
      operations: operations.map((o) => sim.serializer.operation(o)),
    };
    return reply.code(201).send(body);
  });

  app.delete<RoleParams>(`${base}/:role_name`, async (request, reply) => {
    const project = requireProject(sim, request.params.project_id);
    const branch = requireBranch(sim, project.id, request.params.branch_id);
    const role = sim.store.liveRole(branch.id, request.params.role_name);
    // Neon: 204 when the role does not exist or was already deleted.
    if (!role) return reply.code(204).send();
    requireMutableProject(sim, project.id);
    if (role.isProtected) throw unprocessable('cannot delete a protected role');
    if (sim.store.databasesOf(branch.id).some((d) => d.ownerName === role.name)) {
      throw unprocessable(`role ${role.name} owns databases; delete them or change their owner first`);
    }
    role.deletedAt = sim.now();
    role.updatedAt = role.deletedAt;
    const operations = sim.engine.schedule(project.id, applyConfigOperations(sim, branch));
    const body: ResponseBody<'deleteProjectBranchRole', 200> = {
      role: sim.serializer.role(role),
      operations: operations.map((o) => sim.serializer.operation(o)),
    };
    return body;
  });

  app.get<RoleParams>(`${base}/:role_name/reveal_password`, async (request) => {
    const { role } = lookup(request.params);
    const project = requireProject(sim, request.params.project_id);
    if (!project.storePasswords) throw new SimHttpError(412, 'passwords are not stored for this project');
    if (role.password === undefined) throw notFound('role password');
    const body: ResponseBody<'getProjectBranchRolePassword', 200> = { password: role.password };
    return body;
  });

  app.post<RoleParams>(`${base}/:role_name/reset_password`, async (request) => {
    const project = requireMutableProject(sim, request.params.project_id);
    const { role } = lookup(request.params);
    if (role.noLogin) throw unprocessable('role cannot log in');
    role.password = sim.ids.password();
    role.updatedAt = sim.now();
    const branch = requireBranch(sim, project.id, role.branchId);
    const operations = sim.engine.schedule(project.id, applyConfigOperations(sim, branch));
    const body: ResponseBody<'resetProjectBranchRolePassword', 200> = {
      role: sim.serializer.role(role, true),
      operations: operations.map((o) => sim.serializer.operation(o)),
    };
    return body;
  });
}
