import type { CreatedResource, IntentError, IntentKind, IntentStep, IntentUndo, OnFailure } from '@neonops/intents';
import { orUndefinedOn404 } from '../reconcile/children.js';
import type { Checkpoint } from './checkpoint.js';
import type { JsonState, Step, StepContext, StepOutcome } from './types.js';

/**
 * Undo of a failed or cancelled intent ("nothing left behind"): the resources it created
 * (checkpoint `resources`) are deleted by extra steps that run after the kind's own, through
 * the same engine — project lock, retries, waits on operations, checkpoints — so an undo
 * resumes after a crash like any step. This module plans those steps, runs one deletion
 * each, and says in the record what became of the resources.
 */

export type UndoState = NonNullable<Checkpoint['undo']>;
type AnyStep = Step<IntentKind, JsonState>;

/** The `onFailure` of parsed params; kinds that create nothing have none (and nothing to undo). */
export function onFailureOf(params: unknown): OnFailure {
  return (params as { onFailure?: unknown } | undefined)?.onFailure === 'keep' ? 'keep' : 'delete';
}

const identity = (r: CreatedResource): string => {
  switch (r.type) {
    case 'project':
      return `project:${r.projectId}`;
    case 'branch':
      return `branch:${r.projectId}:${r.branchId}`;
    case 'endpoint':
      return `endpoint:${r.projectId}:${r.endpointId}`;
    case 'database':
    case 'role':
      return `${r.type}:${r.projectId}:${r.branchId}:${r.name}`;
    case 'api_key':
      return `api_key:${r.keyId}`;
  }
};

/** Adds `resource` to `list` unless it is listed already (a resumed step finds and lists its resource again). */
export function addResource(list: CreatedResource[], resource: CreatedResource): void {
  const key = identity(resource);
  if (!list.some((r) => identity(r) === key)) list.push(resource);
}

/** Whether deleting `outer` deletes `inner` too (a project takes everything in it, a branch its computes, databases and roles). */
function contains(outer: CreatedResource, inner: CreatedResource): boolean {
  if (outer.type === 'project') return inner.type !== 'project' && inner.type !== 'api_key' && inner.projectId === outer.projectId;
  if (outer.type === 'branch') {
    return (inner.type === 'endpoint' || inner.type === 'database' || inner.type === 'role') && inner.projectId === outer.projectId && inner.branchId === outer.branchId;
  }
  return false;
}

/**
 * The undo steps for `resources`: one deletion per resource that no other listed resource
 * contains, newest first (the reverse of creation), each also covering what it contains —
 * so `branch.create` needs one `undo_delete_branch`, not one call per compute or role.
 */
export function planUndo(resources: readonly CreatedResource[]): UndoState['plan'] {
  const live = (j: number) => resources[j]?.deletedAt === undefined;
  const plan: UndoState['plan'] = [];
  const names = new Set<string>();
  for (let i = resources.length - 1; i >= 0; i--) {
    const r = resources[i];
    if (!r || !live(i)) continue;
    if (resources.some((o, j) => j !== i && live(j) && contains(o, r))) continue;
    const covered = resources.flatMap((o, j) => (j !== i && live(j) && contains(r, o) ? [j] : []));
    const base = r.type === 'api_key' ? 'undo_revoke_api_key' : `undo_delete_${r.type}`;
    let name = base;
    for (let n = 2; names.has(name); n++) name = `${base}_${n}`;
    names.add(name);
    plan.push({ name, targets: [i, ...covered] });
  }
  return plan;
}

/** What an intent that ends `after` does with its resources. */
export type UndoStart = { kind: 'none' } | { kind: 'kept'; undo: IntentUndo } | { kind: 'started' };

/**
 * Decides what the end of a failed or cancelled intent does with what it created: nothing
 * (it created nothing still there), keep it (`onFailure: "keep"`: the record says so), or
 * undo it — then the checkpoint carries the plan, the step index moves to the first undo
 * step, and the retry count starts afresh (the failure may have used up every attempt).
 */
export function startUndo(
  checkpoint: Checkpoint,
  options: { after: UndoState['after']; error: IntentError; onFailure: OnFailure; from: number },
): UndoStart {
  const plan = planUndo(checkpoint.resources);
  if (plan.length === 0) return { kind: 'none' };
  if (options.onFailure === 'keep') {
    const kept = checkpoint.resources.filter((r) => r.deletedAt === undefined);
    return { kind: 'kept', undo: { status: 'kept', after: options.after, note: `Kept what the intent created (onFailure "keep"): ${list(kept)}.` } };
  }
  checkpoint.undo = { after: options.after, error: options.error, from: options.from, plan };
  checkpoint.step = options.from;
  checkpoint.retries = 0;
  checkpoint.wait = undefined;
  checkpoint.mutationStarted = undefined;
  return { kind: 'started' };
}

/** The undo steps as engine steps (mutating: they run under the project lock and are retried like any step). */
export function undoSteps(undo: UndoState, resources: readonly CreatedResource[]): AnyStep[] {
  return undo.plan.map((entry) => ({
    name: entry.name,
    mutates: true,
    run: async (ctx) => {
      const target = resources[entry.targets[0] ?? -1];
      if (!target) throw new Error(`undo step ${entry.name} names no resource`);
      return deleteResource(ctx, target);
    },
  }));
}

/** The record's entries of the undo steps (kept from an earlier run, else pending). */
export function undoStepRecords(undo: UndoState, recorded: readonly IntentStep[]): IntentStep[] {
  return undo.plan.map((e) => recorded.find((s) => s.name === e.name) ?? { name: e.name, status: 'pending', attempts: 0 });
}

/**
 * Deletes one resource. Idempotent: a 404 (or Neon's 204 for something gone) means it is
 * gone already, so a repeat after a crash or a lost answer is harmless.
 */
async function deleteResource(ctx: StepContext<IntentKind, JsonState>, r: CreatedResource): Promise<StepOutcome> {
  const { neon } = ctx;
  switch (r.type) {
    case 'project':
      // A project's operations go with it: nothing to wait for.
      await orUndefinedOn404(neon.deleteProject(r.projectId));
      // Its team no longer sees a project that is gone (as after project.delete).
      if ((await ctx.ownership.ownerOf(r.projectId)) === ctx.teamId) await ctx.ownership.release(r.projectId);
      return {};
    case 'branch':
      return { operations: (await orUndefinedOn404(neon.deleteBranch(r.projectId, r.branchId)))?.operations ?? [] };
    case 'endpoint':
      return { operations: (await orUndefinedOn404(neon.deleteEndpoint(r.projectId, r.endpointId)))?.operations ?? [] };
    case 'database':
      return { operations: (await orUndefinedOn404(neon.deleteDatabase(r.projectId, r.branchId, r.name)))?.operations ?? [] };
    case 'role':
      return { operations: (await orUndefinedOn404(neon.deleteRole(r.projectId, r.branchId, r.name)))?.operations ?? [] };
    case 'api_key':
      await orUndefinedOn404(neon.revokeApiKey(r.keyId));
      return {};
  }
}

/** The project whose lock the undo needs when the intent's scope names none (a `project.create`'s new project). */
export function undoLockProject(undo: UndoState | undefined, resources: readonly CreatedResource[]): string | undefined {
  if (!undo) return undefined;
  const project = undo.plan.map((e) => resources[e.targets[0] ?? -1]).find((r) => r && r.type !== 'api_key');
  return project && project.type !== 'api_key' ? project.projectId : undefined;
}

/** The record's `undo` while the undo steps run. */
export function undoRunning(undo: UndoState, resources: readonly CreatedResource[]): IntentUndo {
  const roots = undo.plan.map((e) => resources[e.targets[0] ?? -1]).filter((r): r is CreatedResource => r !== undefined);
  return { status: 'running', after: undo.after, note: `Deleting what the intent created: ${list(roots)}.` };
}

/**
 * The end of an undo: the resources with `deletedAt` on those its succeeded steps deleted
 * (when the step finished), and the record's `undo` — `done`, or `incomplete` naming what is
 * left behind, with the error that stopped it.
 */
export function endUndo(
  undo: UndoState,
  resources: readonly CreatedResource[],
  steps: readonly IntentStep[],
  outcome: { status: 'done' } | { status: 'incomplete'; error: IntentError },
  nowIso: string,
): { resources: CreatedResource[]; undo: IntentUndo } {
  const out = resources.map((r) => ({ ...r }));
  const deleted: string[] = [];
  undo.plan.forEach((entry, i) => {
    const step = steps[undo.from + i];
    if (step?.status !== 'succeeded') return;
    const group = entry.targets.map((t) => out[t]).filter((r): r is CreatedResource => r !== undefined);
    for (const r of group) r.deletedAt ??= step.finishedAt ?? nowIso;
    const [root, ...rest] = group;
    if (root) deleted.push(describe(root) + (rest.length > 0 ? ` with ${rest.map(describe).join(', ')}` : ''));
  });
  if (outcome.status === 'done') {
    return { resources: out, undo: { status: 'done', after: undo.after, note: `Deleted what the intent created: ${deleted.join('; ')}.` } };
  }
  const left = out.filter((r) => r.deletedAt === undefined);
  const note =
    `Could not delete everything the intent created; left behind (still listed in resources): ${list(left)}.` +
    (deleted.length > 0 ? ` Deleted: ${deleted.join('; ')}.` : '');
  return { resources: out, undo: { status: 'incomplete', after: undo.after, note, error: outcome.error } };
}

function describe(r: CreatedResource): string {
  switch (r.type) {
    case 'project':
      return `project ${r.projectId}`;
    case 'branch':
      return `branch ${r.branchId} (project ${r.projectId})`;
    case 'endpoint':
      return `endpoint ${r.endpointId} (branch ${r.branchId})`;
    case 'database':
      return `database "${r.name}" (branch ${r.branchId})`;
    case 'role':
      return `role "${r.name}" (branch ${r.branchId})`;
    case 'api_key':
      return `API key ${r.keyId} ("${r.name}")`;
  }
}

const list = (resources: readonly CreatedResource[]): string => resources.map(describe).join(', ');
