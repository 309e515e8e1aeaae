/** Consumption history per project (v2) and the current user. */
import type { CallOptions } from '../core/options.js';
import type { TypedCall } from '../core/typed.js';
import { paginate } from '../pagination.js';
import type { components, QueryOf } from '../types.js';

export type ConsumptionQuery = QueryOf<'/consumption_history/v2/projects', 'get'>;
export type ProjectConsumption = components['schemas']['ConsumptionHistoryPerProjectV2Response']['projects'][number];

export function consumptionMethods(call: TypedCall) {
  const getConsumptionHistoryPerProject = (query: ConsumptionQuery, options?: CallOptions) =>
    call('get', '/consumption_history/v2/projects', { query }, options);
  return {
    /**
     * `GET /consumption_history/v2/projects`, one page (Python `consumption`).
     * Neon allows about 30 requests/min here: give it its own rate budget route.
     */
    getConsumptionHistoryPerProject,
    /** The same across all pages (`pagination.cursor`). */
    listConsumptionHistoryPerProject: (query: ConsumptionQuery, options?: CallOptions): AsyncIterable<ProjectConsumption> =>
      paginate({
        startCursor: query.cursor,
        fetchPage: (cursor) => getConsumptionHistoryPerProject({ ...query, cursor }, options),
        items: (page) => page.projects,
        nextCursor: (page) => page.pagination?.cursor,
      }),
    /** `GET /users/me` (Python `me`). */
    getCurrentUser: (options?: CallOptions) => call('get', '/users/me', {}, options),
  };
}
