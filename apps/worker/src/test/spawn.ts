import { spawnProcess, type SpawnedProcess } from '@neonops/testing';

export type SpawnedWorker = SpawnedProcess;

/**
 * Runs `entry` (a path relative to src/) with tsx in a child process with `env`; killed when
 * the test ends. Its monitoring listener takes a free port unless `env` names one.
 */
export function spawnWorker(entry: string, env: Record<string, string>): SpawnedWorker {
  return spawnProcess(new URL(`../${entry}`, import.meta.url), { WORKER_HTTP_PORT: '0', ...env });
}
