import type { OutputMode } from '../args.js';
import { withoutSecrets, type IntentView, type PreviewView } from '../client/schemas.js';
import type { CliContext } from '../context.js';
import { writeGithubOutputs } from '../output/github.js';
import { formatEnv, pickConnection, resultValues, type ConnectionChoice } from '../output/results.js';

export interface EmitOptions {
  mode: OutputMode;
  view: IntentView;
  preview?: PreviewView;
  showSecrets: boolean;
  choice: ConnectionChoice;
  /** `$GITHUB_OUTPUT` (checked before any request when the mode is `github`). */
  githubOutput: string | undefined;
}

/** Prints (or hands to GitHub) what a command produced, secrets only where the mode asks for them. */
export function emitResult(ctx: CliContext, options: EmitOptions): void {
  const { mode, view, preview } = options;
  if (mode === 'json') {
    const intent = options.showSecrets ? view : withoutSecrets(view);
    const body = preview ? { ...preview, intent } : intent;
    ctx.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return;
  }
  const connection = pickConnection(view, options.choice);
  const values = resultValues(view, { ...(preview ? { preview } : {}), ...(connection ? { connection } : {}) });
  if (mode === 'env') {
    ctx.stdout.write(formatEnv(values));
    return;
  }
  writeGithubOutputs(options.githubOutput ?? '', values, ctx.stdout);
  ctx.stdout.write(`outputs written to $GITHUB_OUTPUT: ${values.map((v) => v.output).join(', ')}\n`);
}
