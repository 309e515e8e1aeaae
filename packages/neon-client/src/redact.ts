/**
 * Keeping secrets out of logs and errors: connection URI passwords, bearer
 * tokens and the client's own API key.
 */

const MASK = '********';

/**
 * Replaces the password of a connection URI (`postgresql://user:pass@host/db`)
 * with `********`, for logs. Strings that are not URIs with a password are
 * returned unchanged.
 */
export function redactConnectionUri(uri: string): string {
  try {
    const url = new URL(uri);
    if (!url.password) return uri;
    url.password = MASK;
    // URL re-encodes the mask; keep it readable.
    return url.toString().replace(encodeURIComponent(MASK), MASK);
  } catch {
    return redactUrisIn(uri);
  }
}

const URI_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)([^\s@/]+)(@)/gi;
const BEARER = /(bearer\s+)[^\s"',;]+/gi;

/** Masks `scheme://user:password@` passwords anywhere in a free text. */
function redactUrisIn(text: string): string {
  return text.replace(URI_PASSWORD, `$1${MASK}$3`);
}

/**
 * A function that removes `secret` (the API key), any bearer token and any
 * connection URI password from a text.
 */
export function createScrubber(secret: string): (text: string) => string {
  return (text) => {
    let out = text;
    if (secret.length > 0) out = out.split(secret).join('[REDACTED]');
    out = out.replace(BEARER, '$1[REDACTED]');
    return redactUrisIn(out);
  };
}

/**
 * A copy of an unknown thrown value that is safe to attach as `cause`: an Error
 * with scrubbed name, message and stack, its `code` kept (e.g. `ECONNRESET`),
 * and its own causes treated the same way (to a small depth). The original is
 * dropped because its message may quote our Authorization header.
 */
export function sanitizeError(value: unknown, scrub: (text: string) => string, depth = 0): Error {
  if (!(value instanceof Error)) return new Error(scrub(typeof value === 'string' ? value : 'non-error thrown'));
  const cause = depth < 3 && value.cause !== undefined ? sanitizeError(value.cause, scrub, depth + 1) : undefined;
  const copy = new Error(scrub(value.message), cause === undefined ? undefined : { cause });
  copy.name = scrub(value.name);
  copy.stack = value.stack === undefined ? undefined : scrub(value.stack);
  const code: unknown = (value as Error & { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code: scrub(code) });
  return copy;
}
