/** Databases of a branch: list, get, create, update, delete. */
import type { CallOptions } from '../core/options.js';
import type { TypedCall } from '../core/typed.js';
import type { BodyOf } from '../types.js';

const ONE = '/projects/{project_id}/branches/{branch_id}/databases/{database_name}' as const;
const ALL = '/projects/{project_id}/branches/{branch_id}/databases' as const;

export function databaseMethods(call: TypedCall) {
  const one = (projectId: string, branchId: string, databaseName: string) => ({
    project_id: projectId,
    branch_id: branchId,
    database_name: databaseName,
  });
  return {
    /** `GET .../branches/{branch_id}/databases` (Python `databases`). */
    listDatabases: (projectId: string, branchId: string, options?: CallOptions) =>
      call('get', ALL, { path: { project_id: projectId, branch_id: branchId } }, options),
    /** `GET .../databases/{database_name}` (Python `database`). */
    getDatabase: (projectId: string, branchId: string, databaseName: string, options?: CallOptions) =>
      call('get', ONE, { path: one(projectId, branchId, databaseName) }, options),
    /** `POST .../branches/{branch_id}/databases` (Python `database_create`). */
    createDatabase: (projectId: string, branchId: string, body: BodyOf<typeof ALL, 'post'>, options?: CallOptions) =>
      call('post', ALL, { path: { project_id: projectId, branch_id: branchId }, body }, options),
    /** `PATCH .../databases/{database_name}` (Python `database_update`). */
    updateDatabase: (
      projectId: string,
      branchId: string,
      databaseName: string,
      body: BodyOf<typeof ONE, 'patch'>,
      options?: CallOptions,
    ) => call('patch', ONE, { path: one(projectId, branchId, databaseName), body }, options),
    /** `DELETE .../databases/{database_name}`; `undefined` on 204 (Python `database_delete`). */
    deleteDatabase: (projectId: string, branchId: string, databaseName: string, options?: CallOptions) =>
      call('delete', ONE, { path: one(projectId, branchId, databaseName) }, options),
  };
}
