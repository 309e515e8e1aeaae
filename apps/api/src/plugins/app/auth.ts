import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { TokenReadOnlyError, UnauthorizedError } from '../../errors.js';
import { LiveTeamDirectory, type Caller } from '../../teams/managed-teams.js';
import type { TeamDirectory } from '../../teams/team-directory.js';
import type { Team } from '../../teams/teams-file.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The teams file's teams plus those managed in Redis (admin routes), refreshed within a second of a change. */
    teams: LiveTeamDirectory;
    /** onRequest hook for team routes: sets `request.team` from the bearer token, or answers 401. */
    authenticate: (request: FastifyRequest) => Promise<void>;
  }
  interface FastifyRequest {
    /** The authenticated team; set by `authenticate` on every /v1 route. */
    team: Team;
    /** Who asked: the team, the token's id (never the secret), its scopes and kinds; set with `team`. */
    caller: Caller;
  }
}

export interface AuthPluginOptions {
  /** The teams file's teams (a `LiveTeamDirectory` is used as is). */
  teams: TeamDirectory;
  /** Key prefix of the managed teams and tokens. */
  keyPrefix: string;
  /** How often each process looks for changed teams and tokens, ms. Default 1000. */
  teamsRefreshMs?: number;
  /** Clock for token expiry. Default `() => new Date()`. */
  now?: () => Date;
}

/**
 * Bearer team tokens: `Authorization: Bearer <token>`, matched by SHA-256 in constant time,
 * from the teams file or managed in Redis (`LiveTeamDirectory`). A `read` token may only
 * `GET`/`HEAD` (`403 token_read_only` otherwise).
 */
export default fp<AuthPluginOptions>(
  async (fastify, options) => {
    const teams =
      options.teams instanceof LiveTeamDirectory
        ? options.teams
        : new LiveTeamDirectory(options.teams.list(), fastify.redis, { prefix: options.keyPrefix, log: fastify.log, ...(options.now ? { now: options.now } : {}), ...(options.teamsRefreshMs === undefined ? {} : { refreshMs: options.teamsRefreshMs }) });
    // A Redis that does not answer at start leaves the file's teams; the refresh catches up.
    await teams.start().catch((error: unknown) => fastify.log.warn({ err: error }, 'could not read the managed teams at start; the teams file\'s work until Redis answers'));
    fastify.addHook('onClose', async () => teams.stop());
    fastify.decorate('teams', teams);
    // Fastify wants null for object-valued request decorators (shape stability); authenticate sets it.
    fastify.decorateRequest('team', null as unknown as Team);
    fastify.decorateRequest('caller', null as unknown as Caller);
    fastify.decorate('authenticate', async (request: FastifyRequest) => {
      const header = request.headers.authorization;
      const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match?.[1]) throw new UnauthorizedError('Send Authorization: Bearer <team token>');
      const caller = teams.identify(match[1]);
      if (!caller) throw new UnauthorizedError('The token is not valid');
      request.team = caller.team;
      request.caller = caller;
      request.log = request.log.child({ teamId: caller.team.id, tokenId: caller.tokenId });
      if (!caller.scopes.includes('write') && request.method !== 'GET' && request.method !== 'HEAD') {
        throw new TokenReadOnlyError(`Token ${caller.tokenId} has the read scope only`);
      }
    });
  },
  { name: 'auth', dependencies: ['redis'] },
);
