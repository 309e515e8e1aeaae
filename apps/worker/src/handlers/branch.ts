import type { BranchSummary, ConnectionUri, DatabaseSummary, EndpointSummary, NewEndpoint, RoleSummary } from '@neonops/intents';
import type { Branch, ConnectionDetails, Endpoint, NeonClient, Operation } from '@neonops/neon-client';
import { FailureCodes, IntentFailedError, NotReadyError } from '../errors.js';
import { deterministicName, intentAnnotation } from '../reconcile/annotation.js';
import { branchIdByName, findBranchByName, type FoundBranch } from '../reconcile/branch.js';
import { findDatabase, findRole, orUndefinedOn404 } from '../reconcile/children.js';
import { pendingOperationsOf, reconcileThenCreate, type ReconciledCreate } from '../reconcile/create.js';
import { defineKind, type JsonState, type StepContext } from '../engine/types.js';
import { connectionUrisFor } from './connection-uris.js';
import { branchSummary, databaseSummary, endpointSummary, roleSummary, settledBranchSummary, settledEndpointSummary } from './summaries.js';

type BranchCreateState = {
  name: string;
  parentId?: string;
  branchId?: string;
  /**
   * The branch and its endpoints from the create response, as they are once its operations
   * finished (public): the result needs no read-back. Absent when the branch was found
   * rather than created (a lost response): then the result is read from Neon.
   */
  branch?: BranchSummary;
  endpoints?: EndpointSummary[];
  /** Databases and roles of the branch (public): the create response's, plus those later steps made. */
  databases?: DatabaseSummary[];
  roles?: RoleSummary[];
  /** Connection URIs from the create response were sealed into the store already. */
  urisStored?: boolean;
};

export const branchCreate = defineKind<'branch.create', BranchCreateState>({
  initialState: (params) => ({ name: params.name ?? '' }),
  steps: [
    {
      name: 'resolve_parent',
      mutates: false,
      skip: (ctx) => !ctx.params.parent,
      async run(ctx) {
        const parent = ctx.params.parent;
        if (!parent) return;
        if ('id' in parent) {
          ctx.state.parentId = parent.id;
          return;
        }
        const id = await branchIdByName(ctx.neon, ctx.params.projectId, parent.name);
        if (!id) {
          throw new IntentFailedError({ code: FailureCodes.notFound, message: `Parent branch "${parent.name}" not found`, neonStatus: 404 });
        }
        ctx.state.parentId = id;
      },
    },
    {
      name: 'create_branch',
      mutates: true,
      async run(ctx) {
        const p = ctx.params;
        const name = ctx.state.name || deterministicName(ctx.intentId);
        ctx.state.name = name;
        const outcome = await createBranchOnce(
          { ...ctx, projectId: p.projectId },
          {
            name,
            ...(ctx.state.parentId ? { parentId: ctx.state.parentId } : {}),
            ...(p.parentTimestamp ? { parentTimestamp: p.parentTimestamp } : {}),
            ...(p.parentLsn ? { parentLsn: p.parentLsn } : {}),
            ...(p.expiresAt ? { expiresAt: p.expiresAt } : {}),
            ...(p.protected === undefined ? {} : { protected: p.protected }),
            endpoints: p.endpoints,
          },
        );
        if (outcome.created) {
          const created = outcome.created;
          ctx.state.branchId = created.branch.id;
          recordBranch(ctx, created.branch.id, created.endpoints);
          // The response already holds what the result needs; keeping it saves calls at the end.
          // Public parts go to the checkpoint, connection URIs (secrets) straight into the sealed store.
          ctx.state.databases = created.databases.map(databaseSummary);
          ctx.state.roles = created.roles.map(roleSummary);
          // The result is built from this response once the operations finished (nothing else changes).
          ctx.state.branch = settledBranchSummary(created.branch);
          ctx.state.endpoints = created.endpoints.map(settledEndpointSummary);
          if (await storeCreatedUris(ctx, created)) ctx.state.urisStored = true;
          return { operations: created.operations };
        }
        const branch = outcome.found as Branch;
        ctx.state.branchId = branch.id;
        // The create (with its endpoints) is one request, so a found branch has them too;
        // its operations ids were lost with the response: wait for whatever still runs.
        recordBranch(ctx, branch.id, (await ctx.neon.listBranchEndpoints(p.projectId, branch.id)).endpoints);
        return { operations: await pendingOperationsOf(ctx.neon, p.projectId, { branchId: branch.id }) };
      },
    },
    {
      name: 'create_role',
      mutates: true,
      skip: (ctx) => !ctx.params.role,
      async run(ctx) {
        const role = ctx.params.role;
        const branchId = ctx.state.branchId;
        if (!role || !branchId) return;
        // On a branch this intent created, a role of that name is ours (or inherited from the parent: fine too).
        const { projectId } = ctx.params;
        let inherited = false;
        const outcome = await reconcileThenCreate({
          what: `Role "${role.name}"`,
          resumed: ctx.resumed,
          beginMutation: ctx.beginMutation,
          lookup: async (why) => {
            const found = await findRole(ctx.neon, projectId, branchId, role.name);
            inherited = why === 'conflict' && !ctx.resumed;
            return found ? { value: found, ours: true } : undefined;
          },
          create: () => ctx.neon.createRole(projectId, branchId, { role: { name: role.name } }),
        });
        // One the parent passed down is not listed as created (it goes with the branch all the same).
        if (!inherited) ctx.recordCreated({ type: 'role', projectId, branchId, name: role.name });
        const made = outcome.created?.role ?? outcome.found;
        if (made && ctx.state.roles) ctx.state.roles = [...ctx.state.roles.filter((r) => r.name !== made.name), roleSummary(made)];
        const res = { operations: outcome.created?.operations ?? [] };
        return { operations: res.operations };
      },
    },
    {
      name: 'create_database',
      mutates: true,
      skip: (ctx) => !ctx.params.database,
      async run(ctx) {
        const db = ctx.params.database;
        const branchId = ctx.state.branchId;
        if (!db || !branchId) return;
        const { projectId } = ctx.params;
        const owner = db.ownerName ?? ctx.params.role?.name ?? 'neondb_owner';
        let inherited = false;
        const outcome = await reconcileThenCreate({
          what: `Database "${db.name}"`,
          resumed: ctx.resumed,
          beginMutation: ctx.beginMutation,
          lookup: async (why) => {
            const found = await findDatabase(ctx.neon, projectId, branchId, db.name);
            inherited = why === 'conflict' && !ctx.resumed;
            return found ? { value: found, ours: true } : undefined;
          },
          create: () => ctx.neon.createDatabase(projectId, branchId, { database: { name: db.name, owner_name: owner } }),
        });
        if (!inherited) ctx.recordCreated({ type: 'database', projectId, branchId, name: db.name });
        const made = outcome.created?.database ?? outcome.found;
        if (made && ctx.state.databases) ctx.state.databases = [...ctx.state.databases.filter((d) => d.name !== made.name), databaseSummary(made)];
        const res = { operations: outcome.created?.operations ?? [] };
        return { operations: res.operations };
      },
    },
  ],
  async finish(ctx) {
    const { projectId } = ctx.params;
    const branchId = ctx.state.branchId;
    if (!branchId) throw new Error('branch.create finished without a branch id');
    // Created by this intent: everything is known from the responses and the finished operations.
    const known = ctx.state.branch && ctx.state.endpoints && ctx.state.databases && ctx.state.roles;
    const got = known ? undefined : await orUndefinedOn404(ctx.neon.getBranch(projectId, branchId));
    if (!known && !got) throw new NotReadyError(`branch ${branchId} not visible yet`);
    const [endpoints, databases, roles] = await Promise.all([
      ctx.state.endpoints ?? ctx.neon.listBranchEndpoints(projectId, branchId).then((r) => r.endpoints.map(endpointSummary)),
      known ? undefined : ctx.neon.listDatabases(projectId, branchId).then((r) => r.databases),
      known ? undefined : ctx.neon.listRoles(projectId, branchId).then((r) => r.roles),
    ]);
    const branch = ctx.state.branch ?? (got ? branchSummary(got.branch) : undefined);
    if (!branch) throw new NotReadyError(`branch ${branchId} not visible yet`);
    const result = {
      branch,
      endpoints,
      databases: databases ? databases.map(databaseSummary) : (ctx.state.databases ?? []),
      roles: roles ? roles.map(roleSummary) : (ctx.state.roles ?? []),
    };
    // Sealed from the create response already (and no new database needs its own URIs).
    if (ctx.state.urisStored && !ctx.params.database) return { result };
    const connectionUris = await connectionUrisFor(ctx.neon, projectId, branchId, endpoints, databases ?? (ctx.state.databases ?? []).map((d) => ({ name: d.name, owner_name: d.ownerName })));
    return { result, secrets: { connectionUris } };
  },
});

/** Lists the new branch and the computes made with it (same request) as created by the intent. */
export function recordBranch(
  ctx: { params: { projectId: string }; recordCreated: StepContext<'branch.create', JsonState>['recordCreated'] },
  branchId: string,
  endpoints: ReadonlyArray<Pick<Endpoint, 'id'>>,
): void {
  const { projectId } = ctx.params;
  ctx.recordCreated({ type: 'branch', projectId, branchId });
  for (const e of endpoints) ctx.recordCreated({ type: 'endpoint', projectId, branchId, endpointId: e.id });
}

/** What a new branch is made with (Neon's `createBranch` body, in our names). */
export interface BranchSpec {
  name: string;
  parentId?: string;
  parentTimestamp?: string;
  parentLsn?: string;
  expiresAt?: string;
  protected?: boolean;
  endpoints: ReadonlyArray<NewEndpoint>;
  /** Annotation entries besides our intent id (a preview's pull request). */
  annotations?: Record<string, string>;
}

type CreateBranchResponse = Awaited<ReturnType<NeonClient['createBranch']>>;

/**
 * Get-or-create of a branch by name that never creates twice (`reconcileThenCreate`): a
 * found branch is ours when its annotation names this intent, or when `ours` says so (a
 * preview adopts the branch an earlier intent made for the same pull request).
 */
export async function createBranchOnce(
  ctx: { neon: NeonClient; intentId: string; projectId: string; resumed: boolean; beginMutation(): Promise<void> },
  spec: BranchSpec,
  ours: (found: FoundBranch) => boolean = () => false,
): Promise<ReconciledCreate<Branch, CreateBranchResponse>> {
  return reconcileThenCreate({
    what: `Branch "${spec.name}"`,
    resumed: ctx.resumed,
    beginMutation: ctx.beginMutation,
    lookup: async () => {
      const found = await findBranchByName(ctx.neon, ctx.projectId, spec.name);
      return found ? { value: found.branch, ours: found.annotatedIntent === ctx.intentId || ours(found) } : undefined;
    },
    create: () =>
      ctx.neon.createBranch(ctx.projectId, {
        branch: {
          name: spec.name,
          ...(spec.parentId ? { parent_id: spec.parentId } : {}),
          ...(spec.parentTimestamp ? { parent_timestamp: spec.parentTimestamp } : {}),
          ...(spec.parentLsn ? { parent_lsn: spec.parentLsn } : {}),
          ...(spec.expiresAt ? { expires_at: spec.expiresAt } : {}),
          ...(spec.protected === undefined ? {} : { protected: spec.protected }),
        },
        endpoints: spec.endpoints.map((e) => ({
          type: e.type,
          ...(e.autoscalingLimitMinCu === undefined ? {} : { autoscaling_limit_min_cu: e.autoscalingLimitMinCu }),
          ...(e.autoscalingLimitMaxCu === undefined ? {} : { autoscaling_limit_max_cu: e.autoscalingLimitMaxCu }),
          ...(e.suspendTimeoutSeconds === undefined ? {} : { suspend_timeout_seconds: e.suspendTimeoutSeconds }),
        })),
        annotation_value: { ...spec.annotations, ...intentAnnotation(ctx.intentId) },
      }),
  });
}

/** Deletes a branch; one already gone (404) counts as done. Returns the delete's operations. */
export async function deleteBranchIfPresent(neon: NeonClient, projectId: string, branchId: string): Promise<readonly Operation[]> {
  const res = await orUndefinedOn404(neon.deleteBranch(projectId, branchId));
  return res?.operations ?? [];
}

/**
 * Seals the connection URIs of a create response into the store at once (secrets never go
 * to the checkpoint); true when there were any.
 */
export async function storeCreatedUris(
  ctx: { storeSecrets(secrets: { connectionUris: ConnectionUri[] }): Promise<void> },
  created: Pick<CreateBranchResponse, 'connection_uris'>,
): Promise<boolean> {
  if (!created.connection_uris || created.connection_uris.length === 0) return false;
  await ctx.storeSecrets({ connectionUris: created.connection_uris.map(fromConnectionDetails) });
  return true;
}

/** A connection from a create response, with its pooled twin (same URI through the pooler host). */
function fromConnectionDetails(d: ConnectionDetails): ConnectionUri {
  const p = d.connection_parameters;
  return {
    databaseName: p.database,
    roleName: p.role,
    uri: d.connection_uri,
    pooledUri: d.connection_uri.replace(`@${p.host}`, `@${p.pooler_host}`),
  };
}

/** The branch from the mutation's response as it is once its operations finished (no read-back); absent: read it. */
type BranchResultState = { branch?: BranchSummary };

export const branchUpdate = defineKind<'branch.update', BranchResultState>({
  initialState: () => ({}),
  steps: [
    {
      name: 'update_branch',
      mutates: true,
      async run(ctx) {
        const p = ctx.params;
        const res = await ctx.neon.updateBranch(p.projectId, p.branchId, {
          branch: {
            ...(p.name === undefined ? {} : { name: p.name }),
            ...(p.protected === undefined ? {} : { protected: p.protected }),
            ...(p.expiresAt === undefined ? {} : { expires_at: p.expiresAt }),
          },
        });
        ctx.state.branch = settledBranchSummary(res.branch);
        return { operations: res.operations };
      },
    },
  ],
  async finish(ctx) {
    if (ctx.state.branch) return { result: { branch: ctx.state.branch } };
    const { branch } = await ctx.neon.getBranch(ctx.params.projectId, ctx.params.branchId);
    return { result: { branch: branchSummary(branch) } };
  },
});

export const branchDelete = defineKind<'branch.delete', Record<string, never>>({
  initialState: () => ({}),
  steps: [
    {
      name: 'delete_branch',
      mutates: true,
      async run(ctx) {
        // The API refused a protected branch at submit time, but protection may have been
        // set since (or the API could not ask Neon): check again right before deleting.
        const current = await orUndefinedOn404(ctx.neon.getBranch(ctx.params.projectId, ctx.params.branchId));
        if (!current) return {};
        if (current.branch.protected) {
          throw new IntentFailedError({ code: FailureCodes.branchProtected, message: `Branch ${ctx.params.branchId} is protected and cannot be deleted` });
        }
        return { operations: await deleteBranchIfPresent(ctx.neon, ctx.params.projectId, ctx.params.branchId) };
      },
    },
  ],
  async finish(ctx) {
    return { result: { branchId: ctx.params.branchId, deleted: true as const } };
  },
});

export const branchRestore = defineKind<'branch.restore', BranchResultState>({
  initialState: () => ({}),
  steps: [
    {
      name: 'restore_branch',
      mutates: true,
      async run(ctx) {
        const p = ctx.params;
        // A restore that kept the old state under a name has happened when that branch exists.
        if (ctx.resumed && p.preserveUnderName && (await findBranchByName(ctx.neon, p.projectId, p.preserveUnderName))) return {};
        await ctx.beginMutation();
        const res = await ctx.neon.restoreBranch(p.projectId, p.branchId, {
          source_branch_id: p.sourceBranchId,
          ...(p.sourceTimestamp ? { source_timestamp: p.sourceTimestamp } : {}),
          ...(p.sourceLsn ? { source_lsn: p.sourceLsn } : {}),
          ...(p.preserveUnderName ? { preserve_under_name: p.preserveUnderName } : {}),
        });
        ctx.state.branch = settledBranchSummary(res.branch);
        return { operations: res.operations };
      },
    },
  ],
  async finish(ctx) {
    if (ctx.state.branch) return { result: { branch: ctx.state.branch } };
    const { branch } = await ctx.neon.getBranch(ctx.params.projectId, ctx.params.branchId);
    return { result: { branch: branchSummary(branch) } };
  },
});
