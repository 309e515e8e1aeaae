import type { Database, NeonClient } from '@neonops/neon-client';
import { NotReadyError } from '../errors.js';
import { findDatabase, orUndefinedOn404 } from '../reconcile/children.js';
import { oursUnlessCleanConflict, reconcileThenCreate } from '../reconcile/create.js';
import { defineKind } from '../engine/types.js';
import type { DatabaseSummary } from '@neonops/intents';
import { databaseSummary } from './summaries.js';

/** `database`: from the mutation's response (no read-back); absent when found after a lost answer: then read. */
type DatabaseState = { database?: DatabaseSummary };

export const databaseCreate = defineKind<'database.create', DatabaseState>({
  initialState: () => ({}),
  steps: [
    {
      name: 'create_database',
      mutates: true,
      async run(ctx) {
        const { projectId, branchId, name, ownerName } = ctx.params;
        const outcome = await reconcileThenCreate({
          what: `Database "${name}"`,
          resumed: ctx.resumed,
          beginMutation: ctx.beginMutation,
          // Databases carry no annotation: one found after our own create started is ours; one
          // that answers a first, clean create with 409 is someone else's.
          lookup: async (why) => {
            const found = await findDatabase(ctx.neon, projectId, branchId, name);
            return found ? { value: found, ours: oursUnlessCleanConflict(why, ctx.resumed) } : undefined;
          },
          create: () => ctx.neon.createDatabase(projectId, branchId, { database: { name, owner_name: ownerName } }),
        });
        // Created now, or found after our own create may have made it (a clean 409 failed above).
        ctx.recordCreated({ type: 'database', projectId, branchId, name });
        if (outcome.created) ctx.state.database = databaseSummary(outcome.created.database);
        return { operations: outcome.created?.operations ?? [] };
      },
    },
  ],
  async finish(ctx) {
    if (ctx.state.database) return { result: { database: ctx.state.database } };
    const { projectId, branchId, name } = ctx.params;
    return { result: { database: databaseSummary(await getDatabaseOrNotReady(ctx.neon, projectId, branchId, name)) } };
  },
});

async function getDatabaseOrNotReady(
  neon: NeonClient,
  projectId: string,
  branchId: string,
  name: string,
): Promise<Database> {
  const found = await findDatabase(neon, projectId, branchId, name);
  if (!found) throw new NotReadyError(`database ${name} not visible yet`);
  return found;
}

export const databaseUpdate = defineKind<'database.update', DatabaseState>({
  initialState: () => ({}),
  steps: [
    {
      name: 'update_database',
      mutates: true,
      async run(ctx) {
        const { projectId, branchId, name, newName, ownerName } = ctx.params;
        // Renamed by an earlier attempt whose answer was lost: nothing left to do.
        if (ctx.resumed && newName && newName !== name && (await findDatabase(ctx.neon, projectId, branchId, newName))) return {};
        await ctx.beginMutation();
        const res = await ctx.neon.updateDatabase(projectId, branchId, name, {
          database: { ...(newName === undefined ? {} : { name: newName }), ...(ownerName === undefined ? {} : { owner_name: ownerName }) },
        });
        ctx.state.database = databaseSummary(res.database);
        return { operations: res.operations };
      },
    },
  ],
  async finish(ctx) {
    if (ctx.state.database) return { result: { database: ctx.state.database } };
    const { projectId, branchId, name, newName } = ctx.params;
    return { result: { database: databaseSummary(await getDatabaseOrNotReady(ctx.neon, projectId, branchId, newName ?? name)) } };
  },
});

export const databaseDelete = defineKind<'database.delete', Record<string, never>>({
  initialState: () => ({}),
  steps: [
    {
      name: 'delete_database',
      mutates: true,
      async run(ctx) {
        const { projectId, branchId, name } = ctx.params;
        const res = await orUndefinedOn404(ctx.neon.deleteDatabase(projectId, branchId, name));
        return { operations: res?.operations ?? [] };
      },
    },
  ],
  async finish(ctx) {
    return { result: { name: ctx.params.name, deleted: true as const } };
  },
});
