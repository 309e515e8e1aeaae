import { spawnProcess, type SpawnedProcess } from '@neonops/testing';

export type SpawnedWorker = SpawnedProcess;

/**
 * Runs `entry` (a path relative to src/) with tsx in a child process with `env`; killed when
 * the test ends. Its monitoring listener takes a free port unless `env` names one.
 */
export function spawnWorker(entry: string, env: Record<string, string>): SpawnedWorker {
  return spawnProcess(new URL(`../${entry}`, import.meta.url), { WORKER_HTTP_PORT: '0', ...env });
}

/** The URL of a spawned worker's monitoring listener, once it logged it (`WORKER_HTTP_HOST=127.0.0.1`). */
export async function monitoringUrl(child: SpawnedWorker): Promise<string> {
  // The logger writes asynchronously: wait for the listener's own line, not only the ready mark.
  await child.waitForOutput('worker monitoring listening', 30_000);
  const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)","msg":"worker monitoring listening/.exec(child.output())?.[1];
  if (!url) throw new Error(`no listener in the output: ${child.output()}`);
  return url;
}
