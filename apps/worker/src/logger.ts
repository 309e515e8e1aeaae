import { REDACT_PATHS, redactOptions } from '@neonops/observability';
import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * Paths pino censors wherever they appear: the one list shared by every process (see
 * @neonops/observability). The code also never passes such values to the logger; this is the
 * second line of defence.
 */
export { REDACT_PATHS };

export interface LoggerOptions {
  /** pino level. Default `info`. */
  level?: string;
  /** Where lines go (tests capture them). Default stdout. */
  destination?: DestinationStream;
}

/** The worker's pino logger with redaction on. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const config = { level: options.level ?? 'info', base: { service: 'neonops-worker' }, redact: redactOptions() };
  return options.destination ? pino(config, options.destination) : pino(config);
}
