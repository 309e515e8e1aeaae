import { scheduleRunSchema, scheduleSchema } from '@neonops/durable-store';
import { intentRequestSchema } from '@neonops/intents';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { commonProblems, problem } from './schemas.js';

const scheduleViewSchema = scheduleSchema
  .extend({
    nextRuns: z
      .array(z.string())
      .describe('The next run times (up to 5, RFC 3339 UTC), computed as the workers’ job scheduler computes them; empty while paused'),
  })
  .meta({ id: 'ScheduleView' });

const timingFields = {
  cron: z.string().min(1).max(200).optional().describe('5-field cron pattern (minute hour day-of-month month day-of-week), e.g. `0 20 * * 1-5`, read in `timezone`'),
  timezone: z.string().min(1).max(64).optional().describe('IANA time zone of `cron`, e.g. `Europe/Paris`. Default `UTC`'),
  every: z
    .union([z.number().int().positive(), z.string().min(2).max(40)])
    .optional()
    .describe('Instead of `cron`: an interval, in milliseconds or as an ISO 8601 duration (`PT15M`, `P1D`); at least the deployment’s minimum (default 1 minute)'),
};

const intentField = intentRequestSchema.describe('The intent each run submits, `{ kind, params }` as for `POST /v1/intents`');

const createBodySchema = z.strictObject({
  name: z.string().min(1).max(100).optional().describe('A label for people'),
  ...timingFields,
  intent: intentField,
  paused: z.boolean().optional().describe('Create it paused. Default false'),
});

const updateBodySchema = z.strictObject({
  name: z.string().min(1).max(100).nullable().optional().describe('A new label; `null` removes it'),
  ...timingFields,
  intent: intentField.optional(),
  paused: z.boolean().optional(),
});

const idParamsSchema = z.strictObject({ id: z.string().regex(/^sch_[0-9a-z]{26}$/, 'a schedule id (sch_…)') });
const pageQuery = (cursor: z.ZodType<string>) =>
  z.strictObject({
    cursor: cursor.optional().describe('`nextCursor` of the previous page'),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  });

const problems = {
  ...commonProblems,
  403: problem('`kind_forbidden` or `project_creation_forbidden`: the team may not submit this intent'),
  404: problem('`schedule_not_found`, or `project_not_found` (the intent names a project the team may not use)'),
  503: problem('`durable_store_not_configured` (no DATABASE_URL) or `store_unavailable`'),
};

/**
 * Team schedules: a cron pattern in a time zone, or an interval, and the intent each run
 * submits. Stored in the durable store; each one is a BullMQ job scheduler in the workers, so
 * a run happens once per deployment. Runs are recorded (`submitted`, `skipped` while the
 * previous run's intent is still active, `refused` when the team's rights no longer allow it).
 */
const scheduleRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const common = { tags: ['schedules'], security: [{ bearer: [] }] };

  fastify.post(
    '/v1/schedules',
    {
      schema: {
        ...common,
        summary: 'Creates a schedule',
        description:
          'Give `cron` (with `timezone`) or `every`. The intent is validated against the catalog and the team’s rights now, and again at each run. A missed run (every worker down) runs once when they are back, not once per missed time.',
        body: createBodySchema,
        response: { 201: scheduleViewSchema, ...problems },
      },
    },
    async (request, reply) => {
      const view = await fastify.schedules.create(request.team, request.body);
      return reply.code(201).header('location', `/v1/schedules/${view.id}`).send(view);
    },
  );

  fastify.get(
    '/v1/schedules',
    {
      schema: {
        ...common,
        summary: 'The team’s schedules, newest first',
        querystring: pageQuery(z.string().regex(/^sch_[0-9a-z]{26}$/, 'a schedule id')),
        response: { 200: z.object({ items: z.array(scheduleViewSchema), nextCursor: z.string().optional() }), ...problems },
      },
    },
    async (request) => fastify.schedules.list(request.team, request.query),
  );

  fastify.get(
    '/v1/schedules/:id',
    { schema: { ...common, summary: 'A schedule and its next run times', params: idParamsSchema, response: { 200: scheduleViewSchema, ...problems } } },
    async (request) => fastify.schedules.get(request.team, request.params.id),
  );

  fastify.patch(
    '/v1/schedules/:id',
    {
      schema: {
        ...common,
        summary: 'Changes a schedule',
        description: 'Only the fields given change. `timezone` alone keeps the pattern; `every` replaces a pattern. A new intent is checked against the team’s rights.',
        params: idParamsSchema,
        body: updateBodySchema,
        response: { 200: scheduleViewSchema, ...problems },
      },
    },
    async (request) => fastify.schedules.update(request.team, request.params.id, request.body),
  );

  for (const action of ['pause', 'resume'] as const) {
    fastify.post(
      `/v1/schedules/:id/${action}`,
      {
        schema: {
          ...common,
          summary: action === 'pause' ? 'Pauses a schedule (no run until resumed)' : 'Resumes a schedule (runs missed while paused are not made up)',
          params: idParamsSchema,
          response: { 200: scheduleViewSchema, ...problems },
        },
      },
      async (request) => fastify.schedules.update(request.team, request.params.id, { paused: action === 'pause' }),
    );
  }

  fastify.delete(
    '/v1/schedules/:id',
    {
      schema: {
        ...common,
        summary: 'Deletes a schedule and its run history (intents it submitted are left alone)',
        params: idParamsSchema,
        response: { 204: z.null().describe('Deleted'), ...problems },
      },
    },
    async (request, reply) => {
      await fastify.schedules.delete(request.team, request.params.id);
      return reply.code(204).send(null);
    },
  );

  fastify.get(
    '/v1/schedules/:id/runs',
    {
      schema: {
        ...common,
        summary: 'The schedule’s runs, newest tick first',
        params: idParamsSchema,
        querystring: pageQuery(z.iso.datetime({ offset: true })),
        response: { 200: z.object({ items: z.array(scheduleRunSchema), nextCursor: z.string().optional() }), ...problems },
      },
    },
    async (request) => fastify.schedules.runs(request.team, request.params.id, request.query),
  );
};

export default scheduleRoutes;
