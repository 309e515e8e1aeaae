import type {
  ApiKeyRecord,
  BranchRecord,
  DatabaseRecord,
  EndpointRecord,
  OperationRecord,
  PermissionRecord,
  ProjectRecord,
  RoleRecord,
  WriteEvent,
} from './records.js';
import { IndexedMap } from './indexed-map.js';
import { DeadlineHeap } from './deadline-heap.js';
import { SuspendWatch } from './suspend-watch.js';

const byProject = (r: { projectId: string }): string => r.projectId;
const byBranch = (r: { branchId: string }): string => r.branchId;

/**
 * All simulator state, in memory. Deleted resources stay as tombstones (`deletedAt`) so a
 * repeated DELETE can answer 204 like Neon does; readers use the `live*` helpers.
 *
 * Per-project records are grouped by project (and by branch for endpoints, databases and
 * roles) as they are set, so a request's lookups cost the size of its project, not of the
 * whole simulator (10,000 projects in the capacity bench).
 */
export class Store {
  readonly projects = new Map<string, ProjectRecord>();
  readonly branches = new IndexedMap<string, BranchRecord, 'project'>({ project: byProject });
  /** Moving an endpoint to another branch goes through `moveEndpoint` (keeps the branch index). */
  readonly endpoints = new IndexedMap<string, EndpointRecord, 'project' | 'branch'>({ project: byProject, branch: byBranch });
  /** Keyed by `${branchId}/${name}`; a re-created name replaces the tombstone. */
  readonly databases = new IndexedMap<string, DatabaseRecord, 'branch'>({ branch: byBranch });
  /** Keyed by `${branchId}/${name}`. */
  readonly roles = new IndexedMap<string, RoleRecord, 'branch'>({ branch: byBranch });
  readonly operations = new IndexedMap<string, OperationRecord, 'project'>({ project: byProject });
  /** Computes auto-suspend must look at; the per-request tick checks only these. */
  readonly suspendWatch = new SuspendWatch();
  /** Branches with an `expires_at`, by expiry time; file them through `watchExpiry`. */
  readonly expiry = new DeadlineHeap<BranchRecord>();
  /** Expired branches that could not be deleted yet (default, protected, with children): rechecked every tick. */
  readonly expiredButKept = new Set<BranchRecord>();
  readonly apiKeys = new Map<number, ApiKeyRecord>();
  readonly permissions = new Map<string, PermissionRecord>();
  /** Every write in order (the state dump); add through `addWrite` so `writesOf` sees it. */
  readonly writes: WriteEvent[] = [];
  private readonly writesByProject = new Map<string, WriteEvent[]>();

  liveProject(id: string): ProjectRecord | undefined {
    const p = this.projects.get(id);
    return p && p.deletedAt === undefined ? p : undefined;
  }

  liveProjects(): ProjectRecord[] {
    return [...this.projects.values()].filter((p) => p.deletedAt === undefined);
  }

  liveBranch(projectId: string, branchId: string): BranchRecord | undefined {
    const b = this.branches.get(branchId);
    return b && b.projectId === projectId && b.deletedAt === undefined ? b : undefined;
  }

  branchesOf(projectId: string): BranchRecord[] {
    return [...this.branches.group('project', projectId)].filter((b) => b.deletedAt === undefined);
  }

  /** The project's branches, tombstones included. */
  allBranchesOf(projectId: string): IterableIterator<BranchRecord> {
    return this.branches.group('project', projectId);
  }

  defaultBranch(projectId: string): BranchRecord | undefined {
    return this.branchesOf(projectId).find((b) => b.isDefault);
  }

  liveEndpoint(projectId: string, endpointId: string): EndpointRecord | undefined {
    const e = this.endpoints.get(endpointId);
    return e && e.projectId === projectId && e.deletedAt === undefined ? e : undefined;
  }

  endpointsOf(projectId: string, branchId?: string): EndpointRecord[] {
    const candidates = branchId === undefined ? this.endpoints.group('project', projectId) : this.endpoints.group('branch', branchId);
    return [...candidates].filter((e) => e.projectId === projectId && e.deletedAt === undefined);
  }

  /** The project's endpoints, tombstones included. */
  allEndpointsOf(projectId: string): IterableIterator<EndpointRecord> {
    return this.endpoints.group('project', projectId);
  }

  /** Moves an endpoint to another branch of its project, keeping the branch index right. */
  moveEndpoint(ep: EndpointRecord, branchId: string): void {
    ep.branchId = branchId;
    this.endpoints.regroup(ep.id);
  }

  liveDatabase(branchId: string, name: string): DatabaseRecord | undefined {
    const d = this.databases.get(`${branchId}/${name}`);
    return d && d.deletedAt === undefined ? d : undefined;
  }

  databasesOf(branchId: string): DatabaseRecord[] {
    return [...this.databases.group('branch', branchId)].filter((d) => d.deletedAt === undefined);
  }

  liveRole(branchId: string, name: string): RoleRecord | undefined {
    const r = this.roles.get(`${branchId}/${name}`);
    return r && r.deletedAt === undefined ? r : undefined;
  }

  rolesOf(branchId: string): RoleRecord[] {
    return [...this.roles.group('branch', branchId)].filter((r) => r.deletedAt === undefined);
  }

  operationsOf(projectId: string): OperationRecord[] {
    return [...this.operations.group('project', projectId)];
  }

  /** (Re)files a branch whose `expires_at` was set, changed or removed. */
  watchExpiry(branch: BranchRecord): void {
    this.expiredButKept.delete(branch);
    if (branch.expiresAt === undefined) {
      this.expiry.forget(branch);
      return;
    }
    const at = Date.parse(branch.expiresAt);
    this.expiry.schedule(branch, Number.isNaN(at) ? Number.NEGATIVE_INFINITY : at);
  }

  addWrite(write: WriteEvent): void {
    this.writes.push(write);
    const list = this.writesByProject.get(write.projectId);
    if (list) list.push(write);
    else this.writesByProject.set(write.projectId, [write]);
  }

  /** The project's writes, oldest first. */
  writesOf(projectId: string): readonly WriteEvent[] {
    return this.writesByProject.get(projectId) ?? [];
  }

  clear(): void {
    this.projects.clear();
    this.branches.clear();
    this.endpoints.clear();
    this.databases.clear();
    this.roles.clear();
    this.operations.clear();
    this.apiKeys.clear();
    this.permissions.clear();
    this.suspendWatch.clear();
    this.expiry.clear();
    this.expiredButKept.clear();
    this.writes.length = 0;
    this.writesByProject.clear();
  }
}
