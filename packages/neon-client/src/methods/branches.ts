/** Branches: create, list (paginated), get, update, delete, endpoints, restore, set as default. */
import type { CallOptions } from '../core/options.js';
import type { TypedCall } from '../core/typed.js';
import { paginate } from '../pagination.js';
import type { BodyOf, Branch, QueryOf } from '../types.js';

export type ListBranchesQuery = QueryOf<'/projects/{project_id}/branches', 'get'>;
export type CreateBranchBody = BodyOf<'/projects/{project_id}/branches', 'post'>;

export function branchMethods(call: TypedCall) {
  const branchPath = (projectId: string, branchId: string) => ({ project_id: projectId, branch_id: branchId });
  const listBranchesPage = (projectId: string, query?: ListBranchesQuery, options?: CallOptions) =>
    call('get', '/projects/{project_id}/branches', { path: { project_id: projectId }, ...(query === undefined ? {} : { query }) }, options);

  return {
    /** `GET /projects/{project_id}/branches`, one page: `branches` and `pagination.next`. */
    listBranchesPage,
    /**
     * `GET /projects/{project_id}/branches` across all pages (Python `branches`).
     * Supports `search`, `sort_by`, `sort_order`, `limit` (page size) and a starting `cursor`.
     */
    listBranches: (projectId: string, query: ListBranchesQuery = {}, options?: CallOptions): AsyncIterable<Branch> =>
      paginate({
        startCursor: query.cursor,
        fetchPage: (cursor) => listBranchesPage(projectId, { ...query, cursor }, options),
        items: (page) => page.branches,
        nextCursor: (page) => page.pagination?.next,
      }),
    /** `GET /projects/{project_id}/branches/{branch_id}` (Python `branch`). */
    getBranch: (projectId: string, branchId: string, options?: CallOptions) =>
      call('get', '/projects/{project_id}/branches/{branch_id}', { path: branchPath(projectId, branchId) }, options),
    /**
     * `POST /projects/{project_id}/branches`, optionally with endpoints and an
     * annotation (Python `branch_create`). Not repeated after a lost response
     * unless `safeToRepeat`: reconcile by name/annotation first.
     */
    createBranch: (projectId: string, body?: CreateBranchBody, options?: CallOptions) =>
      call('post', '/projects/{project_id}/branches', { path: { project_id: projectId }, ...(body === undefined ? {} : { body }) }, options),
    /** `PATCH /projects/{project_id}/branches/{branch_id}` (Python `branch_update`). */
    updateBranch: (
      projectId: string,
      branchId: string,
      body: BodyOf<'/projects/{project_id}/branches/{branch_id}', 'patch'>,
      options?: CallOptions,
    ) => call('patch', '/projects/{project_id}/branches/{branch_id}', { path: branchPath(projectId, branchId), body }, options),
    /** `DELETE /projects/{project_id}/branches/{branch_id}`; `undefined` on 204 (already gone) (Python `branch_delete`). */
    deleteBranch: (projectId: string, branchId: string, options?: CallOptions) =>
      call('delete', '/projects/{project_id}/branches/{branch_id}', { path: branchPath(projectId, branchId) }, options),
    /** `GET /projects/{project_id}/branches/{branch_id}/endpoints`. */
    listBranchEndpoints: (projectId: string, branchId: string, options?: CallOptions) =>
      call('get', '/projects/{project_id}/branches/{branch_id}/endpoints', { path: branchPath(projectId, branchId) }, options),
    /** `POST /projects/{project_id}/branches/{branch_id}/restore`. */
    restoreBranch: (
      projectId: string,
      branchId: string,
      body: BodyOf<'/projects/{project_id}/branches/{branch_id}/restore', 'post'>,
      options?: CallOptions,
    ) => call('post', '/projects/{project_id}/branches/{branch_id}/restore', { path: branchPath(projectId, branchId), body }, options),
    /** `POST /projects/{project_id}/branches/{branch_id}/set_as_default` (Python `branch_set_as_primary`, renamed by Neon). */
    setDefaultBranch: (projectId: string, branchId: string, options?: CallOptions) =>
      call('post', '/projects/{project_id}/branches/{branch_id}/set_as_default', { path: branchPath(projectId, branchId) }, options),
  };
}
