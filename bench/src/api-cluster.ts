/**
 * The API in N processes sharing one port (node:cluster, round-robin over connections), as N
 * replicas on one Redis: the horizontal-scale figure of the enqueue part (issue #14, aim 3).
 * Run by `api-processes.ts` with an IPC channel; the primary forks the workers, answers
 * `usage` with the sum of their CPU time, and `stop` closes them. Settings from the
 * environment: REDIS_URL, KEY_PREFIX, SECRETS_KEY, API_PROCESSES.
 */
import cluster from 'node:cluster';
import { buildApp } from '@neonops/api';
import { SecretBox } from '@neonops/intents';
import { benchTeams } from './teams.js';

type Command = { type: 'usage' } | { type: 'stop' };
type Cpu = { user: number; system: number };

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

if (cluster.isPrimary) {
  const count = Number(env('API_PROCESSES'));
  const workers = Array.from({ length: count }, () => cluster.fork());
  const ask = <T>(worker: (typeof workers)[number], command: Command, type: string) =>
    new Promise<T>((resolve) => {
      const on = (message: { type: string } & T) => {
        if (message.type !== type) return;
        worker.off('message', on);
        resolve(message);
      };
      worker.on('message', on);
      worker.send(command);
    });
  cluster.on('exit', (_worker, code) => {
    if (code !== 0) {
      process.stderr.write(`bench api process exited with ${String(code)}\n`);
      process.exit(1);
    }
  });
  const ports = await Promise.all(
    workers.map((worker) => new Promise<number>((resolve) => worker.on('message', (m: { type: string; port: number }) => m.type === 'listening' && resolve(m.port)))),
  );
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${ports[0]}/v1/intents` });
  process.on('message', (command: Command) => {
    void (async () => {
      if (command.type === 'usage') {
        const usages = await Promise.all(workers.map((w) => ask<{ cpu: Cpu }>(w, command, 'usage')));
        const cpu = usages.reduce((sum, u) => ({ user: sum.user + u.cpu.user, system: sum.system + u.cpu.system }), { user: 0, system: 0 });
        process.send?.({ type: 'usage', cpu });
      } else {
        cluster.removeAllListeners('exit');
        await Promise.all(workers.map((w) => ask(w, command, 'stopped')));
        process.exit(0);
      }
    })();
  });
} else {
  const app = await buildApp({
    redis: { url: env('REDIS_URL') },
    keyPrefix: env('KEY_PREFIX'),
    teams: benchTeams(),
    secretBox: new SecretBox(env('SECRETS_KEY')),
    probeNeon: async () => ({ ok: true }),
  });
  // Port 0 in a cluster worker: every worker gets the same port, the primary hands out connections.
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  process.send?.({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
  process.on('message', (command: Command) => {
    if (command.type === 'usage') process.send?.({ type: 'usage', cpu: process.cpuUsage() });
    else
      void app.close().then(() => {
        process.send?.({ type: 'stopped' });
        setImmediate(() => process.exit(0));
      });
  });
}
