import { NeonopsClient } from './client/api.js';
import type { RequestCoreOptions } from './client/core.js';
import type { Clock } from './clock.js';
import type { CliConfig } from './config.js';
import type { Output } from './output/progress.js';

/** Everything a command touches outside itself, injected so tests can run `main` in-process. */
export interface CliContext {
  stdout: Output;
  stderr: Output;
  /** The environment (`process.env` in the real CLI); read once through `loadConfig`. */
  env: Record<string, string | undefined>;
  /** Where `--params @file` paths start. Default `process.cwd()`. */
  cwd?: string;
  /** Read by `--params @-`. */
  stdin?: AsyncIterable<Uint8Array | string>;
  fetch?: typeof fetch;
  clock?: Clock;
  /** Request tuning (tests shorten the backoff). */
  requests?: Partial<Pick<RequestCoreOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs' | 'sleep' | 'timeoutMs'>>;
  /** SSE: reopen a stream that was silent this long, in ms. Default 45 000. */
  sseIdleMs?: number;
}

export const VERSION = '0.1.0';

/** The API client for a command, with a note on stderr before each retry (unless quiet). */
export function createClient(ctx: CliContext, config: CliConfig, quiet: boolean): NeonopsClient {
  return new NeonopsClient({
    baseUrl: config.url,
    token: config.token,
    userAgent: `neonops-cli/${VERSION}`,
    ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
    ...ctx.requests,
    onRetry: ({ attempt, delayMs, error }) => {
      if (!quiet) ctx.stderr.write(`note: ${error.message}; retrying in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt + 1})\n`);
    },
  });
}

/**
 * Wraps an output so that none of `secrets` (the token) can be written to it, whatever
 * a message happens to contain: each occurrence becomes `***`.
 */
export function redacting(out: Output, secrets: readonly string[]): Output {
  const hidden = secrets.filter((s) => s.length >= 4);
  if (hidden.length === 0) return out;
  const wrapped: Output = {
    write: (chunk: string) => out.write(hidden.reduce((text, s) => text.split(s).join('***'), chunk)),
  };
  if (out.isTTY !== undefined) wrapped.isTTY = out.isTTY;
  if (out.columns !== undefined) wrapped.columns = out.columns;
  return wrapped;
}
