import { findRole, orUndefinedOn404 } from '../reconcile/children.js';
import { oursUnlessCleanConflict, reconcileThenCreate } from '../reconcile/create.js';
import { NotReadyError } from '../errors.js';
import { defineKind } from '../engine/types.js';
import type { RoleSummary } from '@neonops/intents';
import { roleSummary } from './summaries.js';

/**
 * `role`: the role from the mutation's response (public), its password already sealed into
 * the store from that response (Neon shows it on create and reset): the result needs no
 * read-back. Absent when the role was found rather than created (a lost answer): then the
 * role and its password are read from Neon.
 */
type RoleState = { role?: RoleSummary };

export const roleCreate = defineKind<'role.create', RoleState>({
  initialState: () => ({}),
  steps: [
    {
      name: 'create_role',
      mutates: true,
      async run(ctx) {
        const { projectId, branchId, name, noLogin } = ctx.params;
        const outcome = await reconcileThenCreate({
          what: `Role "${name}"`,
          resumed: ctx.resumed,
          beginMutation: ctx.beginMutation,
          lookup: async (why) => {
            const found = await findRole(ctx.neon, projectId, branchId, name);
            return found ? { value: found, ours: oursUnlessCleanConflict(why, ctx.resumed) } : undefined;
          },
          create: () => ctx.neon.createRole(projectId, branchId, { role: { name, ...(noLogin === undefined ? {} : { no_login: noLogin }) } }),
        });
        // Created now, or found after our own create may have made it (a clean 409 failed above).
        ctx.recordCreated({ type: 'role', projectId, branchId, name });
        const created = outcome.created?.role;
        // The password of the response is sealed at once (never in the checkpoint); without one it is revealed at the end.
        if (created && (noLogin || created.password !== undefined)) {
          if (!noLogin && created.password !== undefined) await ctx.storeSecrets({ password: created.password });
          ctx.state.role = roleSummary(created);
        }
        return { operations: outcome.created?.operations ?? [] };
      },
    },
  ],
  async finish(ctx) {
    if (ctx.state.role) return { result: { role: ctx.state.role } };
    const { projectId, branchId, name, noLogin } = ctx.params;
    const role = await findRole(ctx.neon, projectId, branchId, name);
    if (!role) throw new NotReadyError(`role ${name} not visible yet`);
    if (noLogin) return { result: { role: roleSummary(role) }, secrets: {} };
    const { password } = await ctx.neon.revealRolePassword(projectId, branchId, name);
    return { result: { role: roleSummary(role) }, secrets: { password } };
  },
});

export const roleDelete = defineKind<'role.delete', Record<string, never>>({
  initialState: () => ({}),
  steps: [
    {
      name: 'delete_role',
      mutates: true,
      async run(ctx) {
        const { projectId, branchId, name } = ctx.params;
        const res = await orUndefinedOn404(ctx.neon.deleteRole(projectId, branchId, name));
        return { operations: res?.operations ?? [] };
      },
    },
  ],
  async finish(ctx) {
    return { result: { name: ctx.params.name, deleted: true as const } };
  },
});

export const roleResetPassword = defineKind<'role.reset_password', RoleState>({
  initialState: () => ({}),
  steps: [
    {
      // Repeating a reset after a lost answer only rotates the password once more; the final one is revealed below.
      name: 'reset_password',
      mutates: true,
      async run(ctx) {
        const { projectId, branchId, name } = ctx.params;
        const res = await ctx.neon.resetRolePassword(projectId, branchId, name);
        // The new password is sealed at once; a retry after a crash resets (and seals) again.
        if (res.role.password !== undefined) {
          await ctx.storeSecrets({ password: res.role.password });
          ctx.state.role = roleSummary(res.role);
        }
        return { operations: res.operations };
      },
    },
  ],
  async finish(ctx) {
    if (ctx.state.role) return { result: { role: ctx.state.role } };
    const { projectId, branchId, name } = ctx.params;
    const [{ role }, { password }] = await Promise.all([
      ctx.neon.getRole(projectId, branchId, name),
      ctx.neon.revealRolePassword(projectId, branchId, name),
    ]);
    return { result: { role: roleSummary(role) }, secrets: { password } };
  },
});
