import { TeamDirectory, hashToken } from '@neonops/api';

export const BENCH_TOKEN = 'bench-token';
export const BENCH_TEAM = 'bench';
export const BENCH_PROJECT = 'p-bench';

/** One team that may use the bench project, without a practical cap on active intents or requests per minute. */
export function benchTeams(): TeamDirectory {
  return new TeamDirectory([
    { id: BENCH_TEAM, tokenHashes: [hashToken(BENCH_TOKEN)], projects: [BENCH_PROJECT], limits: { maxActiveIntents: 10_000_000, requestsPerMinute: 100_000_000 } },
  ]);
}
