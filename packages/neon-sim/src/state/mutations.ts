import type { components } from '@neonops/neon-client/openapi-types';
import type { Simulation } from '../core.js';
import type { OperationSpec } from '../behaviour/operations-engine.js';
import { locked, notFound } from '../http/errors.js';
import { NEW_DATABASE_BYTES } from '../behaviour/consumption.js';
import type { BranchRecord, DatabaseRecord, EndpointRecord, ProjectRecord, RoleRecord } from './records.js';

type Action = components['schemas']['OperationAction'];

/** Default compute size and scale-to-zero delay, as on Neon's free plan. */
export const DEFAULT_MIN_CU = 0.25;
export const DEFAULT_MAX_CU = 2;
export const DEFAULT_SUSPEND_TIMEOUT_SECONDS = 300;

/** Moves operations to the present, suspends computes idle past their timeout and removes expired branches. */
export function tickSimulation(sim: Simulation): void {
  const now = sim.now();
  sim.engine.tick(now);
  const store = sim.store;
  // Only computes with a start in flight or an active compute whose deadline has come.
  const watch = store.suspendWatch;
  for (const ep of [...watch.starting, ...watch.takeDue(now)]) {
    if (ep.deletedAt !== undefined || (ep.currentState !== 'active' && ep.pendingState !== 'active')) watch.forget(ep);
    else if (ep.currentState !== 'active' || ep.pendingState !== undefined) watch.watch(ep);
    else if (ep.suspendTimeoutSeconds === -1 || ep.lastActive === undefined) watch.forget(ep);
    else {
      const timeout = (ep.suspendTimeoutSeconds === 0 ? DEFAULT_SUSPEND_TIMEOUT_SECONDS : ep.suspendTimeoutSeconds) * 1000;
      const at = ep.lastActive + timeout;
      if (at > now) watch.schedule(ep, at);
      else {
        markSuspended(ep, at);
        watch.forget(ep);
      }
    }
  }
  // Neon deletes expired branches in a background job; here it happens at the next tick.
  const due = [...store.expiredButKept, ...store.expiry.takeDue(now)];
  if (due.length === 0) return;
  // In creation order, as a scan of all branches would visit them (a parent before its child).
  due.sort((a, b) => store.branches.positionOf(a.id) - store.branches.positionOf(b.id));
  for (const branch of due) {
    store.expiredButKept.delete(branch);
    if (branch.deletedAt !== undefined || branch.expiresAt === undefined) continue;
    const at = Date.parse(branch.expiresAt);
    if (at > now) {
      store.watchExpiry(branch);
      continue;
    }
    if (branch.isDefault || branch.isProtected || store.branchesOf(branch.projectId).some((b) => b.parentId === branch.id)) {
      store.expiredButKept.add(branch);
      continue;
    }
    tombstoneBranch(sim, branch, at);
  }
}

/** The live project, or 404. */
export function requireProject(sim: Simulation, projectId: string): ProjectRecord {
  const project = sim.store.liveProject(projectId);
  if (!project) throw notFound('project');
  return project;
}

/** The live project for a mutation: 404 when missing, 423 while it has operations in flight. */
export function requireMutableProject(sim: Simulation, projectId: string): ProjectRecord {
  const project = requireProject(sim, projectId);
  if (sim.engine.hasRunning(projectId)) throw locked();
  return project;
}

export function requireBranch(sim: Simulation, projectId: string, branchId: string): BranchRecord {
  const branch = sim.store.liveBranch(projectId, branchId);
  if (!branch) throw notFound('branch');
  return branch;
}

/** 404 for a resource created less than `visibilityLagMs` ago (Neon's read-after-create lag on GET). */
export function assertVisible(sim: Simulation, resource: { createdAt: number }, what: string): void {
  if (sim.visibilityLagMs > 0 && sim.now() - resource.createdAt < sim.visibilityLagMs) throw notFound(what);
}

export function requireEndpoint(sim: Simulation, projectId: string, endpointId: string): EndpointRecord {
  const ep = sim.store.liveEndpoint(projectId, endpointId);
  if (!ep) throw notFound('endpoint');
  return ep;
}

export interface NewBranchInput {
  name: string;
  parent?: BranchRecord;
  parentLsn?: string;
  parentTimestamp?: number;
  isDefault?: boolean;
  isProtected?: boolean;
  expiresAt?: string;
  annotations?: Record<string, string>;
  initSource?: string;
}

export function createBranchRecord(sim: Simulation, project: ProjectRecord, input: NewBranchInput): BranchRecord {
  const now = sim.now();
  const branch: BranchRecord = {
    id: sim.ids.branchId(),
    projectId: project.id,
    name: input.name,
    createdAt: now,
    updatedAt: now,
    stateChangedAt: now,
    currentState: 'init',
    pendingState: 'ready',
    isDefault: input.isDefault ?? false,
    isProtected: input.isProtected ?? false,
    annotations: { ...(input.annotations ?? {}) },
    initSource: input.initSource ?? 'parent-data',
    lsn: input.parent ? input.parent.lsn + 0x100 : 0x1_4e_c9_a8,
    ...(input.parent ? { parentId: input.parent.id, parentLsn: input.parentLsn ?? formatParentLsn(input.parent.lsn) } : {}),
    ...(input.parentTimestamp !== undefined ? { parentTimestamp: input.parentTimestamp } : {}),
    ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
  };
  sim.store.branches.set(branch.id, branch);
  if (branch.expiresAt !== undefined) sim.store.watchExpiry(branch);
  return branch;
}

function formatParentLsn(n: number): string {
  return `0/${n.toString(16).toUpperCase()}`;
}

/** The operation that makes a branch ready (or `failed`). */
export function createBranchOperation(branch: BranchRecord, action: Action = 'create_branch'): OperationSpec {
  return {
    action,
    branchId: branch.id,
    effect: (ok, at) => {
      delete branch.pendingState;
      if (branch.deletedAt !== undefined) return;
      branch.currentState = ok ? 'ready' : 'failed';
      branch.stateChangedAt = at;
      branch.updatedAt = at;
    },
  };
}

export interface NewEndpointInput {
  type: 'read_write' | 'read_only';
  name?: string;
  minCu?: number;
  maxCu?: number;
  suspendTimeoutSeconds?: number;
  provisioner?: string;
  settings?: Record<string, unknown>;
  disabled?: boolean;
  poolerEnabled?: boolean;
}

export function createEndpointRecord(sim: Simulation, project: ProjectRecord, branch: BranchRecord, input: NewEndpointInput): EndpointRecord {
  const now = sim.now();
  const defaults = project.defaultEndpointSettings;
  const ep: EndpointRecord = {
    id: sim.ids.endpointId(),
    projectId: project.id,
    branchId: branch.id,
    type: input.type,
    createdAt: now,
    updatedAt: now,
    currentState: 'init',
    minCu: input.minCu ?? defaults.autoscaling_limit_min_cu ?? DEFAULT_MIN_CU,
    maxCu: input.maxCu ?? defaults.autoscaling_limit_max_cu ?? DEFAULT_MAX_CU,
    suspendTimeoutSeconds: input.suspendTimeoutSeconds ?? defaults.suspend_timeout_seconds ?? 0,
    provisioner: input.provisioner ?? 'k8s-neonvm',
    disabled: input.disabled ?? false,
    poolerEnabled: input.poolerEnabled ?? false,
    settings: input.settings ?? { pg_settings: {} },
    activeIntervals: [],
    ...(input.name !== undefined ? { name: input.name } : {}),
  };
  sim.store.endpoints.set(ep.id, ep);
  return ep;
}

function markActive(ep: EndpointRecord, at: number): void {
  ep.currentState = 'active';
  ep.startedAt = at;
  ep.lastActive = at;
  ep.updatedAt = at;
  const open = ep.activeIntervals.at(-1);
  if (!open || open.end !== undefined) ep.activeIntervals.push({ start: at, cu: ep.minCu });
}

export function markSuspended(ep: EndpointRecord, at: number): void {
  ep.currentState = 'idle';
  ep.suspendedAt = at;
  ep.updatedAt = at;
  const open = ep.activeIntervals.at(-1);
  if (open && open.end === undefined) open.end = Math.max(open.start, at);
}

/** `start_compute`: `init`/`idle` → `active` (on failure the endpoint stays or becomes `idle`). */
export function startComputeOperation(sim: Simulation, ep: EndpointRecord): OperationSpec {
  ep.pendingState = 'active';
  sim.store.suspendWatch.watch(ep);
  return {
    action: 'start_compute',
    branchId: ep.branchId,
    endpointId: ep.id,
    effect: (ok, at) => {
      delete ep.pendingState;
      if (ep.deletedAt !== undefined) return;
      if (ok) markActive(ep, at);
      else {
        ep.currentState = 'idle';
        ep.updatedAt = at;
      }
    },
  };
}

/** `suspend_compute`: `active` → `idle` (on failure the endpoint stays as it was). */
export function suspendComputeOperation(ep: EndpointRecord): OperationSpec {
  ep.pendingState = 'idle';
  return {
    action: 'suspend_compute',
    branchId: ep.branchId,
    endpointId: ep.id,
    effect: (ok, at) => {
      // In a restart the pending state already says `active`; leave it for start_compute.
      if (ep.pendingState === 'idle') delete ep.pendingState;
      if (ep.deletedAt !== undefined) return;
      if (ok) markSuspended(ep, at);
    },
  };
}

/** `apply_config` on the branch's read_write compute, when it has one (roles, databases, settings). */
export function applyConfigOperations(sim: Simulation, branch: BranchRecord): OperationSpec[] {
  const ep = sim.store.endpointsOf(branch.projectId, branch.id).find((e) => e.type === 'read_write');
  if (!ep) return [];
  return [{ action: 'apply_config', branchId: branch.id, endpointId: ep.id }];
}

/** Ends an endpoint at once (closing its active interval) and leaves a tombstone. */
export function tombstoneEndpoint(ep: EndpointRecord, at: number): void {
  if (ep.currentState === 'active') markSuspended(ep, at);
  delete ep.pendingState;
  ep.deletedAt = at;
  ep.updatedAt = at;
}

export function createRoleRecord(sim: Simulation, branch: BranchRecord, name: string, opts: { isProtected?: boolean; noLogin?: boolean; password?: string } = {}): RoleRecord {
  const now = sim.now();
  const role: RoleRecord = {
    projectId: branch.projectId,
    branchId: branch.id,
    name,
    isProtected: opts.isProtected ?? false,
    noLogin: opts.noLogin ?? false,
    createdAt: now,
    updatedAt: now,
    ...(opts.noLogin ? {} : { password: opts.password ?? sim.ids.password() }),
  };
  sim.store.roles.set(`${branch.id}/${name}`, role);
  return role;
}

export function createDatabaseRecord(sim: Simulation, branch: BranchRecord, name: string, ownerName: string, countWrite = true): DatabaseRecord {
  const now = sim.now();
  const db: DatabaseRecord = {
    id: sim.ids.numeric(),
    projectId: branch.projectId,
    branchId: branch.id,
    name,
    ownerName,
    createdAt: now,
    updatedAt: now,
  };
  sim.store.databases.set(`${branch.id}/${name}`, db);
  if (countWrite) sim.store.addWrite({ projectId: branch.projectId, branchId: branch.id, at: now, bytes: NEW_DATABASE_BYTES });
  return db;
}

/**
 * A child branch starts with its parent's roles and databases (copy-on-write). Roles keep their
 * passwords, except on children of protected branches, which get new ones (as Neon does).
 */
export function inheritContents(sim: Simulation, parent: BranchRecord, child: BranchRecord): void {
  for (const role of sim.store.rolesOf(parent.id)) {
    createRoleRecord(sim, child, role.name, {
      isProtected: role.isProtected,
      noLogin: role.noLogin,
      ...(role.password !== undefined && !parent.isProtected ? { password: role.password } : {}),
    });
  }
  for (const db of sim.store.databasesOf(parent.id)) createDatabaseRecord(sim, child, db.name, db.ownerName, false);
}

/** Tombstones a branch and everything on it. */
export function tombstoneBranch(sim: Simulation, branch: BranchRecord, at: number): void {
  for (const ep of sim.store.endpointsOf(branch.projectId, branch.id)) tombstoneEndpoint(ep, at);
  for (const db of sim.store.databasesOf(branch.id)) db.deletedAt = at;
  for (const role of sim.store.rolesOf(branch.id)) role.deletedAt = at;
  branch.deletedAt = at;
  branch.updatedAt = at;
}
