import type { components } from '@neonops/neon-client/openapi-types';
import type { FastifyInstance } from 'fastify';
import type { Simulation } from '../core.js';
import { INITIAL_PROJECT_BYTES } from '../behaviour/consumption.js';
import { checkName, databaseNameIssue, roleNameIssue, textNameIssue } from '../behaviour/name-rules.js';
import { parseBody, projectCreateBody, projectUpdateBody } from '../http/bodies.js';
import { badRequest, notFound, unprocessable } from '../http/errors.js';
import { pageAfterId, parseBoolean, parseLimit } from '../http/pagination.js';
import { connectionUri, endpointHost } from '../http/serialize.js';
import type { ResponseBody } from '../http/types.js';
import type { ProjectRecord } from '../state/records.js';
import {
  createBranchOperation,
  createBranchRecord,
  createDatabaseRecord,
  createEndpointRecord,
  createRoleRecord,
  requireBranch,
  requireMutableProject,
  requireProject,
  startComputeOperation,
  tombstoneBranch,
} from '../state/mutations.js';

type ProjectParams = { Params: { project_id: string } };
type ListQuery = { Querystring: Record<string, string | undefined> };

/** Projects newest first, as Neon lists them. */
function listed(sim: Simulation, search: string | undefined, orgId: string | undefined): ProjectRecord[] {
  return sim.store
    .liveProjects()
    .filter((p) => !search || p.name.includes(search) || p.id.includes(search))
    .filter((p) => !orgId || p.orgId === orgId)
    .reverse();
}

export function registerProjectRoutes(app: FastifyInstance, sim: Simulation): void {
  app.get<ListQuery>('/projects', async (request) => {
    const q = request.query;
    const limit = parseLimit(q.limit, 1, 400, 10) ?? 10;
    const { page, cursor } = pageAfterId(listed(sim, q.search, q.org_id), (p) => p.id, q.cursor, limit);
    const body: ResponseBody<'listProjects', 200> = {
      projects: page.map((p) => sim.serializer.projectListItem(p)),
      ...(cursor !== undefined ? { pagination: { cursor } } : {}),
      applications: {},
      integrations: {},
    };
    return body;
  });

  app.get<ListQuery>('/projects/shared', async (request) => {
    parseLimit(request.query.limit, 1, 400, 10);
    // Nobody shares projects with the simulated account.
    const body: ResponseBody<'listSharedProjects', 200> = { projects: [] };
    return body;
  });

  app.post('/projects', async (request, reply) => {
    const input = parseBody(projectCreateBody, request.body).project;
    checkName('project.name', input.name, textNameIssue);
    checkName('project.branch.name', input.branch?.name, textNameIssue);
    checkName('project.branch.database_name', input.branch?.database_name, databaseNameIssue);
    checkName('project.branch.role_name', input.branch?.role_name, roleNameIssue);
    const now = sim.now();
    const project: ProjectRecord = {
      id: sim.ids.projectId(),
      name: '',
      regionId: input.region_id ?? sim.region,
      pgVersion: input.pg_version ?? 17,
      createdAt: now,
      updatedAt: now,
      historyRetentionSeconds: input.history_retention_seconds ?? 86400,
      storePasswords: input.store_passwords ?? true,
      settings: input.settings ?? {},
      defaultEndpointSettings: {
        autoscaling_limit_min_cu: input.default_endpoint_settings?.autoscaling_limit_min_cu ?? input.autoscaling_limit_min_cu ?? 0.25,
        autoscaling_limit_max_cu: input.default_endpoint_settings?.autoscaling_limit_max_cu ?? input.autoscaling_limit_max_cu ?? 2,
        suspend_timeout_seconds: input.default_endpoint_settings?.suspend_timeout_seconds ?? 0,
      },
      ...(input.org_id !== undefined ? { orgId: input.org_id } : {}),
    };
    project.name = input.name ?? project.id;
    if (!/^[a-z]+-[a-z0-9-]+$/.test(project.regionId)) throw badRequest('region_id is invalid');
    sim.store.projects.set(project.id, project);

    const branch = createBranchRecord(sim, project, {
      name: input.branch?.name ?? 'main',
      isDefault: true,
      ...(input.branch?.annotations ? { annotations: input.branch.annotations } : {}),
    });
    const databaseName = input.branch?.database_name ?? 'neondb';
    const role = createRoleRecord(sim, branch, input.branch?.role_name ?? `${databaseName}_owner`);
    const database = createDatabaseRecord(sim, branch, databaseName, role.name, false);
    sim.store.addWrite({ projectId: project.id, branchId: branch.id, at: now, bytes: INITIAL_PROJECT_BYTES });
    const endpoint = createEndpointRecord(sim, project, branch, {
      type: 'read_write',
      ...(input.provisioner !== undefined ? { provisioner: input.provisioner } : {}),
    });
    const operations = sim.engine.schedule(project.id, [createBranchOperation(branch, 'create_timeline'), startComputeOperation(sim, endpoint)]);
    const password = role.password ?? '';
    const host = endpointHost(endpoint, project.regionId);
    const pooled = endpointHost(endpoint, project.regionId, true);
    const body: ResponseBody<'createProject', 201> = {
      project: sim.serializer.project(project),
      connection_uris: [
        {
          connection_uri: connectionUri(role, password, database.name, host),
          connection_parameters: { database: database.name, password, role: role.name, host, pooler_host: pooled },
        },
      ],
      roles: [sim.serializer.role(role, true)],
      databases: [sim.serializer.database(database)],
      operations: operations.map((o) => sim.serializer.operation(o)),
      branch: sim.serializer.branch(branch),
      endpoints: [sim.serializer.endpoint(endpoint, project.regionId)],
    };
    return reply.code(201).send(body);
  });

  app.get<ProjectParams>('/projects/:project_id', async (request) => {
    const body: ResponseBody<'getProject', 200> = { project: sim.serializer.project(requireProject(sim, request.params.project_id)) };
    return body;
  });

  app.patch<ProjectParams>('/projects/:project_id', async (request) => {
    const input = parseBody(projectUpdateBody, request.body).project;
    checkName('project.name', input.name, textNameIssue);
    const project = requireMutableProject(sim, request.params.project_id);
    if (input.name !== undefined) project.name = input.name;
    if (input.settings !== undefined) project.settings = { ...project.settings, ...input.settings };
    if (input.history_retention_seconds !== undefined) project.historyRetentionSeconds = input.history_retention_seconds;
    if (input.default_endpoint_settings !== undefined) {
      project.defaultEndpointSettings = { ...project.defaultEndpointSettings, ...input.default_endpoint_settings };
    }
    project.updatedAt = sim.now();
    const body: ResponseBody<'updateProject', 200> = { project: sim.serializer.project(project), operations: [] };
    return body;
  });

  app.delete<ProjectParams>('/projects/:project_id', async (request) => {
    const project = requireMutableProject(sim, request.params.project_id);
    const branches = sim.store.branchesOf(project.id);
    if (branches.some((b) => b.isProtected)) throw unprocessable('projects with protected branches cannot be deleted');
    const now = sim.now();
    for (const branch of branches) tombstoneBranch(sim, branch, now);
    project.deletedAt = now;
    project.updatedAt = now;
    const body: ResponseBody<'deleteProject', 200> = { project: sim.serializer.project(project) };
    return body;
  });

  app.get<ProjectParams & ListQuery>('/projects/:project_id/connection_uri', async (request) => {
    const q = request.query;
    const project = requireProject(sim, request.params.project_id);
    if (!q.database_name) throw badRequest('database_name is required');
    if (!q.role_name) throw badRequest('role_name is required');
    const pooled = parseBoolean(q.pooled, 'pooled') ?? false;
    const branch = q.branch_id ? requireBranch(sim, project.id, q.branch_id) : sim.store.defaultBranch(project.id);
    if (!branch) throw notFound('branch');
    const endpoints = sim.store.endpointsOf(project.id, branch.id);
    const endpoint = q.endpoint_id ? endpoints.find((e) => e.id === q.endpoint_id) : endpoints.find((e) => e.type === 'read_write');
    if (!endpoint) throw notFound('endpoint');
    const role = sim.store.liveRole(branch.id, q.role_name);
    if (!role) throw notFound('role');
    if (!sim.store.liveDatabase(branch.id, q.database_name)) throw notFound('database');
    if (role.password === undefined) throw unprocessable('role cannot log in');
    const body: components['schemas']['ConnectionURIResponse'] = {
      uri: connectionUri(role, role.password, q.database_name, endpointHost(endpoint, project.regionId, pooled)),
    };
    return body;
  });
}
