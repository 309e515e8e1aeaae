import type { BranchSummary, DatabaseSummary, EndpointSummary, ProjectSummary, RoleSummary } from '@neonops/intents';
import type { Branch, Database, Endpoint, Project, ProjectListItem, Role } from '@neonops/neon-client';

/** Neon objects → the stable camelCase summaries of intent results (no secrets). */

export function projectSummary(p: Project | ProjectListItem): ProjectSummary {
  return { id: p.id, name: p.name, regionId: p.region_id, pgVersion: p.pg_version, createdAt: p.created_at };
}

export function branchSummary(b: Branch): BranchSummary {
  return {
    id: b.id,
    projectId: b.project_id,
    name: b.name,
    ...(b.parent_id ? { parentId: b.parent_id } : {}),
    ...(b.parent_lsn ? { parentLsn: b.parent_lsn } : {}),
    ...(b.parent_timestamp ? { parentTimestamp: b.parent_timestamp } : {}),
    default: b.default,
    protected: b.protected,
    ...(b.expires_at ? { expiresAt: b.expires_at } : {}),
    currentState: String(b.current_state),
    createdAt: b.created_at,
  };
}

export function endpointSummary(e: Endpoint): EndpointSummary {
  return {
    id: e.id,
    projectId: e.project_id,
    branchId: e.branch_id,
    type: String(e.type),
    host: e.host,
    currentState: String(e.current_state),
    autoscalingLimitMinCu: e.autoscaling_limit_min_cu,
    autoscalingLimitMaxCu: e.autoscaling_limit_max_cu,
    suspendTimeoutSeconds: e.suspend_timeout_seconds,
    disabled: e.disabled,
  };
}

/**
 * A resource of a mutation's response as it is once the mutation's operations finished:
 * Neon reports the state it is heading for in `pending_state` (a new branch `init` → `ready`,
 * a started compute `init`/`idle` → `active`) and nothing else of the summary changes, so a
 * result built from the response after the operations succeeded needs no read-back.
 */
export function settledBranchSummary(b: Branch): BranchSummary {
  return { ...branchSummary(b), ...(b.pending_state ? { currentState: String(b.pending_state) } : {}) };
}

/** See {@link settledBranchSummary}: the endpoint's `pending_state` once its operations finished. */
export function settledEndpointSummary(e: Endpoint): EndpointSummary {
  return { ...endpointSummary(e), ...(e.pending_state ? { currentState: String(e.pending_state) } : {}) };
}

export function databaseSummary(d: Database): DatabaseSummary {
  return { id: d.id, branchId: d.branch_id, name: d.name, ownerName: d.owner_name };
}

export function roleSummary(r: Role): RoleSummary {
  return { branchId: r.branch_id, name: r.name, ...(r.protected === undefined ? {} : { protected: r.protected }) };
}
