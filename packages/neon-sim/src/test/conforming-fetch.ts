import { assertConforms } from './conformance.js';

/**
 * A `fetch` for the Neon client that checks every simulator response against the OpenAPI
 * document and records violations (the client would turn a thrown error into a connection
 * error, so they are collected and asserted by the test instead).
 */
export function conformingFetch(violations: string[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const method = (init?.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const text = await response.clone().text();
    try {
      assertConforms(method, url.pathname.replace(/^\/api\/v2/, ''), response.status, text === '' ? undefined : JSON.parse(text));
    } catch (err) {
      violations.push(err instanceof Error ? err.message : String(err));
    }
    return response;
  };
}
