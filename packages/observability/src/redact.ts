/**
 * The one list of log paths every process censors (pino `redact`), wherever they appear:
 * credentials (bearer tokens, cookies, API keys, signing secrets), secrets of results
 * (passwords, connection URIs, keys) and intent params (which may hold names a team
 * considers private and, for some kinds, secrets). The code never passes such values to a
 * logger on purpose; this is the second line of defence, shared so that the API, the worker
 * and any other process cannot drift apart.
 *
 * `idempotency-key` and request ids are not secret and stay visible.
 */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers',
  '*.headers',
  'authorization',
  '*.authorization',
  'cookie',
  '*.cookie',
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'secrets',
  '*.secrets',
  'signingSecret',
  '*.signingSecret',
  'uri',
  '*.uri',
  'pooledUri',
  '*.pooledUri',
  'connectionUri',
  '*.connectionUri',
  'connectionUris',
  '*.connectionUris',
  'connection_uri',
  '*.connection_uri',
  'connection_uris',
  '*.connection_uris',
  'key',
  '*.key',
  'apiKey',
  '*.apiKey',
  'params',
  '*.params',
];

/** What pino writes instead of a redacted value. */
export const REDACT_CENSOR = '[redacted]';

/** pino's `redact` option built from {@link REDACT_PATHS}. */
export function redactOptions(): { paths: string[]; censor: string } {
  return { paths: [...REDACT_PATHS], censor: REDACT_CENSOR };
}
