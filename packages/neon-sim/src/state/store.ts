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

/**
 * All simulator state, in memory. Deleted resources stay as tombstones (`deletedAt`) so a
 * repeated DELETE can answer 204 like Neon does; readers use the `live*` helpers.
 */
export class Store {
  readonly projects = new Map<string, ProjectRecord>();
  readonly branches = new Map<string, BranchRecord>();
  readonly endpoints = new Map<string, EndpointRecord>();
  /** Keyed by `${branchId}/${name}`; a re-created name replaces the tombstone. */
  readonly databases = new Map<string, DatabaseRecord>();
  /** Keyed by `${branchId}/${name}`. */
  readonly roles = new Map<string, RoleRecord>();
  readonly operations = new Map<string, OperationRecord>();
  readonly apiKeys = new Map<number, ApiKeyRecord>();
  readonly permissions = new Map<string, PermissionRecord>();
  readonly writes: WriteEvent[] = [];

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
    return [...this.branches.values()].filter((b) => b.projectId === projectId && b.deletedAt === undefined);
  }

  defaultBranch(projectId: string): BranchRecord | undefined {
    return this.branchesOf(projectId).find((b) => b.isDefault);
  }

  liveEndpoint(projectId: string, endpointId: string): EndpointRecord | undefined {
    const e = this.endpoints.get(endpointId);
    return e && e.projectId === projectId && e.deletedAt === undefined ? e : undefined;
  }

  endpointsOf(projectId: string, branchId?: string): EndpointRecord[] {
    return [...this.endpoints.values()].filter(
      (e) => e.projectId === projectId && e.deletedAt === undefined && (branchId === undefined || e.branchId === branchId),
    );
  }

  liveDatabase(branchId: string, name: string): DatabaseRecord | undefined {
    const d = this.databases.get(`${branchId}/${name}`);
    return d && d.deletedAt === undefined ? d : undefined;
  }

  databasesOf(branchId: string): DatabaseRecord[] {
    return [...this.databases.values()].filter((d) => d.branchId === branchId && d.deletedAt === undefined);
  }

  liveRole(branchId: string, name: string): RoleRecord | undefined {
    const r = this.roles.get(`${branchId}/${name}`);
    return r && r.deletedAt === undefined ? r : undefined;
  }

  rolesOf(branchId: string): RoleRecord[] {
    return [...this.roles.values()].filter((r) => r.branchId === branchId && r.deletedAt === undefined);
  }

  operationsOf(projectId: string): OperationRecord[] {
    return [...this.operations.values()].filter((o) => o.projectId === projectId);
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
    this.writes.length = 0;
  }
}
