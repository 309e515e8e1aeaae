import { quotaFindingKindSchema, quotaFindingSchema, quotaModeSchema, quotaPolicySchema } from '@neonops/durable-store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { targetTeam } from '../plugins/app/budgets.js';
import { commonProblems, problem } from './schemas.js';

const teamIdSchema = z.string().min(1).max(64).describe('Admins only: the team to act for (default: the token’s team)');

const problems = {
  ...commonProblems,
  403: problem('`team_forbidden`: a non-admin token named another team'),
  404: problem('`team_not_found` (an admin named an unknown team)'),
  503: problem('`durable_store_not_configured` (no DATABASE_URL) or `store_unavailable`'),
};

const putPolicyBodySchema = z.strictObject({
  teamId: teamIdSchema.optional(),
  mode: quotaModeSchema.optional().describe('`dry_run` (default): report only; `act`: delete what the sweep finds, each deletion a `branch.delete` intent'),
  idleHours: z.number().int().positive().max(24 * 365).optional().describe('A preview/scratch branch without compute activity this long is `idle_branch`. Default 168'),
  scratchBranches: quotaPolicySchema.shape.scratchBranches
    .optional()
    .describe(
      'Name patterns of the team’s scratch branches (`*` matches any run of characters): branches made outside this service that may also be found idle, e.g. `["dev/*", "tmp-*"]`. ' +
        'Default `[]`: only branches this service made (its intents’ and previews’). Default and protected branches are never findings.',
    ),
  branchLimitRatio: z.number().gt(0).max(1).optional().describe('Share of the plan’s branch limit at which a project is `branch_limit`. Default 0.8'),
});

const findingsQuerySchema = z.strictObject({
  teamId: teamIdSchema.optional(),
  state: z.enum(['open', 'all']).default('open').describe('`open` (default): what the last sweep found; `all`: resolved ones too'),
  kind: quotaFindingKindSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(300).optional().describe('`nextCursor` of the previous page'),
});

/**
 * The quota sweep's policy per team (`GET`/`PUT /v1/quota/policy`) and what it found
 * (`GET /v1/quota/findings`); admins act for any team with `teamId`.
 */
const quotaRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const common = { tags: ['quota'], security: [{ bearer: [] }] };

  fastify.get(
    '/v1/quota/policy',
    {
      schema: {
        ...common,
        summary: 'The team’s quota policy (the default, dry-run, until the team sets one)',
        querystring: z.strictObject({ teamId: teamIdSchema.optional() }),
        response: { 200: quotaPolicySchema, ...problems },
      },
    },
    async (request) => fastify.quota.getPolicy(targetTeam(fastify.teams, request.team, request.query.teamId).id),
  );

  fastify.put(
    '/v1/quota/policy',
    {
      schema: {
        ...common,
        summary: 'Sets the team’s quota policy',
        description: 'Fields left out take their default. With `act`, each finding the sweep may act on gets one `branch.delete` intent, never two.',
        body: putPolicyBodySchema,
        response: { 200: quotaPolicySchema, ...problems },
      },
    },
    async (request) => {
      const { teamId, ...policy } = request.body;
      const team = targetTeam(fastify.teams, request.team, teamId);
      return fastify.quota.putPolicy({
        teamId: team.id,
        ...(policy.mode === undefined ? {} : { mode: policy.mode }),
        ...(policy.idleHours === undefined ? {} : { idleHours: policy.idleHours }),
        ...(policy.scratchBranches === undefined ? {} : { scratchBranches: policy.scratchBranches }),
        ...(policy.branchLimitRatio === undefined ? {} : { branchLimitRatio: policy.branchLimitRatio }),
      });
    },
  );

  fastify.get(
    '/v1/quota/findings',
    {
      schema: {
        ...common,
        summary: 'What the quota sweeps found for the team, by key, with the intent that acted on each',
        querystring: findingsQuerySchema,
        response: {
          200: z.object({ items: z.array(quotaFindingSchema), nextCursor: z.string().optional() }),
          ...problems,
        },
      },
    },
    async (request) => {
      const { teamId, state, kind, limit, cursor } = request.query;
      const team = targetTeam(fastify.teams, request.team, teamId);
      return fastify.quota.findings(team.id, { open: state === 'open', limit, ...(kind ? { kind } : {}), ...(cursor ? { cursor } : {}) });
    },
  );
};

export default quotaRoutes;
