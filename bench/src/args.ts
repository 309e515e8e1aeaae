import type { EnqueueOptions } from './parts/enqueue.js';

export const PARTS = ['enqueue', 'e2e', 'capacity', 'calls'] as const;
export type Part = (typeof PARTS)[number];

export interface BenchArgs {
  parts: Part[];
  enqueue: EnqueueOptions;
}

/** `--only a,b` picks parts; `--quick` shrinks every count (a smoke run, figures less stable). */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const quick = argv.includes('--quick');
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : [...PARTS];
  const unknown = only.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`unknown part(s) ${unknown.join(', ')}; known: ${PARTS.join(', ')}`);
  return {
    parts: PARTS.filter((p) => only.includes(p)),
    enqueue: { requests: quick ? 2000 : 6000, connections: 64 },
  };
}
