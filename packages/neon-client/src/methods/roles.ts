/** Roles of a branch: list, get, create, delete, reveal and reset password. */
import type { CallOptions } from '../core/options.js';
import type { TypedCall } from '../core/typed.js';
import type { BodyOf } from '../types.js';

const ALL = '/projects/{project_id}/branches/{branch_id}/roles' as const;
const ONE = '/projects/{project_id}/branches/{branch_id}/roles/{role_name}' as const;

export function roleMethods(call: TypedCall) {
  const one = (projectId: string, branchId: string, roleName: string) => ({
    project_id: projectId,
    branch_id: branchId,
    role_name: roleName,
  });
  return {
    /** `GET .../branches/{branch_id}/roles` (Python `roles`). */
    listRoles: (projectId: string, branchId: string, options?: CallOptions) =>
      call('get', ALL, { path: { project_id: projectId, branch_id: branchId } }, options),
    /** `GET .../roles/{role_name}` (Python `role`). */
    getRole: (projectId: string, branchId: string, roleName: string, options?: CallOptions) =>
      call('get', ONE, { path: one(projectId, branchId, roleName) }, options),
    /** `POST .../branches/{branch_id}/roles`; the response holds the password (Python `role_create`). */
    createRole: (projectId: string, branchId: string, body: BodyOf<typeof ALL, 'post'>, options?: CallOptions) =>
      call('post', ALL, { path: { project_id: projectId, branch_id: branchId }, body }, options),
    /** `DELETE .../roles/{role_name}`; `undefined` on 204 (Python `role_delete`). */
    deleteRole: (projectId: string, branchId: string, roleName: string, options?: CallOptions) =>
      call('delete', ONE, { path: one(projectId, branchId, roleName) }, options),
    /** `GET .../roles/{role_name}/reveal_password` (Python `role_password_reveal`, which wrongly POSTs). */
    revealRolePassword: (projectId: string, branchId: string, roleName: string, options?: CallOptions) =>
      call('get', `${ONE}/reveal_password`, { path: one(projectId, branchId, roleName) }, options),
    /** `POST .../roles/{role_name}/reset_password` (Python `role_password_reset`). */
    resetRolePassword: (projectId: string, branchId: string, roleName: string, options?: CallOptions) =>
      call('post', `${ONE}/reset_password`, { path: one(projectId, branchId, roleName) }, options),
  };
}
