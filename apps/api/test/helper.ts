import { Writable } from 'node:stream';
import { bullPrefix, INTENTS_QUEUE, SecretBox } from '@neonops/intents';
import { useTestRedis, type TestRedisContext } from '@neonops/testing';
import { Queue } from 'bullmq';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { onTestFinished } from 'vitest';
import { buildApp, type BuildAppOptions } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { TeamDirectory } from '../src/teams/team-directory.js';
import { hashToken, type TeamInput } from '../src/teams/teams-file.js';

/** Teams every test app knows; the token of team X is `token-X`. */
export const defaultTeams: TeamInput[] = [
  { id: 'alpha', tokenHashes: [hashToken('token-alpha')], projects: ['p-alpha'], canCreateProjects: true },
  { id: 'beta', tokenHashes: [hashToken('token-beta')], projects: ['p-beta'] },
  { id: 'root', tokenHashes: [hashToken('token-root')], admin: true },
];

export interface TestApp {
  app: FastifyInstance;
  redis: TestRedisContext;
  /** A queue handle of the test's own, to count jobs. */
  queue: Queue;
  secretBox: SecretBox;
  /** Every log line the app wrote, as text. */
  logs: () => string;
  /** inject() as team `teamId` (Bearer token-<teamId>). */
  as(teamId: string, options: InjectOptions): Promise<LightMyRequestResponse>;
}

/** Builds the API on the test's Redis prefix; closed when the test finishes. */
export async function buildTestApp(overrides: Partial<Omit<BuildAppOptions, 'teams'>> & { teams?: TeamInput[] } = {}): Promise<TestApp> {
  const redis = useTestRedis('api');
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  const secretBox = new SecretBox(SecretBox.generateKey());
  const { teams, ...rest } = overrides;
  const app = await buildApp({
    redis: { url: redis.url },
    keyPrefix: redis.prefix,
    secretBox,
    logger: createLogger('info', sink),
    probeNeon: async () => ({ ok: true }),
    ...rest,
    teams: new TeamDirectory(teams ?? defaultTeams),
  });
  const queue = new Queue(INTENTS_QUEUE, { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
  onTestFinished(async () => {
    await queue.close();
    await app.close();
  });
  return {
    app,
    redis,
    queue,
    secretBox,
    logs: () => lines.join(''),
    as: (teamId, options) => app.inject({ ...options, headers: { authorization: `Bearer token-${teamId}`, ...options.headers } }),
  };
}

/** Jobs in any state of the intents queue. */
export async function jobCount(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

export const branchCreate = (projectId = 'p-alpha', extra: Record<string, unknown> = {}) => ({
  kind: 'branch.create',
  params: { projectId, name: 'feature-1', ...extra },
});
