import { kindPatternSchema, teamSchema } from '@neonops/teams';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AdminRequiredError, TeamExistsError, TeamNotFoundError, TokenInTeamsFileError, TokenNotFoundError, ValidationError } from '../errors.js';
import { withRedis } from '../redis-errors.js';
import { managedTeamInputSchema, tokenScopeSchema } from '../teams/managed-teams.js';
import { commonProblems, problem } from './schemas.js';

const problems = {
  ...commonProblems,
  403: problem('`admin_required`: only admin team tokens manage teams and tokens; `token_read_only`'),
};

const teamViewSchema = teamSchema
  .omit({ tokenHashes: true, sources: true })
  .extend({ source: z.enum(['teams_file', 'api']).describe('`teams_file`: edit the file to change it; `api`: made through this API') })
  .meta({ id: 'AdminTeam' });

const tokenViewSchema = z
  .object({
    id: z.string().describe('Shown in logs and the audit; never the secret'),
    teamId: z.string(),
    name: z.string(),
    scopes: z.array(tokenScopeSchema),
    kinds: z.array(z.string()).optional().describe('Intent kinds the token may submit (patterns); absent: all its team may'),
    createdAt: z.string().describe('Empty for tokens of the teams file'),
    expiresAt: z.string().optional(),
    source: z.enum(['teams_file', 'api']),
  })
  .meta({ id: 'AdminToken' });

const teamParamsSchema = z.strictObject({ id: z.string().min(1).max(64) });

const createTokenBodySchema = z.strictObject({
  name: z.string().min(1).max(100).describe('What the token is for (shown in listings)'),
  scopes: z.array(tokenScopeSchema).min(1).max(2).default(['read', 'write']).describe('`read`: GET only; `write`: everything the team may. Default both'),
  kinds: z.array(kindPatternSchema).min(1).max(50).optional().describe('Intent kinds the token may submit (`branch.*`, `endpoint.start`), within its team’s rights. Default: all its team may'),
  expiresAt: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('When the token stops working (RFC 3339, in the future). Default: never'),
});

/**
 * Teams and tokens as managed data (admins only): `POST`/`GET /v1/admin/teams`, and per team
 * `POST`/`GET …/tokens` and `DELETE …/tokens/:tokenId`. Teams of the teams file are listed
 * and get tokens too; their file tokens are listed (by id) but only the file revokes them.
 */
const adminTeamRoutes: FastifyPluginAsyncZod = async (fastify) => {
  const common = { tags: ['admin'], security: [{ bearer: [] }] };
  fastify.addHook('onRequest', async (request) => {
    if (!request.team.admin) throw new AdminRequiredError('Teams and tokens are managed by admin teams');
  });
  const teamOr404 = (id: string) => {
    const team = fastify.teams.get(id);
    if (!team) throw new TeamNotFoundError(`No team ${id}`);
    return team;
  };
  const view = (team: z.infer<typeof teamSchema>) => {
    const { tokenHashes: _hashes, sources: _sources, ...rest } = team;
    return { ...rest, source: fastify.teams.sourceOf(team.id) ?? 'api' };
  };

  fastify.post(
    '/v1/admin/teams',
    {
      schema: {
        ...common,
        summary: 'Create a team (stored in Redis; the teams file’s teams stay as they are)',
        body: managedTeamInputSchema,
        response: { 201: teamViewSchema, ...problems, 409: problem('`team_exists`: the id is taken (teams file or API)') },
      },
    },
    async (request, reply) => {
      const team = await withRedis(fastify.redis, () => fastify.teams.createTeam(request.body));
      if (!team) throw new TeamExistsError(`Team ${request.body.id} exists`);
      request.log.info({ createdTeamId: team.id, adminTokenId: request.caller.tokenId }, 'team created');
      return reply.code(201).send(view(team));
    },
  );

  fastify.get(
    '/v1/admin/teams',
    { schema: { ...common, summary: 'Every team: the teams file’s and those made through the API', response: { 200: z.object({ items: z.array(teamViewSchema) }), ...problems } } },
    async () => ({ items: fastify.teams.list().map(view) }),
  );

  fastify.post(
    '/v1/admin/teams/:id/tokens',
    {
      schema: {
        ...common,
        summary: 'Make a token for the team; the token is in this answer only',
        params: teamParamsSchema,
        body: createTokenBodySchema,
        response: {
          201: tokenViewSchema.extend({ token: z.string().describe('The bearer token: shown once, stored only as its SHA-256') }),
          ...problems,
          400: problem('`validation_failed` (also an `expiresAt` not in the future)'),
          404: problem('`team_not_found`'),
        },
      },
    },
    async (request, reply) => {
      const team = teamOr404(request.params.id);
      const { expiresAt, ...rest } = request.body;
      if (expiresAt !== undefined && Date.parse(expiresAt) <= Date.now()) throw new ValidationError([{ in: 'body', path: 'expiresAt', message: 'must be in the future' }]);
      const { token, view: made } = await withRedis(fastify.redis, () => fastify.teams.createToken(team.id, { ...rest, ...(expiresAt ? { expiresAt: new Date(expiresAt).toISOString() } : {}) }));
      request.log.info({ forTeamId: team.id, newTokenId: made.id, adminTokenId: request.caller.tokenId }, 'token created');
      return reply.code(201).send({ ...made, token });
    },
  );

  fastify.get(
    '/v1/admin/teams/:id/tokens',
    {
      schema: {
        ...common,
        summary: 'The team’s tokens: ids, names, scopes and expiry, never a secret',
        params: teamParamsSchema,
        response: { 200: z.object({ items: z.array(tokenViewSchema) }), ...problems, 404: problem('`team_not_found`') },
      },
    },
    async (request) => ({ items: fastify.teams.tokensOf(teamOr404(request.params.id).id) }),
  );

  fastify.delete(
    '/v1/admin/teams/:id/tokens/:tokenId',
    {
      schema: {
        ...common,
        summary: 'Revoke a token; every replica refuses it within about a second',
        params: teamParamsSchema.extend({ tokenId: z.string().min(1).max(64) }),
        response: {
          204: z.null().describe('Revoked'),
          ...problems,
          404: problem('`team_not_found` or `token_not_found`'),
          409: problem('`token_in_teams_file`: remove it from the teams file instead'),
        },
      },
    },
    async (request, reply) => {
      const team = teamOr404(request.params.id);
      const outcome = await withRedis(fastify.redis, () => fastify.teams.revokeToken(team.id, request.params.tokenId));
      if (outcome === 'not_found') throw new TokenNotFoundError(`No token ${request.params.tokenId} of team ${team.id}`);
      if (outcome === 'teams_file') throw new TokenInTeamsFileError(`Token ${request.params.tokenId} is in the teams file`);
      request.log.info({ forTeamId: team.id, revokedTokenId: request.params.tokenId, adminTokenId: request.caller.tokenId }, 'token revoked');
      return reply.code(204).send(null);
    },
  );
};

export default adminTeamRoutes;
