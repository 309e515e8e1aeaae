import type { TestProject } from 'vitest/node';
import './provided-context.js';
import { findTestDatabase } from './database-server.js';

/**
 * Vitest global setup: finds the database for the whole run (see `findTestDatabase`) and
 * hands its URL to the tests through `inject('databaseUrl')`. Nothing is started: without
 * a PostgreSQL, each test's store runs on its own PGlite.
 */
export default async function setup(project: TestProject): Promise<void> {
  const database = await findTestDatabase();
  project.provide('databaseUrl', database.url);
}
