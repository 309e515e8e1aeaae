/**
 * Profiling aid (not part of `pnpm bench`): runs the API under load once, so that
 * `node --cpu-prof --import tsx src/profile-api.ts` records where the POST path spends its
 * time, and counts the Redis commands one request sends (ioredis `monitor`-free: via
 * INFO commandstats deltas on the bench prefix's connection).
 */
import { buildApp } from '@neonops/api';
import { SecretBox } from '@neonops/intents';
import { Redis } from 'ioredis';
import { openBenchContext } from './context.js';
import { httpLoad } from './load/http-load.js';
import { benchTeams, BENCH_PROJECT, BENCH_TOKEN } from './teams.js';

const ctx = await openBenchContext();
const prefix = ctx.prefix('profile');
const app = await buildApp({
  redis: { url: ctx.redisUrl },
  keyPrefix: prefix,
  teams: benchTeams(),
  secretBox: new SecretBox(SecretBox.generateKey()),
  probeNeon: async () => ({ ok: true }),
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
const url = `http://127.0.0.1:${port}/v1/intents`;
const body = JSON.stringify({ kind: 'branch.create', params: { projectId: BENCH_PROJECT, name: 'bench' } });
const headers = { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' };

// Commands per request: Redis's own counters before and after a known number of requests.
const admin = new Redis(ctx.redisUrl);
const stats = async () => {
  const info = await admin.info('commandstats');
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) out[m[1] as string] = Number(m[2]);
  return out;
};
await httpLoad({ url, amount: 500, connections: 1, headers, body, uniqueKeys: true });
const before = await stats();
await httpLoad({ url, amount: 200, connections: 1, headers, body, uniqueKeys: true });
const after = await stats();
const perRequest = Object.entries(after)
  .map(([cmd, n]) => [cmd, (n - (before[cmd] ?? 0)) / 200] as const)
  .filter(([, n]) => n >= 0.5);
console.log('Redis commands per request (whole Redis, so other clients add noise):', Object.fromEntries(perRequest));
const result = await httpLoad({ url, amount: Number(process.argv[2] ?? 6000), connections: Number(process.argv[3] ?? 64), headers, body, uniqueKeys: true });
console.log(result);
admin.disconnect();
await app.close();
await ctx.close();
