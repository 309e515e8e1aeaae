/**
 * `pnpm bench`: every benchmark part in one run, then one table of the figures side by side.
 * Never fails on a time; every loop is bounded; loopback only; each part uses its own Redis
 * key prefix and deletes its keys when done.
 *
 *   pnpm bench                       # all parts
 *   pnpm bench --only enqueue,calls  # some parts (enqueue, e2e, capacity, calls, outbox, budget, previews, usage)
 *   pnpm bench --only budget --budget-baseline <ref>  # the budget part, also for a worker of another commit
 *   pnpm bench --baseline <ref>      # the API of another commit measured beside this one (default: see args.ts)
 *   pnpm bench --quick               # smaller counts (a smoke run)
 */
import os from 'node:os';
import { openBenchContext } from './context.js';
import { parseBenchArgs } from './args.js';
import { runBudget } from './parts/budget.js';
import { runCalls } from './parts/calls.js';
import { runCapacity } from './parts/capacity.js';
import { runE2e } from './parts/e2e.js';
import { runEnqueue } from './parts/enqueue.js';
import { runOutbox } from './parts/outbox.js';
import { runPreviews } from './parts/previews.js';
import { runUsage } from './parts/usage.js';
import { printTable, type Row } from './table.js';

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  const ctx = await openBenchContext();
  // Ctrl-C: still delete the keys of every part started so far.
  process.once('SIGINT', () => {
    console.error('[bench] interrupted; cleaning up');
    void ctx.close().finally(() => process.exit(130));
  });
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const rows: Row[] = [];
  const started = performance.now();
  try {
    for (const part of args.parts) {
      const t0 = performance.now();
      console.error(`[bench] ${part}…`);
      if (part === 'enqueue') rows.push(...(await runEnqueue(ctx, args.enqueue)));
      if (part === 'e2e') rows.push(...(await runE2e(ctx, args.e2e)));
      if (part === 'capacity') rows.push(...(await runCapacity(ctx, args.capacity)));
      if (part === 'calls') rows.push(...(await runCalls(ctx, args.calls)));
      if (part === 'outbox') rows.push(...(await runOutbox(ctx, args.outbox)));
      if (part === 'budget') rows.push(...(await runBudget(ctx, args.budget)));
      if (part === 'previews') rows.push(...(await runPreviews(ctx, args.previews)));
      if (part === 'usage') rows.push(...(await runUsage(ctx, args.usage)));
      console.error(`[bench] ${part} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await ctx.close();
  }
  const loadAfter = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  printTable(
    `neonops benchmarks — ${os.cpus().length} cores, node ${process.version}, Redis from ${ctx.redisSource}; ` +
      `load average before ${load}, after ${loadAfter}; ${((performance.now() - started) / 1000).toFixed(0)} s`,
    rows,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
