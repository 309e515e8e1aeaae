import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Paths pino censors wherever they appear: secrets of results, params (which may hold
 * names a team considers private and, for some kinds, secrets), credentials. The code also
 * never passes such values to the logger; this is the second line of defence.
 */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'uri',
  '*.uri',
  'pooledUri',
  '*.pooledUri',
  'connectionUris',
  '*.connectionUris',
  'connection_uri',
  '*.connection_uri',
  'key',
  '*.key',
  'apiKey',
  '*.apiKey',
  'secrets',
  '*.secrets',
  'params',
  '*.params',
  'authorization',
  '*.authorization',
  'headers',
  '*.headers',
];

export interface LoggerOptions {
  /** pino level. Default `info`. */
  level?: string;
  /** Where lines go (tests capture them). Default stdout. */
  destination?: DestinationStream;
}

/** The worker's pino logger with redaction on. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const config = { level: options.level ?? 'info', base: { service: 'neonops-worker' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return options.destination ? pino(config, options.destination) : pino(config);
}
