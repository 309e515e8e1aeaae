/**
 * Internal records. They hold what the simulator needs; the OpenAPI-shaped bodies are built
 * from them in http/serialize.ts, where the compiler checks every field against Neon's types.
 * Times are epoch milliseconds.
 */

export interface ProjectRecord {
  id: string;
  name: string;
  regionId: string;
  pgVersion: number;
  createdAt: number;
  updatedAt: number;
  historyRetentionSeconds: number;
  storePasswords: boolean;
  orgId?: string;
  settings: Record<string, unknown>;
  defaultEndpointSettings: { autoscaling_limit_min_cu?: number; autoscaling_limit_max_cu?: number; suspend_timeout_seconds?: number };
  deletedAt?: number;
}

export interface BranchRecord {
  id: string;
  projectId: string;
  name: string;
  parentId?: string;
  parentLsn?: string;
  parentTimestamp?: number;
  createdAt: number;
  updatedAt: number;
  stateChangedAt: number;
  /** `init` until create_branch finishes, then `ready`; `failed` when create_branch failed. */
  currentState: string;
  pendingState?: string;
  isDefault: boolean;
  isProtected: boolean;
  expiresAt?: string;
  annotations: Record<string, string>;
  initSource: string;
  lastResetAt?: number;
  restoredFrom?: string;
  /** A monotonically growing fake LSN (bytes written to the timeline). */
  lsn: number;
  deletedAt?: number;
}

export interface ActiveInterval {
  start: number;
  end?: number;
  cu: number;
}

export interface EndpointRecord {
  id: string;
  projectId: string;
  branchId: string;
  name?: string;
  type: 'read_write' | 'read_only';
  createdAt: number;
  updatedAt: number;
  currentState: 'init' | 'active' | 'idle';
  pendingState?: 'init' | 'active' | 'idle';
  minCu: number;
  maxCu: number;
  suspendTimeoutSeconds: number;
  provisioner: string;
  disabled: boolean;
  poolerEnabled: boolean;
  settings: Record<string, unknown>;
  startedAt?: number;
  suspendedAt?: number;
  lastActive?: number;
  /** Periods the compute ran, for consumption. */
  activeIntervals: ActiveInterval[];
  deletedAt?: number;
}

export interface DatabaseRecord {
  id: number;
  projectId: string;
  branchId: string;
  name: string;
  ownerName: string;
  createdAt: number;
  updatedAt: number;
  deletedAt?: number;
}

export interface RoleRecord {
  projectId: string;
  branchId: string;
  name: string;
  password?: string;
  isProtected: boolean;
  noLogin: boolean;
  createdAt: number;
  updatedAt: number;
  deletedAt?: number;
}

export type OperationStatus = 'scheduling' | 'running' | 'finished' | 'failed' | 'cancelled';

export interface OperationRecord {
  id: string;
  projectId: string;
  branchId?: string;
  endpointId?: string;
  action: string;
  createdAt: number;
  updatedAt: number;
  /** When the operation leaves `scheduling`. */
  runsAt: number;
  /** When it reaches its terminal status. */
  endsAt: number;
  /** Decided at creation (seeded), revealed at `endsAt`. */
  willFail: boolean;
  status: OperationStatus;
  error?: string;
  failuresCount: number;
}

export interface ApiKeyRecord {
  id: number;
  name: string;
  token: string;
  createdAt: number;
  createdBy: string;
  lastUsedAt?: number;
  lastUsedFromAddr: string;
  revoked: boolean;
}

/** Bytes written to a branch at a time, for consumption (written data, storage). */
export interface WriteEvent {
  projectId: string;
  branchId: string;
  at: number;
  bytes: number;
}

export interface PermissionRecord {
  id: string;
  projectId: string;
  email: string;
  grantedAt: number;
  revokedAt?: number;
}
