import { hash, randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';

/** An intent kind pattern: `*`, a family `branch.*`, or one kind `branch.create`. */
export const kindPatternSchema = z.string().regex(/^(\*|[a-z_]+\.(\*|[a-z_]+))$/, 'a kind (branch.create), a family (branch.*) or *');

/** True when `kind` matches one of `patterns` (see `kindPatternSchema`). */
export function kindMatches(patterns: readonly string[], kind: string): boolean {
  const family = kind.split('.')[0];
  return patterns.some((pattern) => pattern === '*' || pattern === kind || pattern === `${family}.*`);
}

/** A team as written in the teams file. */
export const teamSchema = z.strictObject({
  /** Stable id; used in Redis keys and logs. */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _ (1–63 chars)'),
  /** Display name. Default: the id. */
  name: z.string().min(1).optional(),
  /** SHA-256 (hex) of each valid bearer token; never the tokens themselves. */
  tokenHashes: z.array(z.string().regex(/^[0-9a-f]{64}$/, 'SHA-256 in lowercase hex')).default([]),
  /** Neon project ids this team may use (projects its `project.create` intents make are added in Redis). */
  projects: z.array(z.string().min(1)).default([]),
  /**
   * Kinds the team may submit on its projects, as patterns: a kind (`branch.create`), a
   * family (`branch.*`) or `*`. Default: every kind. Destructive project kinds
   * (`project.delete`) also need the team to own the project (`owns`, or made by its
   * `project.create`), so by default a team may do everything but delete a project it shares.
   */
  kinds: z.array(kindPatternSchema).optional(),
  /** Per-project patterns replacing `kinds` on that project (same syntax). Default none. */
  projectKinds: z.record(z.string().min(1), z.array(kindPatternSchema)).optional(),
  /**
   * Projects of `projects` this team owns: the one team that may submit destructive project
   * kinds (`project.delete`) on them. A project has at most one owning team in the file.
   * Projects made by the team's `project.create` intents are its own without being listed.
   */
  owns: z.array(z.string().min(1)).optional(),
  /** May submit `project.create`. Default `false`. */
  canCreateProjects: z.boolean().default(false),
  /** Unlocks admin-only kinds (`api_key.*`). Default `false`. */
  admin: z.boolean().default(false),
  /**
   * Hook sources of the team (GitHub repositories, Standard Webhooks senders), secrets given
   * as environment variable names; checked in full by the API at start
   * (`fileSourceSchema` in @neonops/intents). Default none.
   */
  sources: z.array(z.looseObject({ id: z.string(), kind: z.string() })).optional(),
  limits: z
    .strictObject({
      /** Most intents that may be queued, running or waiting at once. Default `100`. */
      maxActiveIntents: z.number().int().positive().default(100),
      /**
       * API requests per minute for the team's tokens together (`@fastify/rate-limit`, counted
       * in Redis across replicas). Default: the API's `TEAM_REQUESTS_PER_MINUTE` (600).
       */
      requestsPerMinute: z.number().int().positive().optional(),
    })
    .default({ maxActiveIntents: 100 }),
});
export type Team = z.infer<typeof teamSchema>;
export type TeamInput = z.input<typeof teamSchema>;

export const teamsFileSchema = z
  .strictObject({ teams: z.array(teamSchema) })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    const owners = new Map<string, string>();
    file.teams.forEach((team, index) => {
      if (seen.has(team.id)) ctx.addIssue({ code: 'custom', path: ['teams', index, 'id'], message: `duplicate team id ${team.id}` });
      seen.add(team.id);
      (team.owns ?? []).forEach((projectId, at) => {
        if (!team.projects.includes(projectId)) ctx.addIssue({ code: 'custom', path: ['teams', index, 'owns', at], message: `owns ${projectId}, which is not in its projects` });
        const other = owners.get(projectId);
        if (other !== undefined && other !== team.id) ctx.addIssue({ code: 'custom', path: ['teams', index, 'owns', at], message: `${projectId} is already owned by team ${other}` });
        owners.set(projectId, team.id);
      });
    });
  });
export type TeamsFile = z.infer<typeof teamsFileSchema>;

export class TeamsFileError extends Error {
  readonly code = 'invalid_teams_file';
  constructor(path: string, detail: string, options?: { cause?: unknown }) {
    super(`Teams file ${path}: ${detail}`, options);
    this.name = 'TeamsFileError';
  }
}

/** SHA-256 hex of a token: what the teams file stores. */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** A new random team token (`nop_` + 32 random bytes, base64url). */
export function generateToken(): string {
  return `nop_${randomBytes(32).toString('base64url')}`;
}

function isJsonPath(path: string): boolean {
  return path.toLowerCase().endsWith('.json');
}

/** Parses teams file text; JSON is valid YAML, so one parser reads both. */
export function parseTeamsFile(text: string, path = 'teams file'): TeamsFile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new TeamsFileError(path, 'is neither valid YAML nor JSON', { cause: error });
  }
  const parsed = teamsFileSchema.safeParse(raw ?? { teams: [] });
  if (!parsed.success) {
    throw new TeamsFileError(path, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

/** Reads and validates the teams file at `path`. */
export async function loadTeamsFile(path: string): Promise<TeamsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TeamsFileError(path, 'cannot be read', { cause: error });
  }
  return parseTeamsFile(text, path);
}

/** Reads the teams file, or an empty one when it does not exist yet. */
export async function loadTeamsFileOrEmpty(path: string): Promise<TeamsFile> {
  try {
    await readFile(path);
  } catch {
    return { teams: [] };
  }
  return loadTeamsFile(path);
}

/** Writes the file atomically (temp file + rename), as JSON or YAML by extension. */
export async function saveTeamsFile(path: string, file: TeamsFile): Promise<void> {
  const text = isJsonPath(path) ? `${JSON.stringify(file, null, 2)}\n` : stringifyYaml(file);
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o600 });
  await rename(temp, path);
}

/**
 * Adds a new token for `teamId` (creating the team when missing) and returns the token.
 * Only its hash is kept in the file; the caller shows the token once.
 */
export function addTokenToTeams(file: TeamsFile, teamId: string, token: string): TeamsFile {
  const hash = hashToken(token);
  const existing = file.teams.find((team) => team.id === teamId);
  if (existing) {
    return { teams: file.teams.map((team) => (team === existing ? { ...team, tokenHashes: [...team.tokenHashes, hash] } : team)) };
  }
  return { teams: [...file.teams, teamSchema.parse({ id: teamId, name: teamId, tokenHashes: [hash] })] };
}
