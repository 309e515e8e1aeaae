import { isClientError, NeonopsApiError } from './client/errors.js';
import { intentsSubmit } from './commands/intents-submit.js';
import { intentsWatch } from './commands/intents-watch.js';
import { previewsWait } from './commands/previews-wait.js';
import { redacting, VERSION, type CliContext } from './context.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { INTENTS_HELP, MAIN_HELP, PREVIEWS_HELP } from './help.js';

type Command = (args: string[], ctx: CliContext) => Promise<number>;

const COMMANDS: Record<string, Record<string, Command>> = {
  intents: { submit: intentsSubmit, watch: intentsWatch },
  previews: { wait: previewsWait },
};
const GROUP_HELP: Record<string, string> = { intents: INTENTS_HELP, previews: PREVIEWS_HELP };

/** Every token this run could know, so that no output can show it: `NEONOPS_TOKEN` and `--token` values. */
function tokensIn(argv: readonly string[], env: Record<string, string | undefined>): string[] {
  const tokens = [env.NEONOPS_TOKEN?.trim() ?? ''];
  argv.forEach((arg, i) => {
    if (arg === '--token') tokens.push(argv[i + 1] ?? '');
    else if (arg.startsWith('--token=')) tokens.push(arg.slice('--token='.length));
  });
  return tokens.filter((t) => t !== '');
}

/**
 * Runs the CLI with `argv` (without `node` and the script) and returns its exit code. All
 * input and output goes through `ctx`, so tests run it in-process as well as in a child.
 */
export async function main(argv: string[], context: CliContext): Promise<number> {
  const secrets = tokensIn(argv, context.env);
  const ctx: CliContext = { ...context, stdout: redacting(context.stdout, secrets), stderr: redacting(context.stderr, secrets) };
  const [group, name, ...rest] = argv;
  try {
    if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
      ctx.stdout.write(MAIN_HELP);
      return group === undefined ? ExitCode.usage : ExitCode.ok;
    }
    if (group === '--version' || group === '-v') {
      ctx.stdout.write(`${VERSION}\n`);
      return ExitCode.ok;
    }
    const commands = COMMANDS[group];
    if (!commands) throw new UsageError(`unknown command: ${group}`);
    if (name === undefined || name === '--help' || name === '-h') {
      ctx.stdout.write(GROUP_HELP[group] ?? MAIN_HELP);
      return name === undefined ? ExitCode.usage : ExitCode.ok;
    }
    const command = commands[name];
    if (!command) throw new UsageError(`unknown command: ${group} ${name}`, GROUP_HELP[group] ? group : undefined);
    return await command(rest, ctx);
  } catch (error) {
    return reportError(ctx, error);
  }
}

function reportError(ctx: CliContext, error: unknown): number {
  if (error instanceof UsageError) {
    ctx.stderr.write(`error: ${error.message}\n(see: neonops ${error.command ? `${error.command} ` : ''}--help)\n`);
    return ExitCode.usage;
  }
  if (isClientError(error)) {
    let hint = '';
    if (error instanceof NeonopsApiError && error.status === 401) hint = '\n(the API refused the token: check NEONOPS_TOKEN)';
    if (error instanceof NeonopsApiError && error.code === 'route_not_found') hint = '\n(this API does not offer that route: check NEONOPS_URL or update the server)';
    ctx.stderr.write(`error: ${error.message}${hint}\n`);
    return ExitCode.api;
  }
  // A bug or an unexpected failure (a full disk under $GITHUB_OUTPUT): say what, as an API-side error would.
  ctx.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  return ExitCode.api;
}
