/**
 * A worker in its own process, for tests that kill or signal it (run with tsx). Config comes
 * from the environment like main.ts; `CRASH_AFTER_MUTATION=<step>` makes the process SIGKILL
 * itself right after that step's Neon call returned and before its checkpoint is saved.
 */
import { loadConfig } from '../config.js';
import { startWorker } from '../main.js';

const crashAfter = process.env.CRASH_AFTER_MUTATION;
const running = await startWorker(loadConfig(process.env), {
  hooks: {
    afterMutation: ({ step }) => {
      if (step === crashAfter) {
        process.stdout.write(`crashing after ${step}\n`);
        process.kill(process.pid, 'SIGKILL');
      }
    },
  },
});
process.stdout.write('worker-process ready\n');
const stop = (): void => {
  void running.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
