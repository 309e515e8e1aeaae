import { REDACT_PATHS, redactOptions } from '@neonops/observability';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths pino replaces with `[redacted]`: the one list shared by every process (see
 * @neonops/observability). Tokens arrive in `authorization`; secrets of results (passwords,
 * URIs, keys) must never reach a log line even if an object holding them is logged by
 * mistake. `idempotency-key` is not secret and stays visible.
 */
export const redactPaths: readonly string[] = REDACT_PATHS;

/** pino options of the API: level, redaction and a request serializer that logs only safe fields. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: redactOptions(),
    serializers: {
      req(request: { method?: string; url?: string; id?: string; headers?: Record<string, unknown> }) {
        return {
          method: request.method,
          url: request.url,
          id: request.id,
          idempotencyKey: request.headers?.['idempotency-key'],
        };
      },
    },
  };
}

/** The API's logger; tests pass a destination stream to capture what is written. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}
