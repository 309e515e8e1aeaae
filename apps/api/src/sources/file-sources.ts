import { fileSourceId, fileSourceSchema, type FileSource } from '@neonops/intents';
import { Webhook } from 'standardwebhooks';
import { TeamsFileError, type Team } from '../teams/teams-file.js';

/** A teams-file source with its secrets read from the environment. */
export interface ResolvedFileSource {
  teamId: string;
  source: FileSource;
  secret: string;
  githubToken?: string;
}

/** What the sources plugin writes at start: every team of the file (to prune sources removed from it) and its sources. */
export interface FileSources {
  teamIds: string[];
  sources: ResolvedFileSource[];
}

/** Shortest GitHub webhook secret accepted from the environment. */
const MIN_GITHUB_SECRET = 16;

/**
 * Checks every team's `sources` of the teams file and reads their secrets from `env` (the
 * variables they name). Throws `TeamsFileError` naming the team, the source and the variable
 * — never a value — when a source is invalid, a variable is unset, or a secret is unusable.
 */
export function resolveFileSources(teams: readonly Team[], env: Record<string, string | undefined>, path = 'teams file'): FileSources {
  const sources: ResolvedFileSource[] = [];
  for (const team of teams) {
    const seen = new Set<string>();
    (team.sources ?? []).forEach((raw, index) => {
      const where = `teams.${team.id}.sources.${index}`;
      const parsed = fileSourceSchema.safeParse(raw);
      if (!parsed.success) throw new TeamsFileError(path, parsed.error.issues.map((i) => `${where}.${i.path.join('.')}: ${i.message}`).join('; '));
      const source = parsed.data;
      if (seen.has(source.id)) throw new TeamsFileError(path, `${where}.id: duplicate source id ${source.id} in team ${team.id}`);
      seen.add(source.id);
      if (source.kind === 'github' && !team.projects.includes(source.projectId)) {
        throw new TeamsFileError(path, `${where}.projectId: ${source.projectId} is not one of team ${team.id}'s projects`);
      }
      const secret = env[source.secretEnv];
      if (!secret) throw new TeamsFileError(path, `${where}.secretEnv: ${source.secretEnv} is not set`);
      if (source.kind === 'github' && secret.length < MIN_GITHUB_SECRET) {
        throw new TeamsFileError(path, `${where}.secretEnv: ${source.secretEnv} must hold at least ${MIN_GITHUB_SECRET} characters`);
      }
      if (source.kind === 'standard-webhooks') {
        try {
          new Webhook(secret);
        } catch {
          throw new TeamsFileError(path, `${where}.secretEnv: ${source.secretEnv} must hold a whsec_… (base64) key`);
        }
      }
      let githubToken: string | undefined;
      if (source.kind === 'github' && source.githubTokenEnv) {
        githubToken = env[source.githubTokenEnv];
        if (!githubToken) throw new TeamsFileError(path, `${where}.githubTokenEnv: ${source.githubTokenEnv} is not set`);
      }
      sources.push({ teamId: team.id, source, secret, ...(githubToken ? { githubToken } : {}) });
    });
  }
  return { teamIds: teams.map((t) => t.id), sources };
}

export { fileSourceId };
