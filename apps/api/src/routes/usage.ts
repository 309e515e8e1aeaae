import { costSchema, usageGranularitySchema, usageMetricsSchema } from '@neonops/durable-store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { targetTeam } from '../plugins/app/budgets.js';
import { MAX_RANGE_DAYS } from '../plugins/app/usage.js';
import { commonProblems, problem } from './schemas.js';

const instant = z.iso.datetime({ offset: true });
const usageQuerySchema = z.strictObject({
  from: instant.describe('Start (inclusive), RFC 3339, on the hour'),
  to: instant.describe('End (exclusive), RFC 3339, on the hour'),
  granularity: usageGranularitySchema
    .default('daily')
    .describe(`Buckets: UTC hours, days or calendar months. A range spans at most ${MAX_RANGE_DAYS.hourly} days hourly, ${MAX_RANGE_DAYS.daily} daily, ${MAX_RANGE_DAYS.monthly} monthly`),
  groupBy: z.enum(['project', 'branch']).default('project').describe('One item per bucket and project, or per bucket and branch (`branchId` "" is usage Neon reports per project only)'),
  teamId: z.string().min(1).max(64).optional().describe('Admins only: the team to report on (default: the token’s team)'),
  cursor: z.string().min(1).max(512).optional().describe('`nextCursor` of the previous page (same query)'),
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('Items per page'),
});

const usageItemSchema = z.object({
  start: z.string().describe('Start of the bucket (UTC)'),
  projectId: z.string(),
  branchId: z.string().optional(),
  preview: z
    .object({ sourceId: z.string(), pullRequest: z.number().int(), repository: z.string().optional() })
    .optional()
    .describe('With groupBy=branch: the pull request this branch is a preview of (its source), so preview costs add up per source'),
  metrics: usageMetricsSchema.describe('Neon’s consumption metrics (v2 names and units), summed over the bucket'),
  cuHours: z.number().describe('compute_unit_seconds / 3600'),
});
const pageFields = {
  teamId: z.string(),
  from: z.string(),
  to: z.string(),
  granularity: usageGranularitySchema,
  groupBy: z.enum(['project', 'branch']),
  nextCursor: z.string().optional().describe('Absent on the last page'),
};
const usagePageSchema = z.object({ ...pageFields, items: z.array(usageItemSchema) }).meta({ id: 'UsagePage' });
const costPageSchema = z
  .object({
    ...pageFields,
    currency: z.literal('USD'),
    items: z.array(usageItemSchema.extend({ cost: costSchema.describe('The bucket’s usage at the price table, line by line (not rounded)') })),
    forecast: z
      .object({
        month: z.string().describe('The current month, `YYYY-MM` (UTC)'),
        monthToDate: z.number().describe('The team’s cost so far this month'),
        cuHoursToDate: z.number(),
        method: z.literal('linear-daily-average').describe('Month to date ÷ elapsed days × days in the month'),
        elapsedDays: z.number(),
        daysInMonth: z.number(),
        total: z.number().describe('Expected cost of the whole month'),
      })
      .optional()
      .describe('Present when the range reaches into the current month'),
  })
  .meta({ id: 'CostPage' });

const problems = {
  ...commonProblems,
  400: problem('`invalid_range` (not on the hour, from ≥ to, too long), `invalid_cursor` or `validation_failed`'),
  403: problem('`team_forbidden`: a non-admin token named another team'),
  404: problem('`team_not_found`: an admin named an unknown team'),
  503: problem('`durable_store_not_configured` (no DATABASE_URL) or `store_unavailable`'),
};

/**
 * `GET /v1/usage` and `GET /v1/costs`: the team's usage as the workers collected it from
 * Neon's consumption history (its projects: the teams file's and those its intents made),
 * and what it costs at the price table, with a month-end forecast. Admins: any team.
 */
const usageRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const common = { tags: ['usage'], security: [{ bearer: [] }] };

  fastify.get(
    '/v1/usage',
    {
      schema: {
        ...common,
        summary: 'The team’s usage per hour, day or month, per project or branch',
        description: 'Collected hourly from Neon’s consumption history (the last hours are collected again, so recent figures can still grow). Cursor pages, oldest bucket first.',
        querystring: usageQuerySchema,
        response: { 200: usagePageSchema, ...problems },
      },
    },
    async (request) => {
      const { teamId, ...query } = request.query;
      const team = targetTeam(fastify.teams, request.team, teamId);
      return fastify.usageReports.usage({ ...query, teamId: team.id });
    },
  );

  fastify.get(
    '/v1/costs',
    {
      schema: {
        ...common,
        summary: 'What the team’s usage costs at the price table, with a month-end forecast',
        description:
          'Each item is the usage of `/v1/usage` priced line by line (`USAGE_PRICES`; defaults: Neon’s Launch plan). `forecast` carries the current month’s cost so far linearly to the month’s end.',
        querystring: usageQuerySchema,
        response: { 200: costPageSchema, ...problems },
      },
    },
    async (request) => {
      const { teamId, ...query } = request.query;
      const team = targetTeam(fastify.teams, request.team, teamId);
      return fastify.usageReports.costs({ ...query, teamId: team.id });
    },
  );
};

export default usageRoutes;
