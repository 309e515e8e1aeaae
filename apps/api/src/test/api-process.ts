/**
 * The API in its own process, for tests that kill it (run with tsx). Config comes from the
 * environment like main.ts; `CRASH_AT=<point>` (`api.after_record`, `api.after_job_add`)
 * makes the process SIGKILL itself at that point of `POST /v1/intents`.
 */
import { loadConfig } from '../config.js';
import { startApi } from '../main.js';

const crashAt = process.env.CRASH_AT;
const api = await startApi(loadConfig(process.env), {
  crashPoints: (point) => {
    if (point !== crashAt) return;
    process.stdout.write(`crashing at ${point}\n`);
    process.kill(process.pid, 'SIGKILL');
  },
});
process.stdout.write(`api-process ready ${api.url}\n`);
const stop = (): void => {
  void api.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
