import { COMMON_OPTIONS, parseCommandArgs, timeoutMs } from '../args.js';
import { isTerminal } from '../client/schemas.js';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { createClient, type CliContext } from '../context.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { EventStreamUnsupported, followIntentEvents } from '../follow-events.js';
import { WATCH_HELP } from '../help.js';
import { longPollUntil } from '../long-poll.js';
import { IntentProgress, intentExit, seconds } from './common.js';

const COMMAND = 'intents watch';

/** `neonops intents watch <id>`: the intent's progress from its event stream until it ends. */
export async function intentsWatch(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(COMMAND, args, { ...COMMON_OPTIONS, timeout: { type: 'string' } });
  if (values.help) {
    ctx.stdout.write(WATCH_HELP);
    return ExitCode.ok;
  }
  if (positionals.length !== 1 || !positionals[0]) throw new UsageError('give one intent id', COMMAND);
  const id = positionals[0];
  const limitMs = timeoutMs(values.timeout, COMMAND);
  const config = loadConfig(ctx.env, values, COMMAND);
  const quiet = values.quiet === true;
  const client = createClient(ctx, config, quiet);
  const clock = ctx.clock ?? systemClock;
  const deadline = clock.now() + limitMs;
  const progress = new IntentProgress(ctx.stdout, ctx);
  const note = (text: string): void => {
    if (!quiet) ctx.stderr.write(`note: ${text}\n`);
  };

  let outcome;
  try {
    outcome = await followIntentEvents(client, id, {
      deadline,
      clock,
      onView: (view) => progress.update(view),
      onReconnect: ({ delayMs, reason }) => note(`event stream dropped (${reason}); resuming in ${(delayMs / 1000).toFixed(1)} s`),
      ...(ctx.sseIdleMs === undefined ? {} : { idleMs: ctx.sseIdleMs }),
    });
  } catch (error) {
    if (!(error instanceof EventStreamUnsupported)) throw error;
    note('this API has no event stream for intents; following by long-poll');
    outcome = await longPollUntil((waitSeconds, signal) => client.getIntent(id, { waitSeconds, signal }), isTerminal, {
      deadline,
      clock,
      onValue: (view) => progress.update(view),
    });
  }
  progress.finish();
  if (!outcome.done) {
    ctx.stderr.write(`timed out after ${seconds(limitMs)}: intent ${id} is still ${outcome.last?.status ?? 'unknown'}; it keeps running\n`);
    return ExitCode.timeout;
  }
  return intentExit(ctx, outcome.value);
}
