/**
 * What a batch of Neon operations is expected to take before any batch of its kind was seen
 * to its end (a fresh deployment, a new key prefix, an action met for the first time): a
 * prior, replaced by the learned duration as soon as one such batch finished (see
 * `OperationTimings`). With it, the first intent of a kind polls near the batch's end (POST,
 * one poll, maybe a second one) instead of on the doubling schedule (5 polls for 4 s).
 *
 * The figures are rough typical durations of Neon's actions (a branch is copy-on-write: its
 * timeline appears in about a second; a compute starts in about a second or two, more when
 * its image is cold). They are a hint only: too short costs a poll or two (the progress of
 * the batch then says when the rest is due, `progressEstimateMs`), too long costs latency
 * on the first intent of a kind only.
 */
export const NEON_TYPICAL_ACTION_MS: Readonly<Record<string, number>> = {
  create_branch: 1500,
  create_timeline: 1500,
  create_compute: 1500,
  start_compute: 1500,
  suspend_compute: 1000,
  apply_config: 1000,
  delete_timeline: 1000,
};

/** The prior of any other action (the enum grows; rarer actions such as `tenant_attach` take about as long). */
export const NEON_UNKNOWN_ACTION_MS = 1000;

/**
 * The prior of a batch, keyed like `OperationTimings.keyOf` (its actions sorted, joined by
 * `+`): Neon runs a mutation's operations one after another, so their typical durations add up.
 */
export function neonPriorMs(key: string): number | undefined {
  if (key === '') return undefined;
  return key.split('+').reduce((sum, action) => sum + (NEON_TYPICAL_ACTION_MS[action] ?? NEON_UNKNOWN_ACTION_MS), 0);
}
