import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths pino replaces with `[redacted]`. Tokens arrive in `authorization`; secrets of
 * results (passwords, URIs, keys) must never reach a log line even if an object
 * holding them is logged by mistake. `idempotency-key` is not secret and stays visible.
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  '*.authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'secrets',
  '*.secrets',
  'uri',
  '*.uri',
  'connectionUri',
  '*.connectionUri',
  'connectionUris',
  '*.connectionUris',
  'apiKey',
  '*.apiKey',
  'key',
  '*.key',
];

/** pino options of the API: level, redaction and a request serializer that logs only safe fields. */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
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
