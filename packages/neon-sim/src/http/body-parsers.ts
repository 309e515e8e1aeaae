import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SimHttpError } from './errors.js';

/** `application/json` and structured-syntax JSON types such as `application/merge-patch+json`. */
const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/** The media type of a request without its parameters (`text/plain; charset=utf-8` → `text/plain`), or `''`. */
function mediaTypeOf(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * Parses request bodies for the whole app (Neon's API and the control API) with one rule:
 *
 * - **An empty body is no body**, whatever `Content-Type` came with it (or none). Clients
 *   send body-less POSTs (`/start`, `/suspend`, `/restart`, `/reset_password`,
 *   `/set_as_default`) and DELETEs with whatever their HTTP library adds: axios in
 *   `@neondatabase/api-client` sends `application/x-www-form-urlencoded` on POST, axios with
 *   `undefined` data `application/json`, `@neon/sdk` nothing, curl whatever `-H` says. Neon
 *   accepts all of them, so the simulator must too. Such requests reach the route with
 *   `body === undefined`.
 * - A non-empty JSON body (`application/json`, `application/…+json`, or no `Content-Type` at
 *   all) is parsed; malformed JSON gets `400`.
 * - A non-empty body of any other type gets `415`. The document declares only
 *   `application/json` request bodies, and guessing that a form or text body is JSON would
 *   let a client's mistake pass here and fail at Neon.
 *
 * Errors are {@link SimHttpError}s, so they leave through the app's error handler in Neon's
 * `{ code, message, request_id }` shape.
 *
 * It is done once for the app — a catch-all content-type parser and one `onRequest` hook —
 * not per route, so a route added later gets the same behaviour without thinking of it.
 */
export function registerBodyParsers(app: FastifyInstance): void {
  // Fastify answers a Content-Type that is no media type at all (an empty header, `foo`) with
  // 415 before any parser runs. A request that announces no body (no Transfer-Encoding and no
  // or a zero Content-Length) has nothing to type, so its Content-Type is dropped first; the
  // route then runs without parsing, exactly as for a request that sent none.
  app.addHook('onRequest', async (request) => {
    const headers = request.raw.headers;
    const announcesNoBody = headers['transfer-encoding'] === undefined && (headers['content-length'] ?? '0') === '0';
    if (announcesNoBody) delete headers['content-type'];
  });
  app.removeAllContentTypeParsers();
  // '*' is Fastify's catch-all: every request whose body Fastify reads (POST, PUT, PATCH;
  // DELETE and OPTIONS when they announce a body) comes here, with or without Content-Type.
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    const mediaType = mediaTypeOf(request);
    if (mediaType !== '' && !JSON_MEDIA_TYPE.test(mediaType)) {
      done(new SimHttpError(415, `unsupported content type ${mediaType}: request bodies must be application/json`), undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new SimHttpError(400, 'request body is not valid JSON'), undefined);
    }
  });
}
