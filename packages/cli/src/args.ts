import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './exit-codes.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const COMMON_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  quiet: { type: 'boolean', short: 'q' },
} as const satisfies Options;

/** Options of the commands that hand a result over (`submit`, `previews wait`). */
export const OUTPUT_OPTIONS = {
  output: { type: 'string', short: 'o' },
  'show-secrets': { type: 'boolean' },
  database: { type: 'string' },
  role: { type: 'string' },
  timeout: { type: 'string' },
} as const satisfies Options;

/** `util.parseArgs`, strict, with its errors turned into UsageErrors (exit 2) that name the command. */
export function parseCommandArgs<O extends Options>(
  command: string,
  args: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), command);
  }
}

export const OUTPUT_MODES = ['json', 'env', 'github'] as const;
export type OutputMode = (typeof OUTPUT_MODES)[number];

export function outputMode(value: string | undefined, command: string): OutputMode {
  const mode = value ?? 'json';
  if (!(OUTPUT_MODES as readonly string[]).includes(mode)) throw new UsageError(`--output must be one of ${OUTPUT_MODES.join(', ')}, not ${mode}`, command);
  return mode as OutputMode;
}

/** `--timeout` in seconds (default 600), as ms. */
export function timeoutMs(value: string | undefined, command: string): number {
  if (value === undefined) return 600_000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout must be a positive number of seconds, not ${value}`, command);
  return Math.round(seconds * 1000);
}

export function required(value: string | undefined, flag: string, command: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${flag} is required`, command);
  return value;
}

export function noPositionals(positionals: string[], command: string): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`, command);
}
