/**
 * A worker in its own process, for tests that kill or signal it (run with tsx). Config comes
 * from the environment like main.ts. Crash points (the process SIGKILLs itself there):
 * - `CRASH_AFTER_MUTATION=<step>` or `CRASH_AT=worker.after_neon_post:<step>`: right after
 *   that step's Neon call returned, before its checkpoint is saved;
 * - `CRASH_AT=worker.before_finish`: right before the intent's end is written;
 * - `CRASH_AT=worker.after_finish`: right after it was written (its event is in the outbox);
 * - `CRASH_AT=worker.mid_publish`: after the first webhook delivery of an event was made,
 *   before the others.
 * - `CRASH_AT=budget.before_emit` / `budget.after_emit`: in a budget watch tick, before or
 *   after the first threshold's mark and outbox entry were written.
 * `PAUSE_AT=<point>` stops the process there instead (SIGSTOP: a long GC pause, a frozen VM);
 * the test resumes it with SIGCONT.
 * `BUDGET_CLOCK=<ISO time>`: the budget watch's clock stands at that time (a test's processes
 * all measure one month).
 */
import { loadConfig } from '../config.js';
import { startWorker } from '../main.js';

const crashAt = process.env.CRASH_AT ?? (process.env.CRASH_AFTER_MUTATION ? `worker.after_neon_post:${process.env.CRASH_AFTER_MUTATION}` : '');
const pauseAt = process.env.PAUSE_AT;
const crash = (point: string): void => {
  if (point === pauseAt) {
    process.stdout.write(`pausing at ${point}\n`);
    process.kill(process.pid, 'SIGSTOP');
    process.stdout.write(`resumed at ${point}\n`);
  }
  if (point !== crashAt) return;
  process.stdout.write(`crashing at ${point}\n`);
  process.kill(process.pid, 'SIGKILL');
};
// Several of these run at once in a test: each takes a free port for its /metrics listener
// unless the test names one (the default 9464 would be taken by the first).
const running = await startWorker(loadConfig({ WORKER_HTTP_PORT: '0', ...process.env }), {
  hooks: {
    afterMutation: ({ step }) => crash(`worker.after_neon_post:${step}`),
    beforeFinish: () => crash('worker.before_finish'),
    onFinished: () => crash('worker.after_finish'),
  },
  onDelivery: () => crash('worker.mid_publish'),
  budgetCrashPoints: (point) => crash(point),
  ...(process.env.BUDGET_CLOCK ? { budgetClock: () => new Date(process.env.BUDGET_CLOCK as string) } : {}),
});
process.stdout.write('worker-process ready\n');
const stop = (): void => {
  void running.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
