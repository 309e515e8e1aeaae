import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, spawnRedisServer, type TestRedisServer } from './redis-server.js';
import { waitUntil } from './wait-until.js';

/** A Redis Cluster that a test started, and how to stop it. */
export interface TestRedisCluster {
  /** `redis+cluster://127.0.0.1:<port>,…` (what `createRedis` and `REDIS_URL` take). */
  url: string;
  /** The masters' ports, in slot order (the first holds slots 0–5460). */
  ports: number[];
  stop(): Promise<void>;
}

const SLOTS = 16384;

/**
 * Starts a Redis Cluster of `masters` (default 3) `redis-server`s on free loopback ports,
 * nothing on disk but each node's cluster file in a temporary directory: the slots split
 * evenly (CLUSTER ADDSLOTSRANGE), the nodes introduced (CLUSTER MEET), ready when every node
 * says `cluster_state:ok`. Needs `redis-server` 7 or later; no `redis-cli`.
 */
export async function spawnRedisCluster(masters = 3): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'neonops-cluster-'));
  const servers: TestRedisServer[] = [];
  const busPorts: number[] = [];
  const admins: Redis[] = [];
  const stop = async () => {
    admins.forEach((a) => a.disconnect());
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      // The bus port is chosen too: the default (port + 10000) may be above 65535 for a free port.
      const busPort = await freePort();
      busPorts.push(busPort);
      servers.push(
        await spawnRedisServer({
          args: ['--cluster-enabled', 'yes', '--cluster-port', String(busPort), '--cluster-config-file', `nodes-${i}.conf`, '--dir', dir, '--cluster-node-timeout', '5000'],
        }),
      );
    }
    const ports = servers.map((s) => Number(new URL(s.url).port));
    for (const s of servers) admins.push(new Redis(s.url, { maxRetriesPerRequest: 1 }));
    const per = Math.ceil(SLOTS / masters);
    await Promise.all(admins.map((a, i) => a.call('CLUSTER', 'ADDSLOTSRANGE', String(i * per), String(Math.min(SLOTS, (i + 1) * per) - 1))));
    for (let i = 1; i < masters; i++) await admins[0]?.call('CLUSTER', 'MEET', '127.0.0.1', String(ports[i]), String(busPorts[i]));
    await waitUntil(
      async () => {
        const infos = await Promise.all(admins.map((a) => a.call('CLUSTER', 'INFO') as Promise<string>));
        return infos.every((info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${masters}`)) || undefined;
      },
      { what: 'the test cluster in state ok', timeoutMs: 20_000 },
    );
    admins.forEach((a) => a.disconnect());
    admins.length = 0;
    return { url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
