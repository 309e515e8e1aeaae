import { COMMON_OPTIONS, noPositionals, OUTPUT_OPTIONS, outputMode, parseCommandArgs, required, timeoutMs } from '../args.js';
import { NeonopsApiError } from '../client/errors.js';
import { isTerminal, type PreviewView } from '../client/schemas.js';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { createClient, type CliContext } from '../context.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { PREVIEWS_WAIT_HELP } from '../help.js';
import { longPollUntil } from '../long-poll.js';
import { pickConnection } from '../output/results.js';
import { checkOutputTarget, IntentProgress, intentExit, seconds } from './common.js';
import { emitResult } from './emit.js';

const COMMAND = 'previews wait';

/** The head commit an intent was made for (`params.pullRequest.headSha` of preview intents). */
export function intentHeadSha(preview: PreviewView): string | undefined {
  const pr = preview.intent?.params?.pullRequest;
  if (typeof pr !== 'object' || pr === null || !('headSha' in pr)) return undefined;
  return typeof pr.headSha === 'string' && pr.headSha !== '' ? pr.headSha : undefined;
}

/** Whether the preview's latest intent is the one for `sha` (any intent when no sha is asked for or none is known). */
export function isForSha(preview: PreviewView, sha: string | undefined): boolean {
  if (!sha) return true;
  const head = intentHeadSha(preview);
  return head === undefined || head.toLowerCase().startsWith(sha.toLowerCase());
}

/** `neonops previews wait`: waits for a pull request's preview database and hands over its URLs. */
export async function previewsWait(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(COMMAND, args, {
    ...COMMON_OPTIONS,
    ...OUTPUT_OPTIONS,
    repo: { type: 'string' },
    pr: { type: 'string' },
    sha: { type: 'string' },
  });
  if (values.help) {
    ctx.stdout.write(PREVIEWS_WAIT_HELP);
    return ExitCode.ok;
  }
  noPositionals(positionals, COMMAND);
  const repo = required(values.repo, '--repo', COMMAND);
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new UsageError(`--repo must be owner/name, not ${repo}`, COMMAND);
  const prText = required(values.pr, '--pr', COMMAND);
  if (!/^\d+$/.test(prText) || Number(prText) < 1) throw new UsageError(`--pr must be a pull request number, not ${prText}`, COMMAND);
  const pr = Number(prText);
  const sha = values.sha?.trim() || undefined;
  if (sha !== undefined && !/^[0-9a-f]{7,64}$/i.test(sha)) throw new UsageError(`--sha must be a commit hash (7–64 hex digits), not ${sha}`, COMMAND);
  const mode = outputMode(values.output, COMMAND);
  const limitMs = timeoutMs(values.timeout, COMMAND);
  const config = loadConfig(ctx.env, values, COMMAND);
  checkOutputTarget(mode, config, COMMAND);
  const quiet = values.quiet === true;
  const client = createClient(ctx, config, quiet);
  const clock = ctx.clock ?? systemClock;
  const progress = new IntentProgress(quiet ? undefined : ctx.stderr, ctx);
  const note = (text: string): void => {
    if (!quiet) ctx.stderr.write(`note: ${text}\n`);
  };
  const what = `${repo}#${pr}`;

  let missingNoted = false;
  let olderNoted = false;
  const outcome = await longPollUntil(
    async (waitSeconds, signal) => {
      try {
        return await client.getPreview(repo, pr, { waitSeconds, signal });
      } catch (error) {
        // Not there yet: the pull request event may still be on its way. A missing route is another matter.
        if (error instanceof NeonopsApiError && error.status === 404 && error.code !== 'route_not_found') {
          if (!missingNoted) note(`no preview for ${what} yet (${error.code}); waiting for it`);
          missingNoted = true;
          return undefined;
        }
        throw error;
      }
    },
    (preview) => preview.intent != null && isTerminal(preview.intent) && isForSha(preview, sha),
    {
      deadline: clock.now() + limitMs,
      clock,
      onValue: (preview) => {
        if (preview.intent) progress.update(preview.intent);
        if (preview.intent && isTerminal(preview.intent) && !isForSha(preview, sha) && !olderNoted) {
          note(`the preview's latest intent is for commit ${intentHeadSha(preview)?.slice(0, 12)}; waiting for ${sha}`);
          olderNoted = true;
        }
      },
    },
  );
  progress.finish();
  if (!outcome.done) {
    const state = outcome.last ? `its preview is ${outcome.last.state}${outcome.last.intent ? `, intent ${outcome.last.intent.id} ${outcome.last.intent.status}` : ''}` : 'no preview exists';
    ctx.stderr.write(`timed out after ${seconds(limitMs)} waiting for the preview of ${what}: ${state}\n`);
    return ExitCode.timeout;
  }
  const preview = outcome.value;
  let intent = preview.intent!;
  if (intent.kind === 'preview.teardown') {
    ctx.stderr.write(`error: pull request ${what} is closed: its preview was torn down (intent ${intent.id} ${intent.status})\n`);
    return ExitCode.failed;
  }
  if (intent.status !== 'succeeded') return intentExit(ctx, intent);
  const needsSecrets = mode !== 'json' || values['show-secrets'] === true;
  // The preview's view may leave the secrets out; the intent itself has them for its team.
  if (needsSecrets && !intent.secrets) intent = await client.getIntent(intent.id);
  const choice = { ...(values.database ? { database: values.database } : {}), ...(values.role ? { role: values.role } : {}) };
  if (mode !== 'json' && !pickConnection(intent, choice)) {
    const action = typeof intent.result?.action === 'string' ? ` (${intent.result.action}${typeof intent.result.reason === 'string' ? `: ${intent.result.reason}` : ''})` : '';
    const which = choice.database || choice.role ? ` for ${[choice.database, choice.role].filter(Boolean).join('/')}` : '';
    ctx.stderr.write(`error: the preview of ${what} has no connection URI${which}; intent ${intent.id} succeeded${action}\n`);
    return ExitCode.failed;
  }
  emitResult(ctx, { mode, view: intent, preview, showSecrets: values['show-secrets'] === true, choice, githubOutput: config.githubOutput });
  return ExitCode.ok;
}
