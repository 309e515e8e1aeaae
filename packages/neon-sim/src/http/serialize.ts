import type { components } from '@neonops/neon-client/openapi-types';
import type { ConsumptionMeter } from '../behaviour/consumption.js';
import type {
  ApiKeyRecord,
  BranchRecord,
  DatabaseRecord,
  EndpointRecord,
  OperationRecord,
  ProjectRecord,
  RoleRecord,
} from '../state/records.js';

type S = components['schemas'];

/** RFC 3339 with second precision, as Neon writes its timestamps. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `aws-us-east-2` → `us-east-2.aws.neon.tech`. */
export function proxyHost(regionId: string): string {
  const dash = regionId.indexOf('-');
  if (dash < 0) return `${regionId}.neon.tech`;
  return `${regionId.slice(dash + 1)}.${regionId.slice(0, dash)}.neon.tech`;
}

export function endpointHost(ep: { id: string }, regionId: string, pooled = false): string {
  return `${ep.id}${pooled ? '-pooler' : ''}.${proxyHost(regionId)}`;
}

export function connectionUri(role: RoleRecord, password: string, database: string, host: string): string {
  return `postgresql://${encodeURIComponent(role.name)}:${encodeURIComponent(password)}@${host}/${encodeURIComponent(database)}?sslmode=require`;
}

/** The first day of the month containing `now` and of the next month (Neon's consumption period). */
export function consumptionPeriod(now: number): { start: number; end: number } {
  const d = new Date(now);
  return { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

/** Fake LSNs shaped like Postgres's `X/XXXXXXX`. */
export function formatLsn(n: number): string {
  const hi = Math.floor(n / 2 ** 32);
  const lo = n % 2 ** 32;
  return `${hi.toString(16).toUpperCase()}/${lo.toString(16).toUpperCase()}`;
}

export const OWNER_ID = 'sim-user-0000';

export class Serializer {
  constructor(
    private readonly meter: ConsumptionMeter,
    private readonly now: () => number,
  ) {}

  project(p: ProjectRecord): S['Project'] {
    const now = this.now();
    const period = consumptionPeriod(now);
    const usage = this.meter.usage(p.id, period.start, period.end, now);
    const storage = this.meter.storageAt(p.id, now, now);
    return {
      id: p.id,
      platform_id: p.regionId.split('-')[0] ?? 'aws',
      region_id: p.regionId,
      name: p.name,
      provisioner: 'k8s-neonvm',
      default_endpoint_settings: { ...p.defaultEndpointSettings },
      settings: structuredClone(p.settings) as S['ProjectSettingsData'],
      pg_version: p.pgVersion,
      proxy_host: proxyHost(p.regionId),
      branch_logical_size_limit: 0,
      branch_logical_size_limit_bytes: -1,
      store_passwords: p.storePasswords,
      creation_source: 'console',
      history_retention_seconds: p.historyRetentionSeconds,
      created_at: iso(p.createdAt),
      updated_at: iso(p.updatedAt),
      synthetic_storage_size: storage.rootBytes + storage.childBytes,
      consumption_period_start: iso(period.start),
      consumption_period_end: iso(period.end),
      active_time_seconds: usage.activeSeconds,
      compute_time_seconds: usage.computeUnitSeconds,
      cpu_used_sec: usage.computeUnitSeconds,
      written_data_bytes: usage.writtenBytes,
      data_transfer_bytes: usage.transferBytes,
      data_storage_bytes_hour: 0,
      owner_id: OWNER_ID,
      ...(p.orgId !== undefined ? { org_id: p.orgId } : {}),
    };
  }

  projectListItem(p: ProjectRecord): S['ProjectListItem'] {
    const full = this.project(p);
    return {
      id: full.id,
      platform_id: full.platform_id,
      region_id: full.region_id,
      name: full.name,
      provisioner: full.provisioner,
      ...(full.default_endpoint_settings ? { default_endpoint_settings: full.default_endpoint_settings } : {}),
      ...(full.settings ? { settings: full.settings } : {}),
      pg_version: full.pg_version,
      proxy_host: full.proxy_host,
      branch_logical_size_limit: full.branch_logical_size_limit,
      branch_logical_size_limit_bytes: full.branch_logical_size_limit_bytes,
      store_passwords: full.store_passwords,
      active_time: full.active_time_seconds,
      cpu_used_sec: full.cpu_used_sec,
      creation_source: full.creation_source,
      created_at: full.created_at,
      updated_at: full.updated_at,
      ...(full.synthetic_storage_size !== undefined ? { synthetic_storage_size: full.synthetic_storage_size } : {}),
      owner_id: full.owner_id,
      history_retention_seconds: full.history_retention_seconds,
      ...(full.org_id !== undefined ? { org_id: full.org_id } : {}),
    };
  }

  branch(b: BranchRecord): S['Branch'] {
    const now = this.now();
    const period = consumptionPeriod(now);
    const usage = this.meter.usage(b.projectId, period.start, period.end, now, b.id);
    return {
      id: b.id,
      project_id: b.projectId,
      ...(b.parentId !== undefined ? { parent_id: b.parentId } : {}),
      ...(b.parentLsn !== undefined ? { parent_lsn: b.parentLsn } : {}),
      ...(b.parentTimestamp !== undefined ? { parent_timestamp: iso(b.parentTimestamp) } : {}),
      name: b.name,
      current_state: b.currentState,
      ...(b.pendingState !== undefined ? { pending_state: b.pendingState } : {}),
      state_changed_at: iso(b.stateChangedAt),
      logical_size: 30 * 1024 * 1024,
      creation_source: 'console',
      primary: b.isDefault,
      default: b.isDefault,
      protected: b.isProtected,
      cpu_used_sec: usage.computeUnitSeconds,
      compute_time_seconds: usage.computeUnitSeconds,
      active_time_seconds: usage.activeSeconds,
      written_data_bytes: usage.writtenBytes,
      data_transfer_bytes: usage.transferBytes,
      created_at: iso(b.createdAt),
      updated_at: iso(b.updatedAt),
      ...(b.expiresAt !== undefined
        ? { expires_at: b.expiresAt, ttl_interval_seconds: Math.max(0, Math.round((Date.parse(b.expiresAt) - b.createdAt) / 1000)) }
        : {}),
      ...(b.lastResetAt !== undefined ? { last_reset_at: iso(b.lastResetAt) } : {}),
      ...(b.restoredFrom !== undefined ? { restored_from: b.restoredFrom } : {}),
      init_source: b.initSource,
    };
  }

  annotation(b: BranchRecord): S['AnnotationData'] {
    return {
      object: { type: 'console/branch', id: b.id },
      value: { ...b.annotations },
      created_at: iso(b.createdAt),
      updated_at: iso(b.updatedAt),
    };
  }

  endpoint(e: EndpointRecord, regionId: string): S['Endpoint'] {
    return {
      host: endpointHost(e, regionId),
      id: e.id,
      ...(e.name !== undefined ? { name: e.name } : {}),
      project_id: e.projectId,
      branch_id: e.branchId,
      autoscaling_limit_min_cu: e.minCu,
      autoscaling_limit_max_cu: e.maxCu,
      region_id: regionId,
      type: e.type,
      current_state: e.currentState,
      ...(e.pendingState !== undefined ? { pending_state: e.pendingState } : {}),
      settings: structuredClone(e.settings) as S['EndpointSettingsData'],
      pooler_enabled: e.poolerEnabled,
      pooler_mode: 'transaction',
      disabled: e.disabled,
      passwordless_access: true,
      ...(e.lastActive !== undefined ? { last_active: iso(e.lastActive) } : {}),
      creation_source: 'console',
      created_at: iso(e.createdAt),
      updated_at: iso(e.updatedAt),
      ...(e.startedAt !== undefined ? { started_at: iso(e.startedAt) } : {}),
      ...(e.suspendedAt !== undefined ? { suspended_at: iso(e.suspendedAt) } : {}),
      proxy_host: proxyHost(regionId),
      suspend_timeout_seconds: e.suspendTimeoutSeconds,
      provisioner: e.provisioner,
    };
  }

  database(d: DatabaseRecord): S['Database'] {
    return {
      id: d.id,
      branch_id: d.branchId,
      name: d.name,
      owner_name: d.ownerName,
      created_at: iso(d.createdAt),
      updated_at: iso(d.updatedAt),
    };
  }

  /** A role; the password only where Neon shows it (right after create or reset). */
  role(r: RoleRecord, withPassword = false): S['Role'] {
    return {
      branch_id: r.branchId,
      name: r.name,
      ...(withPassword && r.password !== undefined ? { password: r.password } : {}),
      protected: r.isProtected,
      authentication_method: r.noLogin ? 'no_login' : 'password',
      created_at: iso(r.createdAt),
      updated_at: iso(r.updatedAt),
    };
  }

  operation(o: OperationRecord): S['Operation'] {
    const end = o.status === 'scheduling' || o.status === 'running' ? this.now() : o.updatedAt;
    return {
      id: o.id,
      project_id: o.projectId,
      ...(o.branchId !== undefined ? { branch_id: o.branchId } : {}),
      ...(o.endpointId !== undefined ? { endpoint_id: o.endpointId } : {}),
      action: o.action as S['OperationAction'],
      status: o.status,
      ...(o.error !== undefined ? { error: o.error } : {}),
      failures_count: o.failuresCount,
      created_at: iso(o.createdAt),
      updated_at: iso(o.updatedAt),
      total_duration_ms: Math.max(0, Math.round(end - o.createdAt)),
    };
  }

  apiKey(k: ApiKeyRecord): S['ApiKeysListResponseItem'] {
    return {
      id: k.id,
      name: k.name,
      created_at: iso(k.createdAt),
      created_by: { id: k.createdBy, name: 'Simulated User', image: '' },
      last_used_at: k.lastUsedAt !== undefined ? iso(k.lastUsedAt) : null,
      last_used_from_addr: k.lastUsedFromAddr,
    };
  }
}
