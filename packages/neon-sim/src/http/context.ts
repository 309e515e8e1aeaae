import type { ApiKeyRecord } from '../state/records.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** `METHOD /template` of the matched Neon route (without `/api/v2`), for counters, limits and faults. */
    simRoute: string;
    /** Set by a `lost-response` fault: apply the request, then drop the connection. */
    simLoseResponse: boolean;
    /** Set once the connection was dropped on purpose, so it is counted once. */
    simDropped: boolean;
    simAccount: ApiKeyRecord | undefined;
  }
}

export {};
