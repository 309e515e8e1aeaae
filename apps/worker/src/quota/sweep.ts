import { branchNameMatcher, quotaFindingKey, type IntentHistory, type NewQuotaFinding, type QuotaFinding, type QuotaStore } from '@neonops/durable-store';
import { isTerminalStatus, type IntentActor, type IntentRecord, type IntentRequest, type IntentStore } from '@neonops/intents';
import type { Branch, Endpoint, NeonClient } from '@neonops/neon-client';
import type { Team } from '@neonops/teams';
import type { Logger } from 'pino';
import { INTENT_ANNOTATION, PREVIEW_ANNOTATION } from '../reconcile/annotation.js';

/** The part of the shared submitter the sweep uses (`IntentSubmitter` in `@neonops/intents`). */
export interface QuotaSubmitter {
  submit(team: Team, request: IntentRequest, options: { dedupe: { key: string; ttlMs: number }; actor?: IntentActor }): Promise<{ intent: IntentRecord; created: boolean }>;
}

export interface QuotaSweepDeps {
  quota: Pick<QuotaStore, 'getPolicy' | 'record' | 'setIntent'>;
  /** The teams to sweep (the teams file). */
  teams: () => readonly Team[];
  /** A team's projects (teams file plus those its intents created). */
  projectsOf(team: Team): Promise<string[]>;
  neon: NeonClient;
  /** Tells whether the intent named in a branch's annotation is still live. */
  intents: Pick<IntentStore, 'get'>;
  /** Ended intents Redis no longer has. Default: none (a branch whose intent record expired is not a leftover). */
  history?: Pick<IntentHistory, 'get'>;
  submitter: QuotaSubmitter;
  /** The plan's branch limit per project (`QUOTA_BRANCH_LIMIT`). */
  branchLimit: number;
  logger: Logger;
  /** How long a deletion's dedupe key lives, in ms. Default 30 days. */
  dedupeTtlMs?: number;
  now?: () => Date;
}

/** What one sweep of one team found and did. */
export interface TeamQuotaSweep {
  teamId: string;
  mode: 'dry_run' | 'act';
  /** The team's open findings after this sweep. */
  findings: QuotaFinding[];
  /** Deletions submitted by this sweep (`act` only): finding key → intent id. */
  submitted: Record<string, string>;
  error?: string;
}

/** Findings the sweep may act on (a `branch.delete`); `branch_limit` is only reported. */
const ACTIONABLE = new Set(['expired_branch', 'idle_branch', 'failed_intent_leftover']);

/**
 * One quota sweep: for every team of the teams file and every project of the team, the
 * branches (with their annotations) and computes from Neon, and these findings:
 * - `expired_branch`: past its `expires_at` and still there;
 * - `failed_intent_leftover`: annotated with an intent of ours that ended `failed` or
 *   `cancelled` (its resources kept), none live;
 * - `idle_branch`: a branch our intents made (annotated: previews included), or a scratch
 *   branch (its name matches one of the team's `scratchBranches` patterns), whose computes
 *   show no activity (`last_active`, else `updated_at`; the branch's own when it has none)
 *   for longer than the team's `idleHours`;
 * - `branch_limit`: a project at `branchLimitRatio` of the plan's branch limit (report only).
 * Default and protected branches are never findings. The team's findings are recorded
 * (`QuotaStore.record`); with the team's policy `act`, each actionable finding without an
 * intent gets one `branch.delete` through the shared submit path, with the dedupe key
 * `quota:<finding key>`: a sweep that died between the submit and recording it finds the
 * same intent again, so a finding is never acted on twice.
 */
export async function runQuotaSweep(deps: QuotaSweepDeps): Promise<TeamQuotaSweep[]> {
  const now = (deps.now ?? (() => new Date()))();
  const out: TeamQuotaSweep[] = [];
  for (const team of deps.teams()) {
    try {
      out.push(await sweepTeam(deps, team, now));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      deps.logger.error({ teamId: team.id, err: { message } }, 'quota sweep of a team failed; the next sweep tries again');
      out.push({ teamId: team.id, mode: 'dry_run', findings: [], submitted: {}, error: message });
    }
  }
  return out;
}

async function sweepTeam(deps: QuotaSweepDeps, team: Team, now: Date): Promise<TeamQuotaSweep> {
  const policy = await deps.quota.getPolicy(team.id);
  const idle = { hours: policy.idleHours, isScratch: branchNameMatcher(policy.scratchBranches) };
  const found: NewQuotaFinding[] = [];
  for (const projectId of await deps.projectsOf(team)) {
    const branches = await listBranchesWithAnnotations(deps.neon, projectId);
    const { endpoints } = await deps.neon.listEndpoints(projectId);
    if (branches.length >= policy.branchLimitRatio * deps.branchLimit) {
      found.push({ key: quotaFindingKey('branch_limit', projectId), kind: 'branch_limit', projectId, detail: { branches: branches.length, limit: deps.branchLimit } });
    }
    for (const { branch, annotations } of branches) {
      if (branch.default || branch.protected) continue;
      const finding = await branchFinding(deps, { branch, annotations, endpoints: endpoints.filter((e) => e.branch_id === branch.id) }, team, idle, now);
      if (finding) found.push({ ...finding, key: quotaFindingKey(finding.kind, projectId, branch.id), projectId, branchId: branch.id });
    }
  }
  const findings = await deps.quota.record(team.id, found, now);
  const submitted: Record<string, string> = {};
  if (policy.mode === 'act') {
    for (const finding of findings) {
      if (!ACTIONABLE.has(finding.kind) || finding.intentId !== undefined || finding.branchId === undefined) continue;
      const { intent, created } = await deps.submitter.submit(
        team,
        { kind: 'branch.delete', params: { projectId: finding.projectId, branchId: finding.branchId } },
        { dedupe: { key: `quota:${finding.key}`, ttlMs: deps.dedupeTtlMs ?? 30 * 86_400_000 }, actor: { type: 'quota', id: finding.key } },
      );
      finding.intentId = await deps.quota.setIntent(team.id, finding.key, intent.id);
      if (created) submitted[finding.key] = intent.id;
    }
  }
  if (findings.length > 0) deps.logger.info({ teamId: team.id, mode: policy.mode, findings: findings.length, submitted: Object.keys(submitted).length }, 'quota sweep');
  return { teamId: team.id, mode: policy.mode, findings, submitted };
}

async function branchFinding(
  deps: QuotaSweepDeps,
  b: { branch: Branch; annotations: Record<string, string>; endpoints: Endpoint[] },
  team: Team,
  idle: { hours: number; isScratch: (name: string) => boolean },
  now: Date,
): Promise<Pick<NewQuotaFinding, 'kind' | 'detail'> | undefined> {
  const { branch, annotations, endpoints } = b;
  const name = branch.name;
  if (branch.expires_at && Date.parse(branch.expires_at) <= now.getTime()) return { kind: 'expired_branch', detail: { name, expiresAt: branch.expires_at } };
  const intentId = annotations[INTENT_ANNOTATION];
  if (intentId) {
    const ended = await endedStatus(deps, team.id, intentId);
    if (ended === 'failed' || ended === 'cancelled') return { kind: 'failed_intent_leftover', detail: { name, intentId, intentStatus: ended } };
    if (ended === 'live') return undefined; // its intent still works on it
  }
  // Ours (an intent's or a preview's annotation), else a scratch branch by the team's name patterns.
  const origin = intentId || annotations[PREVIEW_ANNOTATION] ? 'service' : idle.isScratch(name) ? 'scratch' : undefined;
  if (origin) {
    const activity = lastActivity(branch, endpoints);
    if (activity !== undefined && now.getTime() - activity >= idle.hours * 3_600_000) {
      return { kind: 'idle_branch', detail: { name, origin, lastActivityAt: new Date(activity).toISOString(), idleHours: idle.hours } };
    }
  }
  return undefined;
}

/** `live` while the intent is unfinished; its terminal status; undefined when no store knows it. */
async function endedStatus(deps: QuotaSweepDeps, teamId: string, intentId: string): Promise<'live' | 'succeeded' | 'failed' | 'cancelled' | undefined> {
  const record = await deps.intents.get(intentId);
  if (record && record.teamId === teamId) return isTerminalStatus(record.status) ? (record.status as 'succeeded' | 'failed' | 'cancelled') : 'live';
  const archived = await deps.history?.get(teamId, intentId);
  return archived && isTerminalStatus(archived.status) ? (archived.status as 'succeeded' | 'failed' | 'cancelled') : undefined;
}

/** The latest activity of a branch's computes (`last_active`, else `updated_at`), else the branch's own `updated_at`. */
function lastActivity(branch: Branch, endpoints: Endpoint[]): number | undefined {
  const times = endpoints.map((e) => Date.parse(e.last_active ?? e.updated_at)).filter((t) => Number.isFinite(t));
  if (times.length > 0) return Math.max(...times);
  const own = Date.parse(branch.updated_at);
  return Number.isFinite(own) ? own : undefined;
}

/** Every branch of a project with its annotation (list pages carry an `annotations` map by branch id). */
async function listBranchesWithAnnotations(neon: NeonClient, projectId: string): Promise<{ branch: Branch; annotations: Record<string, string> }[]> {
  const out: { branch: Branch; annotations: Record<string, string> }[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const res = await neon.listBranchesPage(projectId, cursor ? { cursor } : {});
    const annotations = (res as { annotations?: Record<string, { value?: Record<string, string> }> }).annotations ?? {};
    for (const branch of res.branches) out.push({ branch, annotations: annotations[branch.id]?.value ?? {} });
    cursor = res.pagination?.next;
    if (!cursor || res.branches.length === 0) break;
  }
  return out;
}
