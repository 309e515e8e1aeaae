import { migrateToLatest, openDatabase, UsageStore, type DurableDatabase } from '@neonops/durable-store';
import { createNeonClient, type NeonClient } from '@neonops/neon-client';
import { createManualClock, startNeonSimulator, type ManualClock, type NeonSimulator, type NeonSimulatorOptions } from '@neonops/neon-sim';
import { useTestDatabase, type UseTestDatabaseOptions } from '@neonops/testing';
import { onTestFinished } from 'vitest';
import type { ServedProject } from './collect.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface UsageFixture {
  sim: NeonSimulator;
  clock: ManualClock;
  /** A client as the tests' "users" (creates, starts). */
  neon: NeonClient;
  /** The collector's client: one attempt per call (a 429 stops the run). */
  collectorNeon: NeonClient;
  database: DurableDatabase;
  store: UsageStore;
}

/**
 * A simulator over HTTP on a manual clock (instant operations) and the usage store on the
 * test's own schema (the run's PostgreSQL, else PGlite; `engine: 'pglite'` forces PGlite).
 */
export async function usageFixture(options: { start: string; sim?: NeonSimulatorOptions; database?: UseTestDatabaseOptions }): Promise<UsageFixture> {
  const clock = createManualClock(Date.parse(options.start));
  const sim = await startNeonSimulator({ seed: 7, clock, operations: { schedulingMs: 0, runningMs: 0 }, ...options.sim });
  onTestFinished(() => sim.close());
  const target = useTestDatabase('usage', options.database ?? {});
  const database = await openDatabase({ url: target.url, schema: target.schema });
  onTestFinished(() => database.close());
  await migrateToLatest(database);
  const neon = createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url, now: () => clock.now() });
  const collectorNeon = createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url, retry: { maxAttempts: 1 } });
  return { sim, clock, neon, collectorNeon, database, store: new UsageStore(database) };
}

/** Creates a project (its default branch and compute come with it) and returns its ids. */
export async function createProject(neon: NeonClient, name: string) {
  const created = await neon.createProject({ project: { name } });
  return { projectId: created.project.id, branchId: created.branch.id, endpointId: created.endpoints[0]!.id };
}

export const staticProjects = (projects: ServedProject[]) => async () => projects;
