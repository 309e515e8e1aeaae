import { randomBytes, timingSafeEqual } from 'node:crypto';
import { generateToken, hashToken, kindMatches, kindPatternSchema, TeamDirectory, teamSchema, type Team, type TeamInput } from '@neonops/teams';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { z } from 'zod';

/**
 * What a token may do: `read` (GET only) or `write` (everything its team may do, reads
 * included). Tokens of the teams file have `write`.
 */
export const tokenScopeSchema = z.enum(['read', 'write']);
export type TokenScope = z.infer<typeof tokenScopeSchema>;

/** A team made through `POST /v1/admin/teams`: the teams file's fields but tokens and sources. */
export const managedTeamInputSchema = teamSchema.omit({ tokenHashes: true, sources: true }).superRefine((team, ctx) => {
  (team.owns ?? []).forEach((projectId, at) => {
    if (!team.projects.includes(projectId)) ctx.addIssue({ code: 'custom', path: ['owns', at], message: `owns ${projectId}, which is not in its projects` });
  });
});
export type ManagedTeamInput = z.input<typeof managedTeamInputSchema>;

/** A managed token as stored in Redis: its SHA-256, never the token. */
export const storedTokenSchema = z.object({
  id: z.string(),
  teamId: z.string(),
  name: z.string(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  scopes: z.array(tokenScopeSchema),
  /** Intent kinds the token may submit (patterns), within its team's rights. Default: all its team may. */
  kinds: z.array(kindPatternSchema).optional(),
  createdAt: z.string(),
  expiresAt: z.string().optional(),
});
export type StoredToken = z.infer<typeof storedTokenSchema>;
/** A token as `GET …/tokens` shows it: everything but the hash. */
export type TokenView = Omit<StoredToken, 'hash'> & { source: 'api' | 'teams_file' };

/** Who made a request: the team and the token (its id, never the secret), with what the token allows. */
export interface Caller {
  team: Team;
  tokenId: string;
  scopes: readonly TokenScope[];
  kinds: readonly string[] | undefined;
}

/** The id a token of the teams file goes by: `file-` and the first 12 hex digits of its hash (not the secret, and not enough to find it). */
export function fileTokenId(hash: string): string {
  return `file-${hash.slice(0, 12)}`;
}

/** True when the token's kinds (if any) allow `kind`. */
export function tokenAllowsKind(caller: Pick<Caller, 'kinds'>, kind: string): boolean {
  return caller.kinds === undefined || kindMatches(caller.kinds, kind);
}

export interface LiveTeamDirectoryOptions {
  /** Key prefix (`KEY_PREFIX`). */
  prefix: string;
  /** How often each process looks for changes (one `GET` of a version counter), ms. Default 1000. */
  refreshMs?: number;
  now?: () => Date;
  log?: FastifyBaseLogger;
}

type Snapshot = { teams: Team[]; tokens: StoredToken[]; entries: Array<{ hash: Buffer; caller: Omit<Caller, 'team'> & { teamId: string; expiresAt?: number } }> };

/**
 * The teams file's teams plus the teams and tokens managed in Redis (admin routes). Reads are
 * synchronous, from a snapshot of Redis each process refreshes when a version counter
 * changes (checked every `refreshMs`): a token revoked on one replica is refused by every
 * other within about `refreshMs`, without a restart. Writes go to Redis and bump the counter
 * in one MULTI, and refresh the writing process at once.
 *
 * Keys (hash tag `{teams}`, no TTL — bounded by what admins create; a revoked token's entry is
 * deleted): `<prefix>{teams}:managed` (team id → team JSON), `<prefix>{teams}:tokens` (token
 * id → token JSON with its SHA-256), `<prefix>{teams}:version`.
 */
export class LiveTeamDirectory extends TeamDirectory {
  private readonly fileTeams: readonly Team[];
  private snapshot: Snapshot = { teams: [], tokens: [], entries: [] };
  private version: string | null | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => Date;

  constructor(
    fileTeams: readonly (Team | TeamInput)[],
    private readonly redis: Redis,
    private readonly options: LiveTeamDirectoryOptions,
  ) {
    super(fileTeams);
    this.fileTeams = super.list();
    this.now = options.now ?? (() => new Date());
    this.rebuild([], []);
  }

  private key(name: 'managed' | 'tokens' | 'version'): string {
    return `${this.options.prefix}{teams}:${name}`;
  }

  /** Reads Redis when the version changed (or `force`). Keeps the last snapshot when Redis fails. */
  async refresh(force = false): Promise<void> {
    const version = await this.redis.get(this.key('version'));
    if (!force && version === this.version) return;
    const [teams, tokens] = await Promise.all([this.redis.hvals(this.key('managed')), this.redis.hvals(this.key('tokens'))]);
    this.version = version;
    this.rebuild(
      teams.map((json) => teamSchema.parse(JSON.parse(json))),
      tokens.map((json) => storedTokenSchema.parse(JSON.parse(json))),
    );
  }

  /** Starts following Redis (first read at once). */
  async start(): Promise<void> {
    await this.refresh(true);
    const every = this.options.refreshMs ?? 1000;
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.options.log?.warn({ err: error }, 'could not refresh the managed teams and tokens; keeping the last ones'));
    }, every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private rebuild(managed: Team[], tokens: StoredToken[]): void {
    const teams = [...this.fileTeams, ...managed.filter((team) => !this.fileTeams.some((file) => file.id === team.id))];
    const entries: Snapshot['entries'] = [];
    for (const team of teams) {
      for (const hash of team.tokenHashes) entries.push({ hash: Buffer.from(hash, 'hex'), caller: { teamId: team.id, tokenId: fileTokenId(hash), scopes: ['read', 'write'], kinds: undefined } });
    }
    for (const token of tokens) {
      entries.push({
        hash: Buffer.from(token.hash, 'hex'),
        caller: { teamId: token.teamId, tokenId: token.id, scopes: token.scopes, kinds: token.kinds, ...(token.expiresAt ? { expiresAt: Date.parse(token.expiresAt) } : {}) },
      });
    }
    this.snapshot = { teams, tokens, entries };
  }

  /** The caller a bearer token stands for, or undefined (unknown, revoked, expired). Every hash compared in constant time. */
  identify(token: string): Caller | undefined {
    const candidate = Buffer.from(hashToken(token), 'hex');
    let found: Snapshot['entries'][number]['caller'] | undefined;
    for (const entry of this.snapshot.entries) {
      if (timingSafeEqual(entry.hash, candidate) && found === undefined) found = entry.caller;
    }
    if (!found) return undefined;
    if (found.expiresAt !== undefined && found.expiresAt <= this.now().getTime()) return undefined;
    const team = this.get(found.teamId);
    if (!team) return undefined;
    return { team, tokenId: found.tokenId, scopes: found.scopes, kinds: found.kinds };
  }

  override authenticate(token: string): Team | undefined {
    return this.identify(token)?.team;
  }

  override get(teamId: string): Team | undefined {
    return this.snapshot.teams.find((team) => team.id === teamId);
  }

  override list(): readonly Team[] {
    return this.snapshot.teams;
  }

  /** Where a team comes from. */
  sourceOf(teamId: string): 'teams_file' | 'api' | undefined {
    if (this.fileTeams.some((team) => team.id === teamId)) return 'teams_file';
    return this.get(teamId) ? 'api' : undefined;
  }

  /** Stores a new team; false when the id is taken (teams file or Redis). */
  async createTeam(input: z.output<typeof managedTeamInputSchema>): Promise<Team | undefined> {
    if (this.fileTeams.some((team) => team.id === input.id)) return undefined;
    const team = teamSchema.parse({ ...input, tokenHashes: [] });
    const [[, created] = [null, 0]] = (await this.redis.multi().hsetnx(this.key('managed'), team.id, JSON.stringify(team)).incr(this.key('version')).exec()) ?? [];
    await this.refresh(true);
    return created === 1 ? team : undefined;
  }

  /** Makes a token for the team; the token itself is returned once and only its hash stored. */
  async createToken(teamId: string, input: { name: string; scopes: TokenScope[]; kinds?: string[] | undefined; expiresAt?: string | undefined }): Promise<{ token: string; view: TokenView }> {
    const token = generateToken();
    const stored: StoredToken = {
      id: `tok_${randomBytes(9).toString('base64url')}`,
      teamId,
      name: input.name,
      hash: hashToken(token),
      scopes: input.scopes,
      ...(input.kinds ? { kinds: input.kinds } : {}),
      createdAt: this.now().toISOString(),
      ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}),
    };
    await this.redis.multi().hset(this.key('tokens'), stored.id, JSON.stringify(stored)).incr(this.key('version')).exec();
    await this.refresh(true);
    return { token, view: this.view(stored) };
  }

  /** The team's tokens (file ones first), never a hash or a secret. */
  tokensOf(teamId: string): TokenView[] {
    const team = this.get(teamId);
    const file: TokenView[] = (team?.tokenHashes ?? []).map((hash) => ({ id: fileTokenId(hash), teamId, name: 'teams file', scopes: ['read', 'write'], createdAt: '', source: 'teams_file' }));
    return [...file, ...this.snapshot.tokens.filter((token) => token.teamId === teamId).map((token) => this.view(token))];
  }

  /** Revokes a managed token: `revoked`, `not_found`, or `teams_file` (edit the file to revoke those). */
  async revokeToken(teamId: string, tokenId: string): Promise<'revoked' | 'not_found' | 'teams_file'> {
    if (this.tokensOf(teamId).some((token) => token.id === tokenId && token.source === 'teams_file')) return 'teams_file';
    await this.refresh(true);
    const stored = this.snapshot.tokens.find((token) => token.id === tokenId && token.teamId === teamId);
    if (!stored) return 'not_found';
    await this.redis.multi().hdel(this.key('tokens'), tokenId).incr(this.key('version')).exec();
    await this.refresh(true);
    return 'revoked';
  }

  private view(token: StoredToken): TokenView {
    const { hash: _hash, ...rest } = token;
    return { ...rest, source: 'api' };
  }
}
