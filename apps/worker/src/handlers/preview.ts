import type { BranchSummary, EndpointSummary, PullRequestRef, PullRequestState, PullRequestStates } from '@neonops/intents';
import type { Branch, NeonClient } from '@neonops/neon-client';
import { defineKind } from '../engine/types.js';
import { FailureCodes, IntentFailedError, NotReadyError } from '../errors.js';
import { INTENT_ANNOTATION, PREVIEW_ANNOTATION, previewMark } from '../reconcile/annotation.js';
import { branchIdByName, findBranchByName, type FoundBranch } from '../reconcile/branch.js';
import { findDatabase, findRole, orUndefinedOn404 } from '../reconcile/children.js';
import { pendingOperationsOf } from '../reconcile/create.js';
import { createBranchOnce, deleteBranchIfPresent, recordBranch, storeCreatedUris } from './branch.js';
import { connectionUrisFor } from './connection-uris.js';
import { branchSummary, endpointSummary, settledBranchSummary, settledEndpointSummary } from './summaries.js';

type EnsureState = {
  parentId?: string;
  branchId?: string;
  /** `created`, `unchanged` (found ours), then `reset` / `extended`; `skipped` when the PR is closed. */
  action?: 'created' | 'reset' | 'extended' | 'unchanged' | 'skipped';
  reason?: string;
  /** Computed once (the first run of the step), so a retry sets the same expiry. */
  expiresAt?: string;
  urisStored?: boolean;
  /** What `ensure_endpoint` / `ensure_role` / `ensure_database` made on an existing branch. */
  added?: Array<'endpoint' | 'role' | 'database'>;
  /**
   * The created branch and its endpoints from the create response, as they are once its
   * operations finished (`settledBranchSummary`): the result needs no read-back. Only for a
   * branch this intent created (later steps add roles and databases, which change neither);
   * a found (adopted) branch is read at the end, since anyone may have changed it.
   */
  branch?: BranchSummary;
  endpoints?: EndpointSummary[];
};

type TeardownState = { branchId?: string; action?: 'deleted' | 'gone' | 'skipped'; reason?: string };

/** The PR's newest known state (the API advanced it when it accepted the event). */
async function desiredState(states: PullRequestStates | undefined, pr: PullRequestRef): Promise<PullRequestState | undefined> {
  if (!states) throw new Error('preview kinds need the pull request states (createIntentWorker deps.pullRequests)');
  return states.get({ sourceId: pr.sourceId, repositoryId: pr.repositoryId, number: pr.number });
}

/** A found branch is this PR's preview when its annotation names the PR (or an intent made it for it). */
const isPreviewOf = (pr: PullRequestRef) => (found: FoundBranch) => found.annotations[PREVIEW_ANNOTATION] === previewMark(pr);

/** RFC 3339 to the second, as Neon wants `expires_at`. */
const expiryIn = (seconds: number): string => new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The project's default branch id (what a preview without a parent is restored from). */
async function defaultBranchId(neon: NeonClient, projectId: string): Promise<string> {
  for await (const branch of neon.listBranches(projectId)) if ((branch as Branch & { default?: boolean }).default) return branch.id;
  throw new IntentFailedError({ code: FailureCodes.notFound, message: `Project ${projectId} has no default branch`, neonStatus: 404 });
}

/** The branch and its endpoints as Neon shows them now (a 404 right after a create: not ready yet). */
async function readBack(neon: NeonClient, projectId: string, branchId: string): Promise<{ branch: BranchSummary; endpoints: EndpointSummary[] }> {
  const got = await orUndefinedOn404(neon.getBranch(projectId, branchId));
  if (!got) throw new NotReadyError(`branch ${branchId} not visible yet`);
  const { endpoints } = await neon.listBranchEndpoints(projectId, branchId);
  return { branch: branchSummary(got.branch), endpoints: endpoints.map(endpointSummary) };
}

/**
 * `preview.ensure`: the pull request's preview branch exists. Under the project lock it
 * reads the PR's desired state first: a PR closed meanwhile (a `closed` accepted after this
 * intent's event) is `skipped`, so a late `opened` never brings a branch back. Then
 * get-or-create by name (a same-named branch annotated for this PR is adopted, any other is a
 * conflict), optionally a reset to the parent (`branch.restore`), and a new `expires_at`.
 */
export const previewEnsure = defineKind<'preview.ensure', EnsureState>({
  initialState: () => ({}),
  steps: [
    {
      name: 'resolve_parent',
      mutates: false,
      skip: (ctx) => !ctx.params.parent && !ctx.params.reset,
      async run(ctx) {
        const { parent, projectId } = ctx.params;
        if (parent && 'id' in parent) ctx.state.parentId = parent.id;
        else if (parent) {
          const id = await branchIdByName(ctx.neon, projectId, parent.name);
          if (!id) throw new IntentFailedError({ code: FailureCodes.notFound, message: `Parent branch "${parent.name}" not found`, neonStatus: 404 });
          ctx.state.parentId = id;
        } else ctx.state.parentId = await defaultBranchId(ctx.neon, projectId);
      },
    },
    {
      name: 'ensure_branch',
      mutates: true,
      async run(ctx) {
        const p = ctx.params;
        if ((await desiredState(ctx.pullRequests, p.pullRequest))?.state === 'closed') {
          Object.assign(ctx.state, { action: 'skipped', reason: 'pull_request_closed' });
          return {};
        }
        if (p.ttlSeconds !== undefined) ctx.state.expiresAt ??= expiryIn(p.ttlSeconds);
        const outcome = await createBranchOnce(
          // Look first, always: the branch of an earlier event of this PR is the usual case.
          { ...ctx, projectId: p.projectId, resumed: true },
          {
            name: p.name,
            ...(ctx.state.parentId ? { parentId: ctx.state.parentId } : {}),
            ...(ctx.state.expiresAt ? { expiresAt: ctx.state.expiresAt } : {}),
            endpoints: p.endpoints,
            annotations: { [PREVIEW_ANNOTATION]: previewMark(p.pullRequest) },
          },
          isPreviewOf(p.pullRequest),
        );
        if (outcome.created) {
          const created = outcome.created;
          Object.assign(ctx.state, { branchId: created.branch.id, action: 'created' });
          recordBranch(ctx, created.branch.id, created.endpoints);
          ctx.state.branch = settledBranchSummary(created.branch);
          ctx.state.endpoints = created.endpoints.map(settledEndpointSummary);
          ctx.state.urisStored = await storeCreatedUris(ctx, created);
          return { operations: created.operations };
        }
        const branch = outcome.found as Branch;
        Object.assign(ctx.state, { branchId: branch.id, action: 'unchanged' });
        // A resumed run that finds the branch its lost create made reads it at the end.
        delete ctx.state.branch;
        delete ctx.state.endpoints;
        // An earlier event's create may still be running.
        return { operations: await pendingOperationsOf(ctx.neon, p.projectId, { branchId: branch.id }) };
      },
    },
    {
      name: 'reset_branch',
      mutates: true,
      skip: (ctx) => !ctx.params.reset || ctx.state.action !== 'unchanged',
      async run(ctx) {
        const { projectId } = ctx.params;
        const { branchId, parentId } = ctx.state;
        if (!branchId || !parentId) throw new Error('reset_branch without a branch or parent id');
        await ctx.beginMutation();
        const res = await ctx.neon.restoreBranch(projectId, branchId, { source_branch_id: parentId });
        ctx.state.action = 'reset';
        return { operations: res.operations };
      },
    },
    {
      name: 'extend_expiry',
      mutates: true,
      skip: (ctx) => !ctx.state.expiresAt || (ctx.state.action !== 'unchanged' && ctx.state.action !== 'reset'),
      async run(ctx) {
        const { branchId, expiresAt } = ctx.state;
        if (!branchId || !expiresAt) return {};
        const res = await ctx.neon.updateBranch(ctx.params.projectId, branchId, { branch: { expires_at: expiresAt } });
        if (ctx.state.action === 'unchanged') ctx.state.action = 'extended';
        return { operations: res.operations };
      },
    },
    {
      // An adopted branch without a compute (made by hand, or its endpoint deleted) gets the rule's.
      name: 'ensure_endpoint',
      mutates: true,
      skip: (ctx) => ctx.params.endpoints.length === 0 || !ctx.state.branchId || ctx.state.action === 'created' || ctx.state.action === 'skipped',
      async run(ctx) {
        const { projectId } = ctx.params;
        const [wanted] = ctx.params.endpoints;
        const branchId = ctx.state.branchId;
        if (!wanted || !branchId) return {};
        // Looked up first, always: after a lost answer the endpoint made then is found here.
        const { endpoints } = await ctx.neon.listBranchEndpoints(projectId, branchId);
        if (endpoints.length > 0) return {};
        await ctx.beginMutation();
        const res = await ctx.neon.createEndpoint(projectId, {
          endpoint: {
            branch_id: branchId,
            type: wanted.type,
            ...(wanted.autoscalingLimitMinCu === undefined ? {} : { autoscaling_limit_min_cu: wanted.autoscalingLimitMinCu }),
            ...(wanted.autoscalingLimitMaxCu === undefined ? {} : { autoscaling_limit_max_cu: wanted.autoscalingLimitMaxCu }),
            ...(wanted.suspendTimeoutSeconds === undefined ? {} : { suspend_timeout_seconds: wanted.suspendTimeoutSeconds }),
          },
        });
        ctx.state.added = [...(ctx.state.added ?? []), 'endpoint'];
        ctx.state.urisStored = false;
        return { operations: res.operations };
      },
    },
    {
      // After any reset: a restore brings back the parent's roles and databases only.
      name: 'ensure_role',
      mutates: true,
      skip: (ctx) => !ctx.params.database || !ctx.state.branchId || ctx.state.action === 'skipped',
      async run(ctx) {
        const { projectId, database } = ctx.params;
        const branchId = ctx.state.branchId;
        if (!database || !branchId) return {};
        if (await findRole(ctx.neon, projectId, branchId, database.owner)) return {};
        await ctx.beginMutation();
        const res = await ctx.neon.createRole(projectId, branchId, { role: { name: database.owner } });
        ctx.state.added = [...(ctx.state.added ?? []), 'role'];
        ctx.state.urisStored = false;
        return { operations: res.operations };
      },
    },
    {
      name: 'ensure_database',
      mutates: true,
      skip: (ctx) => !ctx.params.database || !ctx.state.branchId || ctx.state.action === 'skipped',
      async run(ctx) {
        const { projectId, database } = ctx.params;
        const branchId = ctx.state.branchId;
        if (!database || !branchId) return {};
        if (await findDatabase(ctx.neon, projectId, branchId, database.name)) return {};
        await ctx.beginMutation();
        const res = await ctx.neon.createDatabase(projectId, branchId, { database: { name: database.name, owner_name: database.owner } });
        ctx.state.added = [...(ctx.state.added ?? []), 'database'];
        ctx.state.urisStored = false;
        return { operations: res.operations };
      },
    },
  ],
  async finish(ctx) {
    const { projectId } = ctx.params;
    const { action = 'skipped', branchId, reason } = ctx.state;
    if (action === 'skipped' || !branchId) return { result: { action: 'skipped' as const, ...(reason ? { reason } : {}), endpoints: [] } };
    const built = action === 'created' && ctx.state.branch && ctx.state.endpoints ? { branch: ctx.state.branch, endpoints: ctx.state.endpoints } : undefined;
    // A branch this intent created: built from the create response (the floor is the look-up,
    // the POST and one poll). A found one: read, since anyone may have changed it.
    const result = { action, ...(built ?? (await readBack(ctx.neon, projectId, branchId))) };
    if (ctx.state.urisStored) return { result };
    const { databases } = await ctx.neon.listDatabases(projectId, branchId);
    return { result, secrets: { connectionUris: await connectionUrisFor(ctx.neon, projectId, branchId, result.endpoints, databases) } };
  },
});

/**
 * `preview.teardown`: the pull request's preview branch is gone. Under the project lock it
 * reads the PR's desired state first: a PR reopened meanwhile is `skipped`. A branch of that
 * name that was not made for this PR is left alone (`neon_conflict`); none at all is `gone`.
 */
export const previewTeardown = defineKind<'preview.teardown', TeardownState>({
  initialState: () => ({}),
  steps: [
    {
      name: 'delete_branch',
      mutates: true,
      async run(ctx) {
        const p = ctx.params;
        if ((await desiredState(ctx.pullRequests, p.pullRequest))?.state === 'open') {
          Object.assign(ctx.state, { action: 'skipped', reason: 'pull_request_reopened' });
          return {};
        }
        const found = await findBranchByName(ctx.neon, p.projectId, p.name);
        if (!found) {
          // A resumed run whose delete was sent already finds nothing: that delete was ours.
          ctx.state.action = ctx.state.branchId ? 'deleted' : 'gone';
          return {};
        }
        if (!isPreviewOf(p.pullRequest)(found)) {
          throw new IntentFailedError({
            code: FailureCodes.conflict,
            message: `Branch "${p.name}" was not made for this pull request (annotation ${JSON.stringify(found.annotations[INTENT_ANNOTATION] ?? null)}); left alone`,
          });
        }
        ctx.state.branchId = found.branch.id;
        await ctx.beginMutation();
        const operations = await deleteBranchIfPresent(ctx.neon, p.projectId, found.branch.id);
        ctx.state.action = 'deleted';
        return { operations };
      },
    },
  ],
  async finish(ctx) {
    const { action = 'gone', branchId, reason } = ctx.state;
    return { result: { action, ...(branchId ? { branchId } : {}), ...(reason ? { reason } : {}) } };
  },
});
