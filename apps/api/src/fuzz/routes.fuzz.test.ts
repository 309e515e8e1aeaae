import { createHash } from 'node:crypto';
import { migrateToLatest, openDatabase, type DurableDatabase } from '@neonops/durable-store';
import { IntentStore, scanKeys, secretContext } from '@neonops/intents';
import { createNeonClient } from '@neonops/neon-client';
import { startNeonSimulator } from '@neonops/neon-sim';
import { useTestDatabase } from '@neonops/testing';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/helper.js';
import { hashToken } from '../teams/teams-file.js';
import { hostileStrings, SchemaArbitraries, type JsonSchema } from './schema-arbitrary.js';

/**
 * Fuzzes every route of the OpenAPI document with generated valid and invalid input: no
 * answer is a 5xx, no 4xx answer changes anything (Redis under the app's prefix, the durable
 * store's tables), and no answer to another team carries team beta's secrets. `pnpm test`
 * runs a bounded number of requests; `pnpm --filter @neonops/api fuzz` runs many more
 * (`FUZZ_RUNS`, and `FUZZ_SEED` to replay a failure).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

interface Operation {
  method: string;
  path: string;
  parameters: { in: 'path' | 'query' | 'header'; name: string; required?: boolean; schema: JsonSchema }[];
  body?: JsonSchema;
}

interface FuzzRequest {
  op: Operation;
  as: 'alpha' | 'root' | 'anonymous' | 'bad-token';
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

async function redisSnapshot(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // Every master of a cluster.
  for await (const keys of scanKeys(redis, `${prefix}*`, 1000)) {
    for (const key of keys) {
      // The per-team request counters (@fastify/rate-limit) count every request, 4xx included,
      // and the shared Neon budget's windows count every Neon call, a 404 from Neon included:
      // both by design, not state a request changes, so they are left out of the comparison.
      // The read-through cache holds earlier 200 answers for a few seconds and expires on its own.
      if (key.startsWith(`${prefix}ratelimit:`) || key.startsWith(`${prefix}{neon-rate}:`) || key.startsWith(`${prefix}readcache:`)) continue;
      const dump = await redis.dumpBuffer(key);
      if (dump) out.set(key, createHash('sha256').update(dump).digest('hex'));
    }
  }
  return out;
}

type AnyDb = { selectFrom(table: string): { selectAll(): { execute(): Promise<unknown[]> } } };

async function databaseSnapshot(database: DurableDatabase): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const tables = (await tablesOfEverySchema(database)).filter((t) => t.schema === database.schema);
  for (const table of tables) {
    const rows = await (database.db as unknown as AnyDb).selectFrom(table.name).selectAll().execute();
    out.set(table.name, createHash('sha256').update(JSON.stringify(rows.map((r) => JSON.stringify(r)).sort())).digest('hex'));
  }
  return out;
}

/**
 * Kysely's introspection reads every schema of the database, and fails with 3F000 when
 * another test drops its schema during the query: read again (ours is never dropped here).
 */
async function tablesOfEverySchema(database: DurableDatabase): Promise<{ name: string; schema?: string }[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await database.db.introspection.getTables();
    } catch (error) {
      if (attempt >= 10 || (error as { code?: unknown }).code !== '3F000') throw error;
    }
  }
}

function diff(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed: string[] = [];
  for (const [k, v] of after) if (before.get(k) !== v) changed.push(before.has(k) ? `changed ${k}` : `added ${k}`);
  for (const k of before.keys()) if (!after.has(k)) changed.push(`removed ${k}`);
  return changed;
}

async function setup() {
  const sim = await startNeonSimulator({ seed: 11, operations: { schedulingMs: 0, runningMs: 0 }, rateLimit: false });
  onTestFinished(() => sim.close());
  const neon = createNeonClient({ apiKey: sim.apiKey, baseUrl: sim.url });
  const alphaProject = (await neon.createProject({ project: { name: 'alpha-fuzz' } })).project.id;
  const betaProject = (await neon.createProject({ project: { name: 'beta-fuzz' } })).project.id;
  const target = useTestDatabase('api-fuzz');
  const database = await openDatabase({ url: target.url, schema: target.schema });
  onTestFinished(() => database.close());
  await migrateToLatest(database);
  const t = await buildTestApp({
    teams: [
      { id: 'alpha', tokenHashes: [hashToken('token-alpha')], projects: [alphaProject, 'p-alpha'], canCreateProjects: true },
      { id: 'beta', tokenHashes: [hashToken('token-beta')], projects: [betaProject] },
      { id: 'root', tokenHashes: [hashToken('token-root')], admin: true },
    ],
    neon: { apiKey: sim.apiKey, baseUrl: sim.url },
    database: { database },
    webhooks: { allowCidrs: [] },
  });
  return { t, database, alphaProject, betaProject };
}

/** Team beta's secrets, and ids of things both teams own, for the fuzz to aim at. */
async function seed(t: TestApp, alphaProject: string, betaProject: string) {
  const store = new IntentStore(t.redis.connect(), { prefix: t.redis.prefix });
  const betaIntent = (await t.as('beta', { method: 'POST', url: '/v1/intents', payload: { kind: 'branch.create', params: { projectId: betaProject } } })).json().id as string;
  const betaPassword = `beta-password-${Math.random().toString(36).slice(2)}`;
  await store.putSecrets(betaIntent, t.secretBox.seal({ connectionUris: [{ uri: `postgresql://app:${betaPassword}@ep-beta.example/neondb` }] }, secretContext.intent(betaIntent)));
  await store.finish(betaIntent, 'succeeded', { result: { branch: { id: 'br-beta' } } });
  const betaHook = (await t.as('beta', { method: 'POST', url: '/v1/webhooks', payload: { url: 'https://hooks.beta.example/x', events: ['intent.*'], include_secrets: true } })).json();
  const betaSource = (await t.as('beta', { method: 'POST', url: '/v1/sources', payload: { kind: 'standard-webhooks' } })).json();
  const alphaIntent = (await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: { kind: 'branch.create', params: { projectId: alphaProject } } })).json().id as string;
  const alphaHook = (await t.as('alpha', { method: 'POST', url: '/v1/webhooks', payload: { url: 'https://hooks.alpha.example/x', events: ['intent.*'] } })).json();
  const alphaSource = (await t.as('alpha', { method: 'POST', url: '/v1/sources', payload: { kind: 'standard-webhooks' } })).json();
  const secrets = [betaPassword, betaHook.secret as string, betaSource.secret as string].filter((s) => typeof s === 'string' && s.length > 8);
  expect(secrets).toHaveLength(3);
  const ids = [betaIntent, alphaIntent, betaHook.id, alphaHook.id, betaSource.source?.id ?? betaSource.id, alphaSource.source?.id ?? alphaSource.id, alphaProject, betaProject].filter(
    (id): id is string => typeof id === 'string',
  );
  return { secrets, ids, unfinished: new Set([alphaIntent]) };
}

/** `encodeURIComponent`, and a lone surrogate (which it refuses) sent as the raw bytes a client could send. */
function encodePathSegment(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

function operations(doc: { paths: Record<string, Record<string, { parameters?: Operation['parameters']; requestBody?: { content?: Record<string, { schema: JsonSchema }> } }>> }): Operation[] {
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const body = op.requestBody?.content?.['application/json']?.schema;
      out.push({ method: method.toUpperCase(), path, parameters: op.parameters ?? [], ...(body ? { body } : {}) });
    }
  }
  return out;
}

function requestArbitrary(ops: Operation[], arbs: SchemaArbitraries, ids: string[], unfinished: Set<string>): fc.Arbitrary<FuzzRequest> {
  const idArb = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ids) }, { weight: 1, arbitrary: fc.constantFrom(...hostileStrings.filter((s) => s !== '')) }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 30 }) });
  return fc.constantFrom(...ops).chain((op) => {
    const params = op.parameters.map((p) => {
      let value: fc.Arbitrary<unknown>;
      if (p.in === 'path') value = idArb;
      // A long-poll would hold the run for up to a minute: no wait, or an invalid one.
      else if (p.name === 'wait') value = fc.constantFrom('0', '-1', '61', 'soon', '1e3');
      else value = fc.oneof({ weight: 3, arbitrary: arbs.valid(p.schema) }, { weight: 1, arbitrary: arbs.invalid(p.schema) });
      const present = p.in === 'path' || p.required ? fc.constant(true) : fc.boolean();
      return fc.tuple(fc.constant(p), value, present);
    });
    const body = op.body
      ? fc.oneof({ weight: 2, arbitrary: arbs.valid(op.body) }, { weight: 2, arbitrary: arbs.invalid(op.body) }, { weight: 1, arbitrary: fc.constantFrom('{', '[]', '"x"', 'null', '{"a":1,"a":2}') })
      : fc.constant(undefined);
    const as = fc.constantFrom<FuzzRequest['as']>('alpha', 'alpha', 'alpha', 'root', 'anonymous', 'bad-token');
    return fc.tuple(fc.tuple(...params), body, as, fc.boolean()).map(([values, payload, who, withKey]) => {
      let path = op.path;
      const query = new URLSearchParams();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      for (const [p, value, present] of values) {
        if (!present) continue;
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        if (p.in === 'path') {
          // An event stream of an unfinished intent would never end: aim it at other ids.
          const id = path.endsWith('/events') && unfinished.has(text) ? 'int_none' : text;
          path = path.replace(`{${p.name}}`, encodePathSegment(id));
        } else if (p.in === 'query') query.set(p.name, text);
        else if (/^[\t\x20-\x7e]*$/.test(text)) headers[p.name] = text;
      }
      if (who === 'alpha' || who === 'root') headers.authorization = `Bearer token-${who}`;
      if (who === 'bad-token') headers.authorization = 'Bearer token-beta-but-wrong';
      if (withKey && op.method === 'POST') headers['idempotency-key'] = `fuzz-${Math.abs(JSON.stringify(payload ?? '').length)}`;
      const qs = query.toString();
      return {
        op,
        as: who,
        url: `${path}${qs ? `?${qs}` : ''}`,
        headers,
        ...(payload === undefined ? {} : { payload: typeof payload === 'string' && /^[[{"n]/.test(payload) && op.body ? payload : JSON.stringify(payload) }),
      };
    });
  });
}

describe('route fuzz', () => {
  it(
    `${RUNS} generated requests over every route of the OpenAPI document: no 5xx, no change from a 4xx, no other team's secret`,
    async () => {
      const { t, database, alphaProject, betaProject } = await setup();
      const { secrets, ids, unfinished } = await seed(t, alphaProject, betaProject);
      const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
      const ops = operations(doc);
      expect(ops.length).toBeGreaterThan(20);
      const arbs = new SchemaArbitraries(doc.components?.schemas ?? {});
      const redis = t.redis.connect();
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(requestArbitrary(ops, arbs, ids, unfinished), async (req) => {
          const before = [await redisSnapshot(redis, t.redis.prefix), await databaseSnapshot(database)] as const;
          const res = await t.app.inject({ method: req.op.method as 'GET', url: req.url, headers: req.headers, ...(req.payload === undefined || req.op.method === 'GET' || req.op.method === 'DELETE' ? {} : { payload: req.payload }) });
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          const what = `${req.op.method} ${req.url} as ${req.as} → ${res.statusCode} ${res.body.slice(0, 300)}`;
          expect(res.statusCode, what).toBeLessThan(500);
          for (const secret of secrets) expect(res.body.includes(secret), `${what}: carries a secret of team beta`).toBe(false);
          if (res.statusCode >= 400) {
            const after = [await redisSnapshot(redis, t.redis.prefix), await databaseSnapshot(database)] as const;
            expect([...diff(before[0], after[0]), ...diff(before[1], after[1])], `${what}: a ${res.statusCode} changed state`).toEqual([]);
          }
        }),
        { numRuns: RUNS, endOnFailure: true, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
      // The run reached both sides: accepted requests and refused ones.
      expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
      expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
    },
    600_000,
  );
});
