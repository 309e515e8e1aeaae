/** Operations: list (paginated), get. */
import type { CallOptions } from '../core/options.js';
import type { TypedCall } from '../core/typed.js';
import { paginate } from '../pagination.js';
import type { Operation, QueryOf } from '../types.js';

export type ListOperationsQuery = QueryOf<'/projects/{project_id}/operations', 'get'>;

export function operationMethods(call: TypedCall) {
  const listOperationsPage = (projectId: string, query?: ListOperationsQuery, options?: CallOptions) =>
    call('get', '/projects/{project_id}/operations', { path: { project_id: projectId }, ...(query === undefined ? {} : { query }) }, options);
  return {
    /** `GET /projects/{project_id}/operations`, one page: `operations` and `pagination.cursor`. */
    listOperationsPage,
    /** `GET /projects/{project_id}/operations` across all pages (Python `operations`). */
    listOperations: (projectId: string, query: ListOperationsQuery = {}, options?: CallOptions): AsyncIterable<Operation> =>
      paginate({
        startCursor: query.cursor,
        fetchPage: (cursor) => listOperationsPage(projectId, { ...query, cursor }, options),
        items: (page) => page.operations,
        nextCursor: (page) => page.pagination?.cursor,
      }),
    /** `GET /projects/{project_id}/operations/{operation_id}` (Python `operation`). */
    getOperation: (projectId: string, operationId: string, options?: CallOptions) =>
      call(
        'get',
        '/projects/{project_id}/operations/{operation_id}',
        { path: { project_id: projectId, operation_id: operationId } },
        options,
      ),
  };
}
