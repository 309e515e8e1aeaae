import { budgetSchema, budgetUnitSchema } from '@neonops/durable-store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { targetTeam } from '../plugins/app/budgets.js';
import { commonProblems, problem } from './schemas.js';

const teamIdSchema = z.string().min(1).max(64).describe('Admins only: the team to act for (default: the token’s team)');

const budgetViewSchema = z
  .object({
    budget: budgetSchema,
    period: z
      .object({
        id: z.string().describe('The current budget month, `YYYY-MM` (UTC)'),
        start: z.string(),
        end: z.string(),
        spent: z.number().describe('Month-to-date spend in the budget’s unit (the stored usage, priced with the price table for `usd`)'),
        percent: z.number().describe('`spent` in percent of the amount'),
        announced: z
          .array(z.object({ threshold: z.number().int(), at: z.string() }))
          .describe('Thresholds already announced this month (`usage.threshold_crossed`), with when'),
      })
      .describe('The current month'),
  })
  .meta({ id: 'BudgetView' });

const putBudgetBodySchema = z
  .strictObject({
    teamId: teamIdSchema.optional(),
    unit: budgetUnitSchema.describe('`usd`: money at the price table; `cu_hours`: compute time'),
    amount: z.number().positive().max(1_000_000_000).describe('The monthly amount, in `unit`'),
    thresholds: z
      .array(z.number().int().min(1).max(1000))
      .min(1)
      .max(10)
      .refine((t) => new Set(t).size === t.length, 'thresholds must be distinct')
      .optional()
      .describe('Percentages of `amount` at which `usage.threshold_crossed` is sent. Default [50, 80, 100]'),
    enforce: z
      .boolean()
      .optional()
      .describe('At 100 %: suspend the team’s computes on non-protected branches (each an `endpoint.suspend` intent). Default false'),
  });

const problems = {
  ...commonProblems,
  403: problem('`team_forbidden`: a non-admin token named another team'),
  404: problem('`budget_not_found` (GET) or `team_not_found` (an admin named an unknown team)'),
  503: problem('`durable_store_not_configured` (no DATABASE_URL) or `store_unavailable`'),
};

/**
 * `GET /v1/budgets` and `PUT /v1/budgets`: the team's monthly budget (admins: any team's,
 * with `teamId`), stored in the durable store and watched by the workers' budget watch.
 */
const budgetRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const common = { tags: ['budgets'], security: [{ bearer: [] }] };

  fastify.get(
    '/v1/budgets',
    {
      schema: {
        ...common,
        summary: 'The team’s monthly budget and the thresholds announced this month',
        querystring: z.strictObject({ teamId: teamIdSchema.optional() }),
        response: { 200: budgetViewSchema, ...problems },
      },
    },
    async (request) => {
      const team = targetTeam(fastify.teams, request.team, request.query.teamId);
      return fastify.budgets.get(team.id);
    },
  );

  fastify.put(
    '/v1/budgets',
    {
      schema: {
        ...common,
        summary: 'Sets (creates or replaces) the team’s monthly budget',
        description:
          'Crossing each threshold sends one `usage.threshold_crossed` webhook per month to the team’s subscriptions that filter on it (`usage.*`). Replacing a budget mid-month keeps the thresholds already announced.',
        body: putBudgetBodySchema,
        response: { 200: budgetViewSchema, ...problems },
      },
    },
    async (request) => {
      const { teamId, ...input } = request.body;
      const team = targetTeam(fastify.teams, request.team, teamId);
      return fastify.budgets.put({ teamId: team.id, ...input });
    },
  );
};

export default budgetRoutes;
