/** Projects: list (own and shared, paginated), create, get, update, delete, connection URI. */
import type { CallOptions } from '../core/options.js';
import type { TypedCall } from '../core/typed.js';
import { paginate } from '../pagination.js';
import type { BodyOf, ProjectListItem, QueryOf } from '../types.js';

export type ListProjectsQuery = QueryOf<'/projects', 'get'>;
export type ListSharedProjectsQuery = QueryOf<'/projects/shared', 'get'>;
export type ConnectionUriQuery = QueryOf<'/projects/{project_id}/connection_uri', 'get'>;

export function projectMethods(call: TypedCall) {
  const listProjectsPage = (query?: ListProjectsQuery, options?: CallOptions) =>
    call('get', '/projects', query === undefined ? {} : { query }, options);
  const listSharedProjectsPage = (query?: ListSharedProjectsQuery, options?: CallOptions) =>
    call('get', '/projects/shared', query === undefined ? {} : { query }, options);

  return {
    /** `GET /projects`, one page: `projects` and `pagination.cursor`. */
    listProjectsPage,
    /**
     * `GET /projects` across all pages (Python `projects`). `query.limit` is the
     * page size; `query.cursor` a starting cursor.
     */
    listProjects: (query: ListProjectsQuery = {}, options?: CallOptions): AsyncIterable<ProjectListItem> =>
      paginate({
        startCursor: query.cursor,
        fetchPage: (cursor) => listProjectsPage({ ...query, cursor }, options),
        items: (page) => page.projects,
        nextCursor: (page) => page.pagination?.cursor,
      }),
    /** `GET /projects/shared`, one page. */
    listSharedProjectsPage,
    /** `GET /projects/shared` across all pages (Python `projects(shared=True)`). */
    listSharedProjects: (query: ListSharedProjectsQuery = {}, options?: CallOptions): AsyncIterable<ProjectListItem> =>
      paginate({
        startCursor: query.cursor,
        fetchPage: (cursor) => listSharedProjectsPage({ ...query, cursor }, options),
        items: (page) => page.projects,
        nextCursor: (page) => page.pagination?.cursor,
      }),
    /** `GET /projects/{project_id}` (Python `project`). */
    getProject: (projectId: string, options?: CallOptions) =>
      call('get', '/projects/{project_id}', { path: { project_id: projectId } }, options),
    /** `POST /projects` — returns the project, its branch, endpoints, roles, databases, connection URIs and operations (Python `project_create`). */
    createProject: (body: BodyOf<'/projects', 'post'>, options?: CallOptions) => call('post', '/projects', { body }, options),
    /** `PATCH /projects/{project_id}` (Python `project_update`). */
    updateProject: (projectId: string, body: BodyOf<'/projects/{project_id}', 'patch'>, options?: CallOptions) =>
      call('patch', '/projects/{project_id}', { path: { project_id: projectId }, body }, options),
    /** `DELETE /projects/{project_id}` (Python `project_delete`). */
    deleteProject: (projectId: string, options?: CallOptions) =>
      call('delete', '/projects/{project_id}', { path: { project_id: projectId } }, options),
    /**
     * `GET /projects/{project_id}/connection_uri` (Python `connection_uri`). The
     * URI holds a password: log it only through `redactConnectionUri`.
     */
    getConnectionUri: (projectId: string, query: ConnectionUriQuery, options?: CallOptions) =>
      call('get', '/projects/{project_id}/connection_uri', { path: { project_id: projectId }, query }, options),
    /** `GET /projects/{project_id}/permissions` (Python `project_permissions`). */
    listProjectPermissions: (projectId: string, options?: CallOptions) =>
      call('get', '/projects/{project_id}/permissions', { path: { project_id: projectId } }, options),
    /** `POST /projects/{project_id}/permissions` (Python `project_permissions_grant`). */
    grantProjectPermission: (projectId: string, body: BodyOf<'/projects/{project_id}/permissions', 'post'>, options?: CallOptions) =>
      call('post', '/projects/{project_id}/permissions', { path: { project_id: projectId }, body }, options),
    /** `DELETE /projects/{project_id}/permissions/{permission_id}` (Python `project_permissions_revoke`). */
    revokeProjectPermission: (projectId: string, permissionId: string, options?: CallOptions) =>
      call(
        'delete',
        '/projects/{project_id}/permissions/{permission_id}',
        { path: { project_id: projectId, permission_id: permissionId } },
        options,
      ),
  };
}
