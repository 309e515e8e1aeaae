import { findRole, orUndefinedOn404 } from '../reconcile/children.js';
import { oursUnlessCleanConflict, reconcileThenCreate } from '../reconcile/create.js';
import { NotReadyError } from '../errors.js';
import { defineKind } from '../engine/types.js';
import { roleSummary } from './summaries.js';

export const roleCreate = defineKind<'role.create', Record<string, never>>({
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
        // The password in the create response is not kept (no secrets in checkpoints): it is revealed at the end.
        return { operations: outcome.created?.operations ?? [] };
      },
    },
  ],
  async finish(ctx) {
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

export const roleResetPassword = defineKind<'role.reset_password', Record<string, never>>({
  initialState: () => ({}),
  steps: [
    {
      // Repeating a reset after a lost answer only rotates the password once more; the final one is revealed below.
      name: 'reset_password',
      mutates: true,
      async run(ctx) {
        const { projectId, branchId, name } = ctx.params;
        const res = await ctx.neon.resetRolePassword(projectId, branchId, name);
        return { operations: res.operations };
      },
    },
  ],
  async finish(ctx) {
    const { projectId, branchId, name } = ctx.params;
    const [{ role }, { password }] = await Promise.all([
      ctx.neon.getRole(projectId, branchId, name),
      ctx.neon.revealRolePassword(projectId, branchId, name),
    ]);
    return { result: { role: roleSummary(role) }, secrets: { password } };
  },
});
