/**
 * One worker process for the benchmarks (`startWorker` from @neonops/worker), steered over
 * IPC so that its CPU time and memory are its own: the parent sends `go` (start the
 * worker), `usage` (answer process.cpuUsage() and RSS) and `stop` (close and exit).
 * Configuration comes from the environment the parent sets, parsed by the worker's loadConfig.
 */
import { loadConfig, startWorker, type RunningWorker } from '@neonops/worker';

type Command = { type: 'go' } | { type: 'usage' } | { type: 'stop' };

const send = (message: unknown) => process.send?.(message);
const config = loadConfig(process.env);
let running: RunningWorker | undefined;

process.on('message', (command: Command) => {
  void (async () => {
    if (command.type === 'go') {
      running = await startWorker(config);
      send({ type: 'started' });
    } else if (command.type === 'usage') {
      send({ type: 'usage', cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
    } else {
      await running?.close();
      send({ type: 'stopped' });
      process.exit(0);
    }
  })().catch((error: unknown) => {
    process.stderr.write(`bench worker: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
});
send({ type: 'loaded' });
