/** Consumption history per project (v2) and the current user. */
import type { CallOptions } from '../core/options.js';
import type { TypedCall } from '../core/typed.js';
import { paginate } from '../pagination.js';
import type { components, QueryOf } from '../types.js';

export type ConsumptionQuery = QueryOf<'/consumption_history/v2/projects', 'get'>;
export type ProjectConsumption = components['schemas']['ConsumptionHistoryPerProjectV2Response']['projects'][number];
export type BranchConsumptionQuery = QueryOf<'/consumption_history/v2/branches', 'get'>;
export type BranchConsumption = components['schemas']['ConsumptionHistoryPerBranchV2Response']['branches'][number];

export function consumptionMethods(call: TypedCall) {
  const getConsumptionHistoryPerProject = (query: ConsumptionQuery, options?: CallOptions) =>
    call('get', '/consumption_history/v2/projects', { query }, options);
  const getConsumptionHistoryPerBranch = (query: BranchConsumptionQuery, options?: CallOptions) =>
    call('get', '/consumption_history/v2/branches', { query }, options);
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
    /**
     * `GET /consumption_history/v2/branches`, one page: per-branch history of 1–100 projects
     * (paid usage-based plans only: `403` otherwise). Same ~30/min limit as the project route.
     */
    getConsumptionHistoryPerBranch,
    /** The same across all pages (`pagination.cursor`). */
    listConsumptionHistoryPerBranch: (query: BranchConsumptionQuery, options?: CallOptions): AsyncIterable<BranchConsumption> =>
      paginate({
        startCursor: query.cursor,
        fetchPage: (cursor) => getConsumptionHistoryPerBranch({ ...query, cursor }, options),
        items: (page) => page.branches,
        nextCursor: (page) => page.pagination?.cursor,
      }),
    /** `GET /users/me` (Python `me`). */
    getCurrentUser: (options?: CallOptions) => call('get', '/users/me', {}, options),
  };
}
