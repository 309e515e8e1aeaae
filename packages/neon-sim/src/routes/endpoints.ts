import type { FastifyInstance } from 'fastify';
import type { Simulation } from '../core.js';
import type { OperationSpec } from '../behaviour/operations-engine.js';
import { endpointCreateBody, endpointUpdateBody, parseBody } from '../http/bodies.js';
import { badRequest, conflict, unprocessable } from '../http/errors.js';
import type { ResponseBody } from '../http/types.js';
import type { EndpointRecord } from '../state/records.js';
import {
  assertVisible,
  createEndpointRecord,
  requireBranch,
  requireEndpoint,
  requireMutableProject,
  requireProject,
  startComputeOperation,
  suspendComputeOperation,
  tombstoneEndpoint,
} from '../state/mutations.js';
import { READ_WRITE_CONFLICT } from './branches.js';

type ProjectParams = { Params: { project_id: string } };
type EndpointParams = { Params: { project_id: string; endpoint_id: string } };

function assertNoOtherReadWrite(sim: Simulation, projectId: string, branchId: string, except?: string): void {
  if (sim.store.endpointsOf(projectId, branchId).some((e) => e.type === 'read_write' && e.id !== except)) throw conflict(READ_WRITE_CONFLICT);
}

export function registerEndpointRoutes(app: FastifyInstance, sim: Simulation): void {
  const respond = (ep: EndpointRecord, regionId: string, specs: OperationSpec[]) => {
    const operations = specs.length > 0 ? sim.engine.schedule(ep.projectId, specs) : [];
    return { endpoint: sim.serializer.endpoint(ep, regionId), operations: operations.map((o) => sim.serializer.operation(o)) };
  };

  app.get<ProjectParams>('/projects/:project_id/endpoints', async (request) => {
    const project = requireProject(sim, request.params.project_id);
    const body: ResponseBody<'listProjectEndpoints', 200> = {
      endpoints: sim.store.endpointsOf(project.id).map((e) => sim.serializer.endpoint(e, project.regionId)),
    };
    return body;
  });

  app.post<ProjectParams>('/projects/:project_id/endpoints', async (request, reply) => {
    const input = parseBody(endpointCreateBody, request.body).endpoint;
    const project = requireMutableProject(sim, request.params.project_id);
    if (input.region_id !== undefined && input.region_id !== project.regionId) throw badRequest(`region_id must be the project's region (${project.regionId})`);
    const branch = requireBranch(sim, project.id, input.branch_id);
    if (input.type === 'read_write') assertNoOtherReadWrite(sim, project.id, branch.id);
    const ep = createEndpointRecord(sim, project, branch, {
      type: input.type,
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.autoscaling_limit_min_cu !== undefined ? { minCu: input.autoscaling_limit_min_cu } : {}),
      ...(input.autoscaling_limit_max_cu !== undefined ? { maxCu: input.autoscaling_limit_max_cu } : {}),
      ...(input.suspend_timeout_seconds !== undefined ? { suspendTimeoutSeconds: input.suspend_timeout_seconds } : {}),
      ...(input.provisioner !== undefined ? { provisioner: input.provisioner } : {}),
      ...(input.settings !== undefined ? { settings: input.settings } : {}),
      ...(input.disabled !== undefined ? { disabled: input.disabled } : {}),
      ...(input.pooler_enabled !== undefined ? { poolerEnabled: input.pooler_enabled } : {}),
    });
    if (ep.minCu > ep.maxCu) throw badRequest('autoscaling_limit_min_cu must not exceed autoscaling_limit_max_cu');
    const body: ResponseBody<'createProjectEndpoint', 201> = respond(ep, project.regionId, ep.disabled ? [] : [startComputeOperation(sim, ep)]);
    if (ep.disabled) ep.currentState = 'idle';
    return reply.code(201).send(body);
  });

  app.get<EndpointParams>('/projects/:project_id/endpoints/:endpoint_id', async (request) => {
    const project = requireProject(sim, request.params.project_id);
    const ep = requireEndpoint(sim, project.id, request.params.endpoint_id);
    assertVisible(sim, ep, 'endpoint');
    const body: ResponseBody<'getProjectEndpoint', 200> = { endpoint: sim.serializer.endpoint(ep, project.regionId) };
    return body;
  });

  app.patch<EndpointParams>('/projects/:project_id/endpoints/:endpoint_id', async (request) => {
    const input = parseBody(endpointUpdateBody, request.body).endpoint;
    const project = requireMutableProject(sim, request.params.project_id);
    const ep = requireEndpoint(sim, project.id, request.params.endpoint_id);
    if (input.branch_id !== undefined && input.branch_id !== ep.branchId) {
      requireBranch(sim, project.id, input.branch_id);
      if (ep.type === 'read_write') assertNoOtherReadWrite(sim, project.id, input.branch_id, ep.id);
      sim.store.moveEndpoint(ep, input.branch_id);
    }
    const minCu = input.autoscaling_limit_min_cu ?? ep.minCu;
    const maxCu = input.autoscaling_limit_max_cu ?? ep.maxCu;
    if (minCu > maxCu) throw badRequest('autoscaling_limit_min_cu must not exceed autoscaling_limit_max_cu');
    ep.minCu = minCu;
    ep.maxCu = maxCu;
    if (input.suspend_timeout_seconds !== undefined) {
      ep.suspendTimeoutSeconds = input.suspend_timeout_seconds;
      sim.store.suspendWatch.watch(ep); // its suspend deadline moved
    }
    if (input.provisioner !== undefined) ep.provisioner = input.provisioner;
    if (input.settings !== undefined) ep.settings = { ...ep.settings, ...input.settings };
    if (input.pooler_enabled !== undefined) ep.poolerEnabled = input.pooler_enabled;
    if (input.name !== undefined) ep.name = input.name;
    ep.updatedAt = sim.now();
    const specs: OperationSpec[] = [];
    if (input.disabled !== undefined && input.disabled !== ep.disabled) {
      ep.disabled = input.disabled;
      // Disabling schedules a suspend, as Neon documents.
      if (ep.disabled && ep.currentState === 'active') specs.push(suspendComputeOperation(ep));
    } else if (ep.currentState === 'active') {
      specs.push({ action: 'apply_config', branchId: ep.branchId, endpointId: ep.id });
    }
    const body: ResponseBody<'updateProjectEndpoint', 200> = respond(ep, project.regionId, specs);
    return body;
  });

  app.delete<EndpointParams>('/projects/:project_id/endpoints/:endpoint_id', async (request, reply) => {
    const project = requireProject(sim, request.params.project_id);
    const ep = sim.store.liveEndpoint(project.id, request.params.endpoint_id);
    if (!ep) return reply.code(204).send();
    requireMutableProject(sim, project.id);
    if (sim.store.liveBranch(project.id, ep.branchId)?.isProtected) throw unprocessable('computes of a protected branch cannot be deleted');
    const specs: OperationSpec[] = ep.currentState === 'active' ? [{ action: 'suspend_compute', branchId: ep.branchId, endpointId: ep.id }] : [];
    tombstoneEndpoint(ep, sim.now());
    const body: ResponseBody<'deleteProjectEndpoint', 200> = respond(ep, project.regionId, specs);
    return body;
  });

  const lifecycle = (path: string, plan: (ep: EndpointRecord) => OperationSpec[]) => {
    app.post<EndpointParams>(`/projects/:project_id/endpoints/:endpoint_id/${path}`, async (request) => {
      const project = requireMutableProject(sim, request.params.project_id);
      const ep = requireEndpoint(sim, project.id, request.params.endpoint_id);
      if (ep.disabled && path !== 'suspend') throw unprocessable('endpoint is disabled');
      const body: ResponseBody<'startProjectEndpoint', 200> = respond(ep, project.regionId, plan(ep));
      return body;
    });
  };
  lifecycle('start', (ep) => [startComputeOperation(sim, ep)]);
  lifecycle('suspend', (ep) => [suspendComputeOperation(ep)]);
  // A restart is a suspend followed by a start; the endpoint ends `active`.
  lifecycle('restart', (ep) => {
    const suspend = suspendComputeOperation(ep);
    const start = startComputeOperation(sim, ep);
    ep.pendingState = 'active';
    return [suspend, start];
  });
}
