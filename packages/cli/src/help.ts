/** `--help` of every command. Kept beside each other so they read alike. */

const CONNECTION = `Connection:
  --url <url>        The API, e.g. https://neonops.example.com  [env NEONOPS_URL]
  --token <token>    The team's bearer token                   [env NEONOPS_TOKEN]
                     Prefer the environment: a flag is visible to other users in ps.
                     The token is never printed, also not in errors.`;

const EXIT_CODES = `Exit codes:
  0  succeeded (without --wait: accepted)
  1  the intent failed or was cancelled (its error code and message on stderr)
  2  usage or configuration error
  3  timed out waiting (the intent keeps running on the server)
  4  the API refused the request or could not be reached (after retries)`;

export const MAIN_HELP = `neonops — submit Neon intents, follow them, and wait for preview databases

Usage:
  neonops intents submit --kind <kind> --params <json|@file> [--wait] [options]
  neonops intents watch <intent-id> [options]
  neonops previews wait --repo <owner/name> --pr <number> [options]

Run \`neonops <command> --help\` for a command's options.

Environment:
  NEONOPS_URL     The API's base URL
  NEONOPS_TOKEN   The team's bearer token
  GITHUB_OUTPUT   Set by GitHub Actions; used by --output github

${EXIT_CODES}
`;

export const INTENTS_HELP = `Usage:
  neonops intents submit --kind <kind> --params <json|@file> [--wait] [options]
  neonops intents watch <intent-id> [options]

Run \`neonops intents submit --help\` or \`neonops intents watch --help\`.
`;

export const PREVIEWS_HELP = `Usage:
  neonops previews wait --repo <owner/name> --pr <number> [options]

Run \`neonops previews wait --help\`.
`;

const OUTPUT = `Output:
  --output json      The intent as JSON on stdout, without secrets (default)
  --output env       KEY=value lines for eval/source or a .env file: DATABASE_URL,
                     DATABASE_URL_POOLED (secrets), NEONOPS_BRANCH, NEONOPS_BRANCH_ID,
                     NEONOPS_HOST, NEONOPS_INTENT_ID, NEONOPS_INTENT_STATUS
  --output github    Appends db_url, db_url_pooled, branch, branch_id, host, intent_id
                     and status to $GITHUB_OUTPUT, after an ::add-mask:: line on stdout
                     for every secret value (and each URL's password)
  --show-secrets     With --output json: include the intent's secrets
  --database <name>  Which connection URI to use when there are several (default: first)
  --role <name>      Likewise, by role
  --quiet            No progress or notes on stderr (errors still)`;

export const SUBMIT_HELP = `Usage:
  neonops intents submit --kind <kind> --params <json|@file|@-> [options]

Submits an intent (POST /v1/intents) and prints it; with --wait, waits until it ends.

Options:
  --kind <kind>               Intent kind, e.g. branch.create, preview.ensure
  --params <json|@file|@->    Its params: inline JSON, @path to a JSON file, @- for stdin
  --idempotency-key <key>     Idempotency-Key for the POST. Default: a fresh random key, so
                              that the POST can be retried safely after a lost answer or a
                              5xx (the API answers the first result). Pass your own (e.g.
                              "pr-42-\${GITHUB_RUN_ID}") to make a re-run of the same job
                              reuse the first intent instead of submitting another.
  --wait                      Wait until the intent ends (long-poll, one request a minute);
                              progress on stderr
  --timeout <seconds>         With --wait: give up after this long (exit 3). Default 600

${OUTPUT}

${CONNECTION}

Requests: GETs (and the POST, thanks to its idempotency key) are retried with backoff on
network errors, 408, 429 and 5xx, honouring Retry-After; then exit 4.

${EXIT_CODES}
`;

export const WATCH_HELP = `Usage:
  neonops intents watch <intent-id> [options]

Follows an intent's progress (GET /v1/intents/:id/events, Server-Sent Events) until it
ends: a line per step as it starts, retries and ends (✓ ✗ with attempts and durations), and
a spinner while Neon works when stdout is a terminal (plain lines otherwise, e.g. in CI).
A dropped stream is reopened where it stopped (Last-Event-ID).

Options:
  --timeout <seconds>   Give up after this long (exit 3). Default 600
  --quiet               No reconnect notes on stderr

${CONNECTION}

${EXIT_CODES}
`;

export const PREVIEWS_WAIT_HELP = `Usage:
  neonops previews wait --repo <owner/name> --pr <number> [options]

Waits until the pull request's preview database is ready (GET /v1/previews, long-poll):
until its latest intent has ended. A preview that does not exist yet (the pull request
event is still on its way) is waited for too.

Options:
  --repo <owner/name>   The repository
  --pr <number>         The pull request
  --sha <commit>        Wait for the preview of this head commit: an intent made for an
                        older push does not count (in a workflow:
                        \${{ github.event.pull_request.head.sha }})
  --timeout <seconds>   Give up after this long (exit 3). Default 600

${OUTPUT}

Secrets are printed only by --output env, --output github (masked first) and
--output json --show-secrets.

${CONNECTION}

${EXIT_CODES}
`;
