import { sql } from 'kysely';
import { z } from 'zod';
import type { DurableDatabase } from './database.js';

/** `dry_run`: the quota sweep only reports; `act`: it also deletes what it found, each deletion an intent. */
export const quotaModeSchema = z.enum(['dry_run', 'act']);
export type QuotaMode = z.infer<typeof quotaModeSchema>;

/**
 * A branch-name pattern: `*` matches any run of characters (`/` included), every other
 * character itself, the whole name (`dev/*`, `*-scratch`, `tmp-*-test`).
 */
export const branchNamePatternSchema = z
  .string()
  .min(1)
  .max(256)
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  .regex(/^[^\u0000-\u001f]+$/, 'must not contain control characters')
  .describe('A branch-name pattern: `*` matches any run of characters, every other character itself, the whole name');

/** A test of branch names against `patterns` (see {@link branchNamePatternSchema}): true when any matches. */
export function branchNameMatcher(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => false;
  const escaped = patterns.map((p) => p.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*'));
  const re = new RegExp(`^(?:${escaped.join('|')})$`, 's');
  return (name) => re.test(name);
}

/** What the sweep may do for a team. */
export const quotaPolicySchema = z
  .object({
    teamId: z.string(),
    mode: quotaModeSchema,
    /** A preview or scratch branch with no compute activity for this long is `idle_branch`. */
    idleHours: z.number().int().positive(),
    /**
     * Names of the team's scratch branches: branches made outside this service that the sweep
     * also finds idle. Empty (the default): only branches our intents made (previews included).
     */
    scratchBranches: z.array(branchNamePatternSchema).max(20),
    /** A project with at least this share of the plan's branch limit is `branch_limit` (report only). */
    branchLimitRatio: z.number().gt(0).max(1),
    /** When the team last set it; absent for the default policy. */
    updatedAt: z.string().optional(),
  })
  .meta({ id: 'QuotaPolicy' });
export type QuotaPolicy = z.infer<typeof quotaPolicySchema>;

/** What a team may set of its policy; a field left out takes the default's value. */
export type QuotaPolicyChange = Partial<Pick<QuotaPolicy, 'mode' | 'idleHours' | 'scratchBranches' | 'branchLimitRatio'>>;

/** A team that never set a policy: dry-run, idle after 7 days (our branches only), warn at 80 % of the branch limit. */
export const DEFAULT_QUOTA_POLICY: Omit<QuotaPolicy, 'teamId' | 'updatedAt'> = { mode: 'dry_run', idleHours: 168, scratchBranches: [], branchLimitRatio: 0.8 };

/**
 * What a sweep finds: a branch past its `expires_at` still present, a preview/scratch branch
 * idle too long, a branch left by a failed or cancelled intent (our annotation, no live
 * intent), or a project near the plan's branch limit (report only).
 */
export const quotaFindingKindSchema = z.enum(['expired_branch', 'idle_branch', 'failed_intent_leftover', 'branch_limit']);
export type QuotaFindingKind = z.infer<typeof quotaFindingKindSchema>;

/** One finding as stored and shown. */
export const quotaFindingSchema = z
  .object({
    teamId: z.string(),
    /** Names the finding: `<kind>:<projectId>[:<branchId>]`; the same finding keeps its key across sweeps. */
    key: z.string(),
    kind: quotaFindingKindSchema,
    projectId: z.string(),
    branchId: z.string().optional(),
    detail: z.record(z.string(), z.unknown()),
    firstSeenAt: z.string(),
    lastSeenAt: z.string(),
    /** When a sweep no longer found it (deleted, or no longer idle/expired). */
    resolvedAt: z.string().optional(),
    /** The `branch.delete` intent the sweep submitted for it (policy `act`): at most one per finding. */
    intentId: z.string().optional(),
  })
  .meta({ id: 'QuotaFinding' });
export type QuotaFinding = z.infer<typeof quotaFindingSchema>;

/** What a sweep hands to `record`. */
export type NewQuotaFinding = Pick<QuotaFinding, 'key' | 'kind' | 'projectId' | 'branchId' | 'detail'>;

/** The key of a finding (see {@link quotaFindingSchema}). */
export const quotaFindingKey = (kind: QuotaFindingKind, projectId: string, branchId?: string): string =>
  branchId === undefined ? `${kind}:${projectId}` : `${kind}:${projectId}:${branchId}`;

/**
 * Quota policies and findings in the durable store (`quota_policies`, `quota_findings`; see
 * the 0003 migration).
 */
export class QuotaStore {
  constructor(
    private readonly database: DurableDatabase,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The team's policy, or the default one (dry-run) when it never set one. */
  async getPolicy(teamId: string): Promise<QuotaPolicy> {
    const row = await this.database.db.selectFrom('quota_policies').selectAll().where('team_id', '=', teamId).executeTakeFirst();
    if (!row) return { teamId, ...DEFAULT_QUOTA_POLICY };
    return quotaPolicySchema.parse({
      teamId,
      mode: row.mode,
      idleHours: row.idle_hours,
      scratchBranches: row.scratch_branches,
      branchLimitRatio: Number(row.branch_limit_ratio),
      updatedAt: row.updated_at.toISOString(),
    });
  }

  /** Sets the team's policy; fields left out take the default's value. */
  async putPolicy(input: { teamId: string } & QuotaPolicyChange): Promise<QuotaPolicy> {
    const policy = quotaPolicySchema.parse({ ...DEFAULT_QUOTA_POLICY, ...input, updatedAt: this.now().toISOString() });
    const values = {
      mode: policy.mode,
      idle_hours: policy.idleHours,
      scratch_branches: JSON.stringify(policy.scratchBranches),
      branch_limit_ratio: policy.branchLimitRatio,
      updated_at: policy.updatedAt as string,
    };
    await this.database.db
      .insertInto('quota_policies')
      .values({ team_id: input.teamId, ...values })
      .onConflict((oc) => oc.column('team_id').doUpdateSet(values))
      .execute();
    return policy;
  }

  /**
   * Records one sweep of a team: every finding is upserted by key (first seen kept, last seen
   * moved to `at`, a resolved finding found again reopened), and every open finding of the
   * team whose key this sweep did not find is resolved — in one transaction, so a reader never sees
   * half a sweep. Returns the team's open findings.
   */
  async record(teamId: string, findings: readonly NewQuotaFinding[], at: Date): Promise<QuotaFinding[]> {
    const iso = at.toISOString();
    await this.database.db.transaction().execute(async (trx) => {
      for (const f of findings) {
        await trx
          .insertInto('quota_findings')
          .values({
            team_id: teamId,
            key: f.key,
            kind: f.kind,
            project_id: f.projectId,
            branch_id: f.branchId ?? null,
            detail: JSON.stringify(f.detail),
            first_seen_at: iso,
            last_seen_at: iso,
            resolved_at: null,
            intent_id: null,
          })
          .onConflict((oc) =>
            oc.columns(['team_id', 'key']).doUpdateSet({ detail: JSON.stringify(f.detail), last_seen_at: iso, resolved_at: null }),
          )
          .execute();
      }
      let resolve = trx.updateTable('quota_findings').set({ resolved_at: iso }).where('team_id', '=', teamId).where('resolved_at', 'is', null);
      if (findings.length > 0) resolve = resolve.where('key', 'not in', findings.map((f) => f.key));
      await resolve.execute();
    });
    return this.list(teamId, { open: true, limit: 1000 }).then((page) => page.items);
  }

  /**
   * Records the intent submitted for a finding, unless one is recorded already; returns the
   * finding's intent id (this one or the earlier one).
   */
  async setIntent(teamId: string, key: string, intentId: string): Promise<string | undefined> {
    await this.database.db
      .updateTable('quota_findings')
      .set({ intent_id: intentId })
      .where('team_id', '=', teamId)
      .where('key', '=', key)
      .where('intent_id', 'is', null)
      .execute();
    const row = await this.database.db.selectFrom('quota_findings').select('intent_id').where('team_id', '=', teamId).where('key', '=', key).executeTakeFirst();
    return row?.intent_id ?? undefined;
  }

  /** The team's findings by key, `open` ones only (default) or all, with a cursor (the last key). */
  async list(
    teamId: string,
    query: { open?: boolean; kind?: QuotaFindingKind; cursor?: string; limit?: number } = {},
  ): Promise<{ items: QuotaFinding[]; nextCursor?: string }> {
    const limit = query.limit ?? 50;
    let q = this.database.db.selectFrom('quota_findings').selectAll().where('team_id', '=', teamId);
    if (query.open ?? true) q = q.where('resolved_at', 'is', null);
    if (query.kind) q = q.where('kind', '=', query.kind);
    if (query.cursor !== undefined) q = q.where(sql<boolean>`key collate "C" > ${query.cursor} collate "C"`);
    const rows = await q.orderBy(sql`key collate "C"`).limit(limit + 1).execute();
    const items = rows.slice(0, limit).map((row) =>
      quotaFindingSchema.parse({
        teamId: row.team_id,
        key: row.key,
        kind: row.kind,
        projectId: row.project_id,
        ...(row.branch_id === null ? {} : { branchId: row.branch_id }),
        detail: row.detail,
        firstSeenAt: row.first_seen_at.toISOString(),
        lastSeenAt: row.last_seen_at.toISOString(),
        ...(row.resolved_at === null ? {} : { resolvedAt: row.resolved_at.toISOString() }),
        ...(row.intent_id === null ? {} : { intentId: row.intent_id }),
      }),
    );
    const last = items[items.length - 1];
    return rows.length > limit && last ? { items, nextCursor: last.key } : { items };
  }
}
