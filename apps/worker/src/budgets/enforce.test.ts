import { BudgetStore, migrateToLatest, openDatabase, type BudgetPeriod, type BudgetUnit } from '@neonops/durable-store';
import { IntentRights, IntentSubmitter, ThresholdMarks } from '@neonops/intents';
import { teamSchema } from '@neonops/teams';
import { useTestDatabase } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createLogger } from '../logger.js';
import { startHarness } from '../test/harness.js';
import type { SpendSource } from './spend.js';
import { runBudgetWatch } from './watch.js';

const fixed = (spent: number): SpendSource => ({ monthToDate: async (_t: string, _p: BudgetPeriod, _u: BudgetUnit) => spent });

describe('budget enforcement', () => {
  it('at 100 % suspends the team’s computes on non-protected branches through intents, once per endpoint and period', async () => {
    const h = await startHarness();
    const target = useTestDatabase('enforce');
    const database = await openDatabase({ url: target.url, schema: target.schema });
    onTestFinished(() => database.close());
    await migrateToLatest(database);
    const budgets = new BudgetStore(database);

    // A project whose default branch is protected, with a dev branch and its compute.
    const { projectId, branchId: mainBranch, endpointId: mainEndpoint } = await h.createProject('enforced');
    await h.neon.updateBranch(projectId, mainBranch, { branch: { protected: true } });
    const dev = await h.neon.createBranch(projectId, { branch: { name: 'dev' }, endpoints: [{ type: 'read_write' }] });
    await h.neon.waitForOperations(projectId, dev.operations.map((o) => o.id), { pollIntervalMs: 10, maxPollIntervalMs: 50 });
    const devEndpoint = dev.endpoints[0]!.id;
    for (const id of [mainEndpoint, devEndpoint]) {
      const started = await h.neon.startEndpoint(projectId, id);
      await h.neon.waitForOperations(projectId, started.operations.map((o) => o.id), { pollIntervalMs: 10, maxPollIntervalMs: 50 });
    }
    // Another team's project is never touched.
    const { projectId: otherProject, endpointId: otherEndpoint } = await h.createProject('other-team');

    const team = teamSchema.parse({ id: 'team-a', projects: [projectId] });
    const other = teamSchema.parse({ id: 'team-b', projects: [otherProject] });
    const redis = h.redis.connect();
    const rights = new IntentRights(redis, { prefix: h.redis.prefix, allTeams: () => [team, other] });
    const submitter = new IntentSubmitter({ store: h.store, queue: h.queue, rights });
    const logger = createLogger({ level: 'silent' });
    const watch = (spent: number) =>
      runBudgetWatch({
        budgets,
        spend: fixed(spent),
        marks: new ThresholdMarks(redis, { prefix: h.redis.prefix }),
        logger,
        enforcement: { neon: h.neon, submitter, projectsOf: (t) => rights.projectsOf(t), logger, teamById: (id) => [team, other].find((t) => t.id === id) },
      });
    await budgets.put({ teamId: 'team-a', unit: 'usd', amount: 100, enforce: true });
    await budgets.put({ teamId: 'team-b', unit: 'usd', amount: 100 }); // not enforced

    // Under 100 %: announced, nothing suspended.
    const [under] = await watch(99);
    expect(under?.enforcement).toBeUndefined();
    expect((await h.store.list('team-a')).items).toEqual([]);

    const [at100, teamB] = await watch(100);
    expect(at100?.enforcement).toEqual({
      suspensions: [{ projectId, endpointId: devEndpoint, intentId: expect.any(String), created: true }],
      protectedEndpoints: [mainEndpoint],
      idleEndpoints: [],
    });
    expect(teamB?.enforcement).toBeUndefined();
    const intentId = at100!.enforcement!.suspensions[0]!.intentId;
    expect(await h.store.get(intentId)).toMatchObject({ teamId: 'team-a', kind: 'endpoint.suspend', params: { projectId, endpointId: devEndpoint } });

    // A tick again before the worker ran it: the same intent, nothing new.
    const [again] = await watch(140);
    expect(again?.enforcement?.suspensions).toEqual([{ projectId, endpointId: devEndpoint, intentId, created: false }]);

    h.startWorker();
    expect((await h.waitForTerminal(intentId)).status).toBe('succeeded');
    expect((await h.neon.getEndpoint(projectId, devEndpoint)).endpoint.current_state).toBe('idle');
    expect((await h.neon.getEndpoint(projectId, mainEndpoint)).endpoint.current_state).toBe('active');
    expect((await h.neon.getEndpoint(otherProject, otherEndpoint)).endpoint.current_state).not.toBe('idle');

    // Idle now: later ticks leave it alone, and the team has exactly one intent.
    const [later] = await watch(150);
    expect(later?.enforcement).toMatchObject({ suspensions: [], idleEndpoints: [devEndpoint] });
    expect((await h.store.list('team-a')).items.map((i) => i.id)).toEqual([intentId]);
    expect((await h.store.list('team-b')).items).toEqual([]);
  });
});
