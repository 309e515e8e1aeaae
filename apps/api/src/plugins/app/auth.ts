import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { UnauthorizedError } from '../../errors.js';
import type { TeamDirectory } from '../../teams/team-directory.js';
import type { Team } from '../../teams/teams-file.js';

declare module 'fastify' {
  interface FastifyInstance {
    teams: TeamDirectory;
    /** onRequest hook for team routes: sets `request.team` from the bearer token, or answers 401. */
    authenticate: (request: FastifyRequest) => Promise<void>;
  }
  interface FastifyRequest {
    /** The authenticated team; set by `authenticate` on every /v1 route. */
    team: Team;
  }
}

export interface AuthPluginOptions {
  teams: TeamDirectory;
}

/** Bearer team tokens: `Authorization: Bearer <token>`, matched by SHA-256 in constant time. */
export default fp<AuthPluginOptions>(
  async (fastify, options) => {
    fastify.decorate('teams', options.teams);
    // Fastify wants null for object-valued request decorators (shape stability); authenticate sets it.
    fastify.decorateRequest('team', null as unknown as Team);
    fastify.decorate('authenticate', async (request: FastifyRequest) => {
      const header = request.headers.authorization;
      const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match?.[1]) throw new UnauthorizedError('Send Authorization: Bearer <team token>');
      const team = options.teams.authenticate(match[1]);
      if (!team) throw new UnauthorizedError('The token is not valid');
      request.team = team;
      request.log = request.log.child({ teamId: team.id });
    });
  },
  { name: 'auth' },
);
