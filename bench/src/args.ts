import type { BudgetOptions } from './parts/budget.js';
import type { CallsOptions } from './parts/calls.js';
import type { CapacityOptions } from './parts/capacity.js';
import type { E2eOptions } from './parts/e2e.js';
import type { EnqueueOptions } from './parts/enqueue.js';
import type { OutboxOptions } from './parts/outbox.js';
import type { PreviewsOptions } from './parts/previews.js';
import type { UsageOptions } from './parts/usage.js';

export const PARTS = ['enqueue', 'e2e', 'capacity', 'calls', 'outbox', 'budget', 'previews', 'usage'] as const;

/**
 * The commit the enqueue part measures next to this tree: the intake before the atomic
 * idempotent create and the outbox (override with `--baseline <ref>`, `--baseline none`).
 */
export const DEFAULT_BASELINE_REF = 'c273426';
export type Part = (typeof PARTS)[number];

export interface BenchArgs {
  parts: Part[];
  enqueue: EnqueueOptions;
  e2e: E2eOptions;
  capacity: CapacityOptions;
  calls: CallsOptions;
  outbox: OutboxOptions;
  budget: BudgetOptions;
  previews: PreviewsOptions;
  usage: UsageOptions;
}

/**
 * `--only a,b` picks parts; `--quick` shrinks every count (a smoke run, figures less stable);
 * `--baseline <ref>` measures the API of another commit beside this one (`none`: don't).
 */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const quick = argv.includes('--quick');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : [...PARTS];
  const unknown = only.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`unknown part(s) ${unknown.join(', ')}; known: ${PARTS.join(', ')}`);
  const baselineAt = argv.indexOf('--baseline');
  const baseline = baselineAt >= 0 ? (argv[baselineAt + 1] ?? 'none') : DEFAULT_BASELINE_REF;
  // The budget part's A/B: a worker of that commit measured the same way (minutes more; default none).
  const budgetBaselineAt = argv.indexOf('--budget-baseline');
  const budgetBaseline = budgetBaselineAt >= 0 ? (argv[budgetBaselineAt + 1] ?? 'none') : 'none';
  return {
    parts: PARTS.filter((p) => only.includes(p)),
    enqueue: { requests: quick ? 2000 : 6000, connections: 64, ...(baseline === 'none' ? {} : { baselineRef: baseline }) },
    e2e: { intents: quick ? 300 : 2000, warmup: quick ? 50 : 200, projects: 50 },
    capacity: { intents: quick ? 1000 : 10_000, operationMs: 300_000, probes: 5, workerEnv: {} },
    calls: { intents: quick ? 4 : 10, operationMs: 2000 },
    outbox: { events: quick ? 100 : 400, burst: quick ? 500 : 2000 },
    budget: {
      intents: quick ? 200 : 1000,
      projects: quick ? 50 : 100,
      operationMs: 2000,
      perMinute: 700,
      ...(budgetBaseline === 'none' ? {} : { baselineRef: budgetBaseline }),
    },
    previews: { prs: quick ? 3 : 10, operationMs: 2000 },
    usage: { projects: quick ? 200 : 1000, hours: 24, readProjects: quick ? 20 : 100, requests: quick ? 20 : 100 },
  };
}

/** The value after `--<name>` on the command line (the bench aids' own flags), else `fallback`. */
export function flag(name: string, fallback: string, argv: readonly string[] = process.argv): string {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? (argv[at + 1] ?? fallback) : fallback;
}
