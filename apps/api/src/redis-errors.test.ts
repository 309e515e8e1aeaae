import { SecretBox } from '@neonops/intents';
import { freePort, spawnRedisServer, useTestRedis } from '@neonops/testing';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { branchCreate, defaultTeams } from '../test/helper.js';
import { buildApp } from './app.js';
import { StoreUnavailableError } from './errors.js';
import { withRedis } from './redis-errors.js';
import { TeamDirectory } from './teams/team-directory.js';

/** A redis-server of the test's own (its config is changed; the shared one's never is), an admin connection to it, and the API on it. */
async function apiOnOwnRedis(): Promise<{ app: FastifyInstance; admin: Redis }> {
  const server = await spawnRedisServer();
  onTestFinished(() => server.stop());
  const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
  onTestFinished(() => void admin.disconnect());
  const app = await buildApp({
    redis: { url: server.url },
    keyPrefix: 'full:',
    teams: new TeamDirectory(defaultTeams),
    secretBox: new SecretBox(SecretBox.generateKey()),
    probeNeon: async () => ({ ok: true }),
  });
  onTestFinished(() => app.close());
  return { app, admin };
}

const auth = { authorization: 'Bearer token-alpha' };

async function expectUnavailable(app: FastifyInstance, retryAfter: string): Promise<void> {
  const intent = await app.inject({ method: 'POST', url: '/v1/intents', payload: branchCreate(), headers: auth });
  const webhook = await app.inject({ method: 'POST', url: '/v1/webhooks', payload: { url: 'https://example.com/hook', events: ['intent.*'] }, headers: auth });
  for (const res of [intent, webhook]) {
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe(retryAfter);
    expect(res.json()).toMatchObject({ code: 'store_unavailable', status: 503 });
  }
}

describe('Redis that cannot take writes', () => {
  it('full (maxmemory, noeviction): writes answer 503 store_unavailable with Retry-After, reads still work', async () => {
    const { app, admin } = await apiOnOwnRedis();
    expect((await app.inject({ method: 'POST', url: '/v1/intents', payload: branchCreate(), headers: auth })).statusCode).toBe(202);

    await admin.config('SET', 'maxmemory', '1mb');
    // Fill it until Redis itself refuses: the OOM reply is the event we wait for.
    const filler = 'x'.repeat(16 * 1024);
    for (let i = 0; ; i++) {
      const refused = await admin.set(`filler:${i}`, filler).then(
        () => false,
        () => true,
      );
      if (refused) break;
    }
    await expectUnavailable(app, '5');
    expect((await app.inject({ method: 'GET', url: '/v1/intents', headers: auth })).statusCode).toBe(200);

    // Room again: the same request works, nothing to restart.
    await admin.config('SET', 'maxmemory', '0');
    expect((await app.inject({ method: 'POST', url: '/v1/intents', payload: branchCreate(), headers: auth })).statusCode).toBe(202);
  });

  it('a read-only replica (failover in progress): writes answer 503 store_unavailable with Retry-After', async () => {
    const { app, admin } = await apiOnOwnRedis();
    // A master that does not exist: the server stays a read-only replica, serving stale reads.
    await admin.call('REPLICAOF', '127.0.0.1', String(await freePort()));
    await expectUnavailable(app, '1');
    expect((await app.inject({ method: 'GET', url: '/v1/webhooks', headers: auth })).statusCode).toBe(200);
  });
});

describe('withRedis', () => {
  it('leaves other error replies alone (a WRONGTYPE is a bug, a 500)', async () => {
    const redis = useTestRedis('api-errors');
    const client = redis.connect();
    await client.set(`${redis.prefix}s`, 'v');
    const error = await withRedis(client, () => client.hget(`${redis.prefix}s`, 'f')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
  });
});
