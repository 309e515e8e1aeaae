import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { createSourceBodySchema, sourceIdParamsSchema, sourceViewSchema } from '@neonops/intents';
import { commonProblems, problem } from './schemas.js';

const base = { tags: ['sources'], security: [{ bearer: [] }] };
const notFound = problem('`source_not_found`: no such source for this team');
const createdSchema = z.intersection(
  sourceViewSchema,
  z.object({
    secret: z.string().describe('The signing secret: shown only here. GitHub: paste it as the webhook’s secret; Standard Webhooks: `whsec_…`'),
    hookPath: z.string().describe('Where deliveries go: `/v1/hooks/github/{id}` or `/v1/hooks/{id}`'),
  }),
);

/** `/v1/sources`: where hook deliveries come from (GitHub repositories, Standard Webhooks senders), per team. */
const sourceRoutes: FastifyPluginAsyncZod = async (fastify) => {
  fastify.post(
    '/v1/sources',
    {
      schema: {
        ...base,
        summary: 'Create a source',
        description:
          'A `github` source binds repositories to one of the team’s projects with a preview rule; a `standard-webhooks` source lets a signed sender submit intents, optionally only some kinds and projects. The secret is shown once.',
        body: createSourceBodySchema,
        response: { 201: createdSchema, ...commonProblems, 404: problem('`project_not_found`'), 409: problem('`too_many_sources`') },
      },
    },
    async (request, reply) => {
      const { source, secret } = await fastify.sources.create(request.team, request.body);
      const hookPath = source.kind === 'github' ? `/v1/hooks/github/${source.id}` : `/v1/hooks/${source.id}`;
      return reply.code(201).header('location', `/v1/sources/${source.id}`).send({ ...source, secret, hookPath });
    },
  );

  fastify.get(
    '/v1/sources',
    { schema: { ...base, summary: 'List the team’s sources', response: { 200: z.object({ items: z.array(sourceViewSchema) }), ...commonProblems } } },
    async (request) => ({ items: await fastify.sources.list(request.team) }),
  );

  fastify.get(
    '/v1/sources/:sourceId',
    { schema: { ...base, summary: 'Read a source (never its secret)', params: sourceIdParamsSchema, response: { 200: sourceViewSchema, ...commonProblems, 404: notFound } } },
    async (request) => fastify.sources.get(request.team, request.params.sourceId),
  );

  fastify.delete(
    '/v1/sources/:sourceId',
    { schema: { ...base, summary: 'Delete a source', params: sourceIdParamsSchema, response: { 204: z.null().describe('Deleted'), ...commonProblems, 404: notFound } } },
    async (request, reply) => {
      await fastify.sources.delete(request.team, request.params.sourceId);
      return reply.code(204).send(null);
    },
  );
};

export default sourceRoutes;
