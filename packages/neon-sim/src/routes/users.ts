import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Simulation } from '../core.js';
import { parseBody } from '../http/bodies.js';
import { notFound } from '../http/errors.js';
import { iso } from '../http/serialize.js';
import type { ResponseBody } from '../http/types.js';
import type { PermissionRecord } from '../state/records.js';
import { requireProject } from '../state/mutations.js';

type ProjectParams = { Params: { project_id: string } };
const grantBody = z.looseObject({ email: z.email().max(256) });

function permission(p: PermissionRecord): ResponseBody<'grantPermissionToProject', 200> {
  return {
    id: p.id,
    granted_to_email: p.email,
    granted_at: iso(p.grantedAt),
    ...(p.revokedAt !== undefined ? { revoked_at: iso(p.revokedAt) } : {}),
  };
}

/** The simulated account (`/users/me`) and project sharing (`/projects/{id}/permissions`). */
export function registerUserRoutes(app: FastifyInstance, sim: Simulation): void {
  app.get('/users/me', async (request) => {
    const body: ResponseBody<'getCurrentUserInfo', 200> = {
      active_seconds_limit: 0,
      id: request.simAccount?.createdBy ?? 'sim-user',
      email: 'sim-user@example.com',
      login: 'sim-user',
      name: 'Simulated',
      last_name: 'User',
      image: '',
      projects_limit: 1000,
      branches_limit: sim.branchesPerProject,
      max_autoscaling_limit: 16,
      auth_accounts: [],
      plan: 'scale',
    };
    return body;
  });

  app.get<ProjectParams>('/projects/:project_id/permissions', async (request) => {
    const project = requireProject(sim, request.params.project_id);
    const body: ResponseBody<'listProjectPermissions', 200> = {
      project_permissions: [...sim.store.permissions.values()].filter((p) => p.projectId === project.id && p.revokedAt === undefined).map(permission),
    };
    return body;
  });

  app.post<ProjectParams>('/projects/:project_id/permissions', async (request) => {
    const input = parseBody(grantBody, request.body);
    const project = requireProject(sim, request.params.project_id);
    const existing = [...sim.store.permissions.values()].find((p) => p.projectId === project.id && p.email === input.email && p.revokedAt === undefined);
    if (existing) return permission(existing);
    const record: PermissionRecord = { id: sim.ids.operationId(), projectId: project.id, email: input.email, grantedAt: sim.now() };
    sim.store.permissions.set(record.id, record);
    return permission(record);
  });

  app.delete<{ Params: { project_id: string; permission_id: string } }>('/projects/:project_id/permissions/:permission_id', async (request) => {
    const project = requireProject(sim, request.params.project_id);
    const record = sim.store.permissions.get(request.params.permission_id);
    if (!record || record.projectId !== project.id) throw notFound('permission');
    record.revokedAt ??= sim.now();
    return permission(record);
  });
}
