import type { Budget, BudgetPeriod } from '@neonops/durable-store';
import type { IntentActor, IntentRecord, IntentRequest } from '@neonops/intents';
import type { NeonClient } from '@neonops/neon-client';
import type { Team } from '@neonops/teams';
import type { Logger } from 'pino';

/** The part of the shared submitter enforcement uses (`IntentSubmitter` in `@neonops/intents`). */
export interface EnforcementSubmitter {
  submit(team: Team, request: IntentRequest, options: { dedupe: { key: string; ttlMs: number }; actor?: IntentActor }): Promise<{ intent: IntentRecord; created: boolean }>;
}

export interface EnforceDeps {
  neon: NeonClient;
  submitter: EnforcementSubmitter;
  /** The team's projects (teams file plus those its intents created). */
  projectsOf(team: Team): Promise<string[]>;
  logger: Logger;
  /** How long a suspension's dedupe key outlives the period, in ms. Default 7 days. */
  dedupeMarginMs?: number;
}

/** One compute enforcement asked to suspend (or found already asked). */
export interface Suspension {
  projectId: string;
  endpointId: string;
  intentId: string;
  /** False when this period's suspension of the endpoint had been submitted before. */
  created: boolean;
}

/** What one enforcement did, and what it left alone. */
export interface EnforcementReport {
  suspensions: Suspension[];
  /** Endpoints on protected branches (never suspended). */
  protectedEndpoints: string[];
  /** Endpoints already idle (suspended): nothing to do. */
  idleEndpoints: string[];
}

/**
 * A team at 100 % of an enforced budget: every compute of its projects that runs on a
 * non-protected branch gets an `endpoint.suspend` intent through the shared submit path
 * (rights, store, queue). The dedupe key `budget:<period>:<endpointId>` lasts until the end
 * of the period plus a margin, so a retried or repeated tick — any worker, after any crash —
 * never submits a second suspension of the same endpoint in the same period; a compute the
 * team starts again on purpose after the suspension is left running.
 */
export async function enforceBudget(deps: EnforceDeps, team: Team, budget: Budget, period: BudgetPeriod, now: Date): Promise<EnforcementReport> {
  const report: EnforcementReport = { suspensions: [], protectedEndpoints: [], idleEndpoints: [] };
  const ttlMs = Math.max(1, period.end.getTime() - now.getTime()) + (deps.dedupeMarginMs ?? 7 * 86_400_000);
  for (const projectId of await deps.projectsOf(team)) {
    const protectedBranches = new Set<string>();
    for await (const branch of deps.neon.listBranches(projectId)) if (branch.protected) protectedBranches.add(branch.id);
    const { endpoints } = await deps.neon.listEndpoints(projectId);
    for (const endpoint of endpoints) {
      if (protectedBranches.has(endpoint.branch_id)) {
        report.protectedEndpoints.push(endpoint.id);
        continue;
      }
      if (endpoint.current_state === 'idle') {
        report.idleEndpoints.push(endpoint.id);
        continue;
      }
      const { intent, created } = await deps.submitter.submit(
        team,
        { kind: 'endpoint.suspend', params: { projectId, endpointId: endpoint.id } },
        { dedupe: { key: `budget:${period.id}:${endpoint.id}`, ttlMs }, actor: { type: 'budget', id: period.id } },
      );
      report.suspensions.push({ projectId, endpointId: endpoint.id, intentId: intent.id, created });
    }
  }
  const made = report.suspensions.filter((s) => s.created).length;
  if (made > 0) deps.logger.warn({ teamId: team.id, period: period.id, budget: budget.amount, unit: budget.unit, suspensions: made }, 'budget reached: suspending the team’s computes');
  return report;
}
