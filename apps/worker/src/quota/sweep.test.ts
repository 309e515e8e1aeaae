import { IntentHistory, migrateToLatest, openDatabase, QuotaStore } from '@neonops/durable-store';
import { IntentRights, IntentSubmitter, queuedIntentRecord, type IntentRecord } from '@neonops/intents';
import { teamSchema, type Team } from '@neonops/teams';
import { useTestDatabase } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../logger.js';
import { INTENT_ANNOTATION, PREVIEW_ANNOTATION } from '../reconcile/annotation.js';
import { live, startHarness } from '../test/harness.js';
import { runQuotaSweep } from './sweep.js';

function record(teamId: string, projectId: string): IntentRecord {
  return queuedIntentRecord({ teamId, kind: 'branch.create', params: { projectId } });
}

/** A worker harness, the durable store migrated in a schema of its own, and one project. */
async function setup(projectName: string) {
  const h = await startHarness();
  const target = useTestDatabase('quota');
  const database = await openDatabase({ url: target.url, schema: target.schema });
  onTestFinished(() => database.close());
  await migrateToLatest(database);
  const { projectId } = await h.createProject(projectName);
  return { h, database, quota: new QuotaStore(database), projectId };
}

/** One sweep of `team` (its projects from the teams file), as the worker runs it, at `now`. */
function sweeper(s: Awaited<ReturnType<typeof setup>>, team: Team, options: { branchLimit: number; now: Date }) {
  const rights = new IntentRights(s.h.redis.connect(), { prefix: s.h.redis.prefix, allTeams: () => [team] });
  return async () => {
    const [out] = await runQuotaSweep({
      quota: s.quota,
      teams: () => [team],
      projectsOf: (t) => rights.projectsOf(t),
      neon: s.h.neon,
      intents: s.h.store,
      history: new IntentHistory(s.database),
      submitter: new IntentSubmitter({ store: s.h.store, queue: s.h.queue, rights }),
      branchLimit: options.branchLimit,
      logger: createLogger({ level: 'silent' }),
      now: () => options.now,
    });
    return out!;
  };
}

describe('quota sweep', () => {
  it('dry-run reports and changes nothing; policy act deletes each actionable finding through one intent, once', { timeout: 60_000 }, async () => {
    const setUp = await setup('quota');
    const { h, quota, projectId } = setUp;

    // A failed intent that kept its branch, and a live one still working on its branch.
    const failed = record('team-a', projectId);
    await h.store.create(failed);
    await h.store.finish(failed.id, 'failed', { error: { code: 'neon_conflict', message: 'kept' } });
    const running = record('team-a', projectId);
    await h.store.create(running);

    const soon = new Date(Date.now() + 3_600_000).toISOString();
    const made: Record<string, string> = {};
    for (const [name, body] of [
      ['expiring', { branch: { name: 'expiring', expires_at: soon } }],
      ['leftover', { branch: { name: 'leftover' }, annotation_value: { [INTENT_ANNOTATION]: failed.id } }],
      ['preview-idle', { branch: { name: 'preview-idle' }, annotation_value: { [PREVIEW_ANNOTATION]: 'src_1:42#7' } }],
      ['in-progress', { branch: { name: 'in-progress' }, annotation_value: { [INTENT_ANNOTATION]: running.id } }],
      ['dev', { branch: { name: 'dev' } }],
      ['prod-preview', { branch: { name: 'prod-preview', protected: true }, annotation_value: { [PREVIEW_ANNOTATION]: 'src_1:42#8' } }],
    ] as const) {
      const res = await h.neon.createBranch(projectId, body as never);
      await h.neon.waitForOperations(projectId, res.operations.map((o) => o.id), { pollIntervalMs: 10, maxPollIntervalMs: 50 });
      made[name] = res.branch.id;
    }

    const team = teamSchema.parse({ id: 'team-a', projects: [projectId] });
    // Two days on: past `soon`, and idle for 24 h.
    const sweep = sweeper(setUp, team, { branchLimit: 8, now: new Date(Date.now() + 2 * 86_400_000) });
    await quota.putPolicy({ teamId: 'team-a', idleHours: 24 });
    const branchesBefore = live(h.sim.control.state().branches).length;

    const dry = await sweep();
    const summary = (findings: { kind: string; branchId?: string }[]) => findings.map((f) => `${f.kind}:${f.branchId ?? '-'}`).sort();
    const expected = [`expired_branch:${made.expiring}`, `failed_intent_leftover:${made.leftover}`, `idle_branch:${made['preview-idle']}`, 'branch_limit:-'].sort();
    expect(dry.mode).toBe('dry_run');
    expect(summary(dry.findings)).toEqual(expected);
    expect(dry.findings.find((f) => f.kind === 'branch_limit')?.detail).toEqual({ branches: 7, limit: 8 });
    expect(dry.submitted).toEqual({});
    // Nothing changed: no intent, no deleted branch; a second dry run finds the same, first seen unchanged.
    expect((await h.store.list('team-a')).items.map((i) => i.id).sort()).toEqual([failed.id, running.id].sort());
    expect(live(h.sim.control.state().branches)).toHaveLength(branchesBefore);
    const again = await sweep();
    expect(again.findings.map((f) => f.firstSeenAt)).toEqual(dry.findings.map((f) => f.firstSeenAt));

    await quota.putPolicy({ teamId: 'team-a', mode: 'act', idleHours: 24 });
    const acting = await sweep();
    expect(Object.keys(acting.submitted).sort()).toEqual(expected.filter((k) => !k.startsWith('branch_limit')).map((k) => k.replace(/^([a-z_]+):/, `$1:${projectId}:`)).sort());
    const deletions = (await h.store.list('team-a', { kind: 'branch.delete' })).items;
    expect(deletions.map((i) => (i.params as { branchId: string }).branchId).sort()).toEqual([made.expiring, made.leftover, made['preview-idle']].sort());
    // Acting again before the worker ran them: nothing new.
    const repeat = await sweep();
    expect(repeat.submitted).toEqual({});
    expect(repeat.findings.filter((f) => f.intentId).map((f) => f.intentId).sort()).toEqual(deletions.map((i) => i.id).sort());

    h.startWorker();
    for (const intent of deletions) expect((await h.waitForTerminal(intent.id)).status).toBe('succeeded');
    const remaining = live(h.sim.control.state().branches).map((b) => b.id);
    for (const name of ['expiring', 'leftover', 'preview-idle']) expect(remaining).not.toContain(made[name]);
    for (const name of ['in-progress', 'dev', 'prod-preview']) expect(remaining).toContain(made[name]);
    // Gone: the findings are resolved, nothing else is submitted.
    const after = await sweep();
    expect(after.findings).toEqual([]);
    expect((await h.store.list('team-a', { kind: 'branch.delete' })).items).toHaveLength(3);
    expect((await quota.list('team-a', { open: false })).items.every((f) => f.resolvedAt !== undefined)).toBe(true);
  });

  it('finds idle scratch branches by the team’s name patterns, never a default or protected one, and acts on them like on its own', { timeout: 60_000 }, async () => {
    const setUp = await setup('scratch');
    const { h, quota, projectId } = setUp;
    // Made outside the service: no annotation of ours on any of them.
    const made: Record<string, string> = {};
    for (const body of [
      { name: 'dev/alice' },
      { name: 'tmp-load-test' },
      { name: 'dev-alice' },
      { name: 'staging' },
      { name: 'dev/keep', protected: true },
    ]) {
      const res = await h.neon.createBranch(projectId, { branch: body });
      await h.neon.waitForOperations(projectId, res.operations.map((o) => o.id), { pollIntervalMs: 10, maxPollIntervalMs: 50 });
      made[body.name] = res.branch.id;
    }
    const team = teamSchema.parse({ id: 'team-s', projects: [projectId] });
    const sweep = sweeper(setUp, team, { branchLimit: 500, now: new Date(Date.now() + 2 * 86_400_000) });

    // No patterns (the default): branches made elsewhere are never idle findings.
    await quota.putPolicy({ teamId: 'team-s', idleHours: 24 });
    expect((await sweep()).findings).toEqual([]);

    await quota.putPolicy({ teamId: 'team-s', idleHours: 24, scratchBranches: ['dev/*', 'tmp-*-test'] });
    const dry = await sweep();
    expect(dry.findings.map((f) => f.branchId).sort()).toEqual([made['dev/alice'], made['tmp-load-test']].sort());
    expect(dry.findings.find((f) => f.branchId === made['dev/alice'])).toMatchObject({ kind: 'idle_branch', detail: { name: 'dev/alice', origin: 'scratch', idleHours: 24 } });
    expect(dry.submitted).toEqual({});

    // Not idle long enough yet: a week's limit finds nothing two days on.
    await quota.putPolicy({ teamId: 'team-s', idleHours: 168, scratchBranches: ['dev/*', 'tmp-*-test'] });
    expect((await sweep()).findings).toEqual([]);

    await quota.putPolicy({ teamId: 'team-s', mode: 'act', idleHours: 24, scratchBranches: ['dev/*', 'tmp-*-test'] });
    const acting = await sweep();
    expect(Object.keys(acting.submitted)).toHaveLength(2);
    const deletions = (await h.store.list('team-s', { kind: 'branch.delete' })).items;
    expect(deletions.map((i) => (i.params as { branchId: string }).branchId).sort()).toEqual([made['dev/alice'], made['tmp-load-test']].sort());
    h.startWorker();
    for (const intent of deletions) expect((await h.waitForTerminal(intent.id)).status).toBe('succeeded');
    const remaining = live(h.sim.control.state().branches).map((b) => b.id);
    expect(remaining).not.toContain(made['dev/alice']);
    expect(remaining).not.toContain(made['tmp-load-test']);
    for (const name of ['dev-alice', 'staging', 'dev/keep']) expect(remaining).toContain(made[name]);
    expect((await sweep()).findings).toEqual([]);
  });
});
