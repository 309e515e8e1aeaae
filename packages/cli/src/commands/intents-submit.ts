import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { COMMON_OPTIONS, noPositionals, OUTPUT_OPTIONS, outputMode, parseCommandArgs, required, timeoutMs } from '../args.js';
import { isTerminal, type IntentView } from '../client/schemas.js';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config.js';
import { createClient, type CliContext } from '../context.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { SUBMIT_HELP } from '../help.js';
import { longPollUntil } from '../long-poll.js';
import { checkOutputTarget, IntentProgress, intentExit, seconds } from './common.js';
import { emitResult } from './emit.js';

const COMMAND = 'intents submit';

/** `neonops intents submit`: POST an intent (with an idempotency key), optionally wait for its end. */
export async function intentsSubmit(args: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(COMMAND, args, {
    ...COMMON_OPTIONS,
    ...OUTPUT_OPTIONS,
    kind: { type: 'string', short: 'k' },
    params: { type: 'string', short: 'p' },
    'idempotency-key': { type: 'string' },
    wait: { type: 'boolean', short: 'w' },
  });
  if (values.help) {
    ctx.stdout.write(SUBMIT_HELP);
    return ExitCode.ok;
  }
  noPositionals(positionals, COMMAND);
  const kind = required(values.kind, '--kind', COMMAND);
  const params = await readParams(required(values.params, '--params', COMMAND), ctx);
  const mode = outputMode(values.output, COMMAND);
  const limitMs = timeoutMs(values.timeout, COMMAND);
  if (values.timeout !== undefined && !values.wait) throw new UsageError('--timeout needs --wait', COMMAND);
  const config = loadConfig(ctx.env, values, COMMAND);
  checkOutputTarget(mode, config, COMMAND);
  const quiet = values.quiet === true;
  const client = createClient(ctx, config, quiet);
  const clock = ctx.clock ?? systemClock;

  const idempotencyKey = values['idempotency-key'] ?? `neonops-cli-${randomUUID()}`;
  const accepted = await client.submitIntent({ kind, params, idempotencyKey });
  if (!quiet) ctx.stderr.write(`submitted intent ${accepted.id} (${accepted.kind}, Idempotency-Key ${idempotencyKey})\n`);
  const emit = (view: IntentView): void =>
    emitResult(ctx, {
      mode,
      view,
      showSecrets: values['show-secrets'] === true,
      choice: { ...(values.database ? { database: values.database } : {}), ...(values.role ? { role: values.role } : {}) },
      githubOutput: config.githubOutput,
    });
  if (!values.wait) {
    emit(accepted);
    return ExitCode.ok;
  }

  const progress = new IntentProgress(quiet ? undefined : ctx.stderr, ctx);
  progress.update(accepted);
  const outcome = isTerminal(accepted)
    ? { done: true as const, value: accepted }
    : await longPollUntil((waitSeconds, signal) => client.getIntent(accepted.id, { waitSeconds, signal }), isTerminal, {
        deadline: clock.now() + limitMs,
        onValue: (view) => progress.update(view),
        clock,
      });
  progress.finish();
  if (!outcome.done) {
    const last = outcome.last ?? accepted;
    ctx.stderr.write(
      `timed out after ${seconds(limitMs)}: intent ${accepted.id} is still ${last.status}; it keeps running (follow it: neonops intents watch ${accepted.id})\n`,
    );
    if (mode === 'json') emit(last);
    return ExitCode.timeout;
  }
  // The terminal answer of a long-poll holds the secrets; one that came with the 202 (a replay) may not.
  const view = outcome.value.status === 'succeeded' && !outcome.value.secrets && mode !== 'json' ? await client.getIntent(accepted.id) : outcome.value;
  const code = intentExit(ctx, view);
  if (code === ExitCode.ok || mode === 'json') emit(view);
  return code;
}

/** `--params`: inline JSON, `@path` (from the working directory) or `@-` (stdin); an object. */
async function readParams(spec: string, ctx: CliContext): Promise<Record<string, unknown>> {
  let text: string;
  let where: string;
  if (spec === '@-') {
    if (!ctx.stdin) throw new UsageError('--params @- needs a stdin', COMMAND);
    const chunks: string[] = [];
    for await (const chunk of ctx.stdin) chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    text = chunks.join('');
    where = 'stdin';
  } else if (spec.startsWith('@')) {
    const path = resolve(ctx.cwd ?? process.cwd(), spec.slice(1));
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
      throw new UsageError(`cannot read --params file ${path} (${code})`, COMMAND);
    }
    where = path;
  } else {
    text = spec;
    where = '--params';
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${where} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, COMMAND);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`${where} must hold a JSON object`, COMMAND);
  return parsed as Record<string, unknown>;
}
