import { neonIdSchema } from '@neonops/intents';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NeonNotConfiguredError } from '../errors.js';
import { addReadCache } from '../plugins/app/read-cache.js';
import type { NeonReader } from '../plugins/external/neon.js';
import { commonProblems, problem } from './schemas.js';

// Neon's objects are passed through as Neon shapes them (snake_case); the schemas name the
// fields clients rely on and let Neon's other fields through. Roles are listed field by
// field so that a password Neon might include is never passed on.
const project = z.looseObject({ id: z.string(), name: z.string(), region_id: z.string().optional() }).meta({ id: 'NeonProject' });
const branch = z.looseObject({ id: z.string(), project_id: z.string(), name: z.string() }).meta({ id: 'NeonBranch' });
const endpoint = z
  .looseObject({ id: z.string(), project_id: z.string(), branch_id: z.string(), host: z.string(), type: z.string() })
  .meta({ id: 'NeonEndpoint' });
const database = z.looseObject({ id: z.number(), branch_id: z.string(), name: z.string(), owner_name: z.string() }).meta({ id: 'NeonDatabase' });
const role = z
  .object({
    branch_id: z.string(),
    name: z.string(),
    protected: z.boolean().optional(),
    created_at: z.string().optional(),
    updated_at: z.string().optional(),
  })
  .meta({ id: 'NeonRole' });
const operation = z
  .looseObject({ id: z.string(), project_id: z.string(), action: z.string(), status: z.string() })
  .meta({ id: 'NeonOperation' });

const projectParams = z.strictObject({ projectId: neonIdSchema });
const branchParams = projectParams.extend({ branchId: neonIdSchema });
const endpointParams = projectParams.extend({ endpointId: neonIdSchema });

const readProblems = {
  ...commonProblems,
  404: problem('`project_not_found` (not the team’s) or `resource_not_found` (Neon has no such resource)'),
  502: problem('`neon_upstream_error`'),
  503: problem('`neon_unavailable` (rate limited or down; see Retry-After) or `neon_not_configured`'),
};

/** Most items a list route collects from Neon's paginated lists. */
const MAX_LIST_ITEMS = 1000;

async function collect<T>(items: AsyncIterable<T>, max: number): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item);
    if (out.length >= max) break;
  }
  return out;
}

/**
 * Read-through routes: GET views of the team's Neon projects, through the Neon client.
 * Every route first checks that the project is the team's (404 otherwise, without asking Neon).
 */
const projectRoutes: FastifyPluginAsyncZod<{ keyPrefix?: string; cacheTtlMs?: number }> = async (fastify, options) => {
  // Repeats within a few seconds are answered from Redis, not Neon; never connection URIs (a secret).
  addReadCache(fastify, {
    keyPrefix: options.keyPrefix ?? 'neonops:',
    ...(options.cacheTtlMs === undefined ? {} : { ttlMs: options.cacheTtlMs }),
    skip: (request) => request.routeOptions.url === '/v1/projects/:projectId/connection_uri',
  });
  const neon = (): NeonReader => {
    if (!fastify.neon) throw new NeonNotConfiguredError('Set NEON_API_KEY to use read-through routes');
    return fastify.neon;
  };
  const scoped = async (request: FastifyRequest, projectId: string): Promise<NeonReader> => {
    const client = neon();
    await fastify.projectScope.assertAllowed(request.team, projectId);
    return client;
  };
  const common = { tags: ['projects'], security: [{ bearer: [] }] };

  fastify.get(
    '/v1/projects',
    { schema: { ...common, summary: 'The team’s projects', response: { 200: z.object({ projects: z.array(project) }), ...readProblems } } },
    async (request) => {
      const client = neon();
      const ids = await fastify.projectScope.projectsOf(request.team);
      const found = await Promise.all(
        ids.map((id) =>
          client.getProject(id).then(
            (answer) => answer.project,
            (error: unknown) => {
              // A configured project that Neon no longer has is simply not listed.
              if (error instanceof Error && 'status' in error && error.status === 404) return undefined;
              throw error;
            },
          ),
        ),
      );
      return { projects: found.filter((p) => p !== undefined) };
    },
  );

  fastify.get(
    '/v1/projects/:projectId',
    { schema: { ...common, summary: 'One project', params: projectParams, response: { 200: z.object({ project }), ...readProblems } } },
    async (request) => {
      const answer = await (await scoped(request, request.params.projectId)).getProject(request.params.projectId);
      return { project: answer.project };
    },
  );

  fastify.get(
    '/v1/projects/:projectId/branches',
    { schema: { ...common, summary: 'Branches of a project', params: projectParams, response: { 200: z.object({ branches: z.array(branch) }), ...readProblems } } },
    async (request) => {
      const client = await scoped(request, request.params.projectId);
      return { branches: await collect(client.listBranches(request.params.projectId), MAX_LIST_ITEMS) };
    },
  );

  fastify.get(
    '/v1/projects/:projectId/branches/:branchId',
    { schema: { ...common, summary: 'One branch', params: branchParams, response: { 200: z.object({ branch }), ...readProblems } } },
    async (request) => {
      const { projectId, branchId } = request.params;
      const answer = await (await scoped(request, projectId)).getBranch(projectId, branchId);
      return { branch: answer.branch };
    },
  );

  fastify.get(
    '/v1/projects/:projectId/branches/:branchId/endpoints',
    { schema: { ...common, summary: 'Endpoints of a branch', params: branchParams, response: { 200: z.object({ endpoints: z.array(endpoint) }), ...readProblems } } },
    async (request) => {
      const { projectId, branchId } = request.params;
      const answer = await (await scoped(request, projectId)).listBranchEndpoints(projectId, branchId);
      return { endpoints: answer.endpoints };
    },
  );

  fastify.get(
    '/v1/projects/:projectId/branches/:branchId/databases',
    { schema: { ...common, summary: 'Databases of a branch', params: branchParams, response: { 200: z.object({ databases: z.array(database) }), ...readProblems } } },
    async (request) => {
      const { projectId, branchId } = request.params;
      const answer = await (await scoped(request, projectId)).listDatabases(projectId, branchId);
      return { databases: answer.databases };
    },
  );

  fastify.get(
    '/v1/projects/:projectId/branches/:branchId/roles',
    { schema: { ...common, summary: 'Roles of a branch (no passwords)', params: branchParams, response: { 200: z.object({ roles: z.array(role) }), ...readProblems } } },
    async (request) => {
      const { projectId, branchId } = request.params;
      const answer = await (await scoped(request, projectId)).listRoles(projectId, branchId);
      return { roles: answer.roles };
    },
  );

  fastify.get(
    '/v1/projects/:projectId/endpoints',
    { schema: { ...common, summary: 'Endpoints of a project', params: projectParams, response: { 200: z.object({ endpoints: z.array(endpoint) }), ...readProblems } } },
    async (request) => {
      const answer = await (await scoped(request, request.params.projectId)).listEndpoints(request.params.projectId);
      return { endpoints: answer.endpoints };
    },
  );

  fastify.get(
    '/v1/projects/:projectId/endpoints/:endpointId',
    { schema: { ...common, summary: 'One endpoint', params: endpointParams, response: { 200: z.object({ endpoint }), ...readProblems } } },
    async (request) => {
      const { projectId, endpointId } = request.params;
      const answer = await (await scoped(request, projectId)).getEndpoint(projectId, endpointId);
      return { endpoint: answer.endpoint };
    },
  );

  fastify.get(
    '/v1/projects/:projectId/operations',
    {
      schema: {
        ...common,
        summary: 'Recent operations of a project, newest first',
        params: projectParams,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(50) }),
        response: { 200: z.object({ operations: z.array(operation) }), ...readProblems },
      },
    },
    async (request) => {
      const client = await scoped(request, request.params.projectId);
      return { operations: await collect(client.listOperations(request.params.projectId), request.query.limit) };
    },
  );

  fastify.get(
    '/v1/projects/:projectId/connection_uri',
    {
      schema: {
        ...common,
        summary: 'A connection URI for a database and role (a secret: shown to the owning team only, never logged)',
        params: projectParams,
        querystring: z.strictObject({
          database_name: z.string().min(1).max(63),
          role_name: z.string().min(1).max(63),
          branch_id: neonIdSchema.optional(),
          endpoint_id: neonIdSchema.optional(),
          pooled: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
        }),
        response: { 200: z.object({ uri: z.string() }), ...readProblems },
      },
    },
    async (request) => {
      const { projectId } = request.params;
      const { pooled, ...rest } = request.query;
      const answer = await (await scoped(request, projectId)).getConnectionUri(projectId, { ...rest, ...(pooled === undefined ? {} : { pooled }) });
      return { uri: answer.uri };
    },
  );
};

export default projectRoutes;
