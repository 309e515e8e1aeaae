/**
 * The CLI's exit codes, the same for every command (documented in the README and in
 * `--help`), so a CI step can tell an intent that failed from one that is still running.
 */
export const ExitCode = {
  /** The intent (or the preview's intent) succeeded; or, without waiting, the request was accepted. */
  ok: 0,
  /** The intent failed or was cancelled (its error code and message go to stderr). */
  failed: 1,
  /** Bad usage or configuration: unknown option, missing URL/token, unreadable params, no $GITHUB_OUTPUT. */
  usage: 2,
  /** The wait ended (`--timeout`) before the intent did; it keeps running on the server. */
  timeout: 3,
  /** The API refused the request or could not be reached (after retries for safe requests). */
  api: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A usage or configuration problem: exit code 2, the message and a pointer to `--help`. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command whose `--help` explains the fix, e.g. `intents submit`. */
    readonly command?: string,
  ) {
    super(message);
  }
}
