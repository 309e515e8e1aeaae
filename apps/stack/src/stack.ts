import { openDatabase, type DurableDatabase } from '@neonops/durable-store';
import {
  createDemoTeam,
  createLogger as createApiLogger,
  loadConfig as loadApiConfig,
  loadTeamsFileOrEmpty,
  startApi,
  withTeams,
  type RunningApi,
} from '@neonops/api';
import { SecretBox } from '@neonops/intents';
import { createNeonClient } from '@neonops/neon-client';
import { startNeonSimulator, type NeonSimulator } from '@neonops/neon-sim';
import { createLogger as createWorkerLogger, loadConfig as loadWorkerConfig, startWorker, type RunningWorker } from '@neonops/worker';
import type { DestinationStream } from 'pino';
import type { StackConfig } from './config.js';
import { deleteKeysWithPrefix } from './redis-check.js';

export interface StartStackOptions {
  /** The rest of the environment, handed to the API and worker config parsers. */
  env: Record<string, string | undefined>;
  /** Where the API and the worker write their log lines (each with its own redaction); default stdout. */
  logDestination?: DestinationStream;
  /** Settings of the demo team beyond the defaults (id `demo`, may create projects), e.g. `{ admin: true }`. */
  demoTeam?: { admin?: boolean; maxActiveIntents?: number };
  /**
   * Delete every Redis key under `KEY_PREFIX` once everything is closed: for throwaway runs
   * (`pnpm demo`) that use a prefix of their own. Default false.
   */
  deleteKeysOnClose?: boolean;
}

export interface RunningStack {
  apiUrl: string;
  /** The simulator, when the stack runs without a Neon API key. */
  sim?: NeonSimulator;
  neonBaseUrl: string;
  /** The demo team's bearer token: printed once, never stored. */
  demoToken: string;
  /** A project the demo team may use (created in the simulator); absent against real Neon. */
  demoProjectId?: string;
  /** Where the intent history lives: `pglite:memory`, `pglite:<dir>`, or `postgres` (a server; its URL may hold a password). */
  history: string;
  /** The durable store the API and the worker share (closed with the stack). */
  database: DurableDatabase;
  close(): Promise<void>;
}

/**
 * Starts the whole service in one process: the Neon simulator (unless a real key is
 * configured), a worker and the API with a demo team beside the teams file's teams.
 */
export async function startStack(config: StackConfig, options: StartStackOptions): Promise<RunningStack> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    let neonApiKey = config.NEON_API_KEY;
    let neonBaseUrl = options.env.NEON_BASE_URL ?? 'https://console.neon.tech/api/v2';
    let sim: NeonSimulator | undefined;
    let demoProjectId: string | undefined;
    if (!neonApiKey) {
      sim = await startNeonSimulator({
        port: config.SIM_PORT,
        operations: { schedulingMs: config.SIM_SCHEDULING_MS, runningMs: config.SIM_RUNNING_MS },
      });
      closers.push(() => sim!.close());
      neonApiKey = sim.apiKey;
      neonBaseUrl = sim.url;
      const neon = createNeonClient({ apiKey: neonApiKey, baseUrl: neonBaseUrl });
      const created = await neon.createProject({ project: { name: 'demo' } });
      sim.control.fastForward();
      demoProjectId = created.project.id;
    }
    if (options.deleteKeysOnClose) {
      const prefix = options.env.KEY_PREFIX;
      if (!prefix) throw new Error('deleteKeysOnClose needs a KEY_PREFIX of its own');
      closers.push(() => deleteKeysWithPrefix(config.REDIS_URL, prefix));
    }
    const env = {
      ...options.env,
      NEON_API_KEY: neonApiKey,
      NEON_BASE_URL: neonBaseUrl,
      REDIS_URL: config.REDIS_URL,
      SECRETS_KEY: config.SECRETS_KEY ?? SecretBox.generateKey(),
      PORT: String(config.PORT),
      // The worker's /metrics /healthz /readyz listener: a free port unless told (stacks run side by side in tests).
      WORKER_HTTP_PORT: options.env.WORKER_HTTP_PORT ?? '0',
      // A local run delivers webhooks to receivers on this machine unless told otherwise.
      WEBHOOK_ALLOW_CIDRS: options.env.WEBHOOK_ALLOW_CIDRS ?? '127.0.0.1/32,::1/128',
    };
    // One durable store for both: an embedded PGlite is one process's, one session's.
    const database = await openDatabase({ url: config.DATABASE_URL, schema: config.DATABASE_SCHEMA });
    closers.push(() => database.close());
    const apiConfig = loadApiConfig({ ...env, DEV_MODE: 'true' });
    const demo = createDemoTeam({
      projects: demoProjectId ? [demoProjectId] : [],
      ...(options.demoTeam?.admin === undefined ? {} : { admin: options.demoTeam.admin }),
      ...(options.demoTeam?.maxActiveIntents === undefined ? {} : { limits: { maxActiveIntents: options.demoTeam.maxActiveIntents } }),
    });
    const fileTeams = (await loadTeamsFileOrEmpty(apiConfig.teamsFile)).teams;
    const workerConfig = loadWorkerConfig(env);
    const worker: RunningWorker = await startWorker(workerConfig, {
      database,
      // Team schedules check the rights of the same teams the API knows, the demo team included.
      teams: { list: async () => [...fileTeams, demo.team] },
      ...(options.logDestination ? { logger: createWorkerLogger({ level: workerConfig.logLevel, destination: options.logDestination }) } : {}),
    });
    closers.push(() => worker.close());

    const logger = options.logDestination ? { logger: createApiLogger(apiConfig.logLevel, options.logDestination) } : {};
    const api: RunningApi = await startApi(apiConfig, { teams: withTeams(fileTeams, [demo.team]), database, ...logger });
    closers.push(() => api.close());

    return {
      apiUrl: api.url,
      neonBaseUrl,
      demoToken: demo.token,
      history: database.engine === 'pglite' ? config.DATABASE_URL : 'postgres',
      database,
      ...(sim ? { sim } : {}),
      ...(demoProjectId ? { demoProjectId } : {}),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
