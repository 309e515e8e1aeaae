import { TeamDirectory, hashToken, type buildApp } from '@neonops/api';
import { SecretBox } from '@neonops/intents';

export const BENCH_TOKEN = 'bench-token';
export const BENCH_TEAM = 'bench';
export const BENCH_PROJECT = 'p-bench';

/** One team that may use the bench project, without a practical cap on active intents or requests per minute. */
export function benchTeams(): TeamDirectory {
  return new TeamDirectory([
    { id: BENCH_TEAM, tokenHashes: [hashToken(BENCH_TOKEN)], projects: [BENCH_PROJECT], limits: { maxActiveIntents: 10_000_000, requestsPerMinute: 100_000_000 } },
  ]);
}

/** What the bench builds its API with (`buildApp`): its own Redis prefix, the bench team, a fresh secret box, Neon always up. */
export function benchApiOptions(redisUrl: string, keyPrefix: string, extra: { metrics?: false } = {}): Parameters<typeof buildApp>[0] {
  return { ...extra, redis: { url: redisUrl }, keyPrefix, teams: benchTeams(), secretBox: new SecretBox(SecretBox.generateKey()), probeNeon: async () => ({ ok: true }) };
}
