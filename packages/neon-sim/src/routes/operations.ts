import type { FastifyInstance } from 'fastify';
import type { Simulation } from '../core.js';
import { notFound } from '../http/errors.js';
import { pageAfterId, parseLimit } from '../http/pagination.js';
import type { ResponseBody } from '../http/types.js';
import { requireProject } from '../state/mutations.js';

type ProjectParams = { Params: { project_id: string }; Querystring: Record<string, string | undefined> };
type OperationParams = { Params: { project_id: string; operation_id: string } };

export function registerOperationRoutes(app: FastifyInstance, sim: Simulation): void {
  app.get<ProjectParams>('/projects/:project_id/operations', async (request) => {
    const project = requireProject(sim, request.params.project_id);
    const limit = parseLimit(request.query.limit, 1, 1000, 10) ?? 10;
    // Newest first, like Neon.
    const all = sim.store.operationsOf(project.id).reverse();
    const { page, cursor } = pageAfterId(all, (o) => o.id, request.query.cursor, limit);
    const body: ResponseBody<'listProjectOperations', 200> = {
      operations: page.map((o) => sim.serializer.operation(o)),
      ...(cursor !== undefined ? { pagination: { cursor } } : {}),
    };
    return body;
  });

  app.get<OperationParams>('/projects/:project_id/operations/:operation_id', async (request) => {
    const project = requireProject(sim, request.params.project_id);
    const op = sim.store.operations.get(request.params.operation_id);
    if (!op || op.projectId !== project.id) throw notFound('operation');
    const body: ResponseBody<'getProjectOperation', 200> = { operation: sim.serializer.operation(op) };
    return body;
  });
}
