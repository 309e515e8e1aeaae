/**
 * `pnpm --filter @neonops/api team:token <team-id> [--file teams.yaml] [--admin] [--can-create-projects] [--project ID]...`
 *
 * Generates a bearer token for a team, prints it once on stdout and writes only its SHA-256
 * into the teams file, creating the file and the team when missing. The flags set up a team
 * that is created; an existing team keeps its settings and gains a token.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadCliConfig, processEnv } from '../config.js';
import { addTokenToTeams, generateToken, loadTeamsFileOrEmpty, saveTeamsFile, teamSchema } from '../teams/teams-file.js';

export interface CliIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}

const usage = 'usage: team:token <team-id> [--file teams.yaml] [--name NAME] [--admin] [--can-create-projects] [--project ID]...';

/** Runs the command; returns the exit code. */
export async function createTeamToken(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        file: { type: 'string', short: 'f' },
        name: { type: 'string' },
        admin: { type: 'boolean', default: false },
        'can-create-projects': { type: 'boolean', default: false },
        project: { type: 'string', multiple: true, default: [] },
        'max-active-intents': { type: 'string' },
      },
    });
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return 2;
  }
  const teamId = parsed.positionals[0];
  if (!teamId || parsed.positionals.length > 1) {
    io.stderr(usage);
    return 2;
  }
  const idCheck = teamSchema.shape.id.safeParse(teamId);
  if (!idCheck.success) {
    io.stderr(`invalid team id "${teamId}": ${idCheck.error.issues[0]?.message ?? ''}`);
    return 2;
  }
  const cli = loadCliConfig(io.env);
  const path = resolve(cli.baseDir ?? io.cwd, parsed.values.file ?? cli.teamsFile);
  const file = await loadTeamsFileOrEmpty(path);
  const isNew = !file.teams.some((team) => team.id === teamId);
  const token = generateToken();
  let next = addTokenToTeams(file, teamId, token);
  if (isNew) {
    const maxActive = parsed.values['max-active-intents'];
    const checked = teamSchema.safeParse({
      id: teamId,
      name: parsed.values.name ?? teamId,
      tokenHashes: next.teams.at(-1)?.tokenHashes ?? [],
      projects: parsed.values.project,
      canCreateProjects: parsed.values['can-create-projects'],
      admin: parsed.values.admin,
      limits: { maxActiveIntents: maxActive === undefined ? 100 : Number(maxActive) },
    });
    if (!checked.success) {
      io.stderr(`invalid team: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      return 2;
    }
    next = { teams: [...next.teams.slice(0, -1), checked.data] };
  }
  await saveTeamsFile(path, next);
  io.stderr(`${isNew ? 'Created team' : 'Added a token to team'} "${teamId}" in ${path}. The token is shown only once:`);
  io.stdout(token);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  createTeamToken(process.argv.slice(2), {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    env: processEnv(),
    cwd: process.cwd(),
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
