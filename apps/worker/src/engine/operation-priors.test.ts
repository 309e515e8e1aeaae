import { describe, expect, it } from 'vitest';
import { NEON_UNKNOWN_ACTION_MS, neonPriorMs } from './operation-priors.js';
import { OperationTimings } from './operation-timings.js';
import { nextPollDelay, progressEstimateMs } from './poll-schedule.js';
import { DEFAULT_ENGINE_SETTINGS } from './run-intent.js';

describe('priors and the progress of a batch', () => {
  it('a batch prior adds up its actions (run one after another); an action Neon added later gets the default', () => {
    expect(neonPriorMs(OperationTimings.keyOf(['create_branch', 'start_compute']))).toBe(3000);
    expect(neonPriorMs('apply_config')).toBe(1000);
    expect(neonPriorMs('apply_config+some_new_action')).toBe(1000 + NEON_UNKNOWN_ACTION_MS);
    expect(neonPriorMs('')).toBeUndefined();
  });

  it('estimates the end from the finished operations, or from none finished yet', () => {
    // 1 of 2 done after 2000 ms: the batch ends near 4000 ms.
    expect(progressEstimateMs({ size: 2, pending: 1, doneMs: 2000, elapsedMs: 3050 })).toBe(4000);
    // None of 3 done after 1000 ms: each takes longer than that, the batch about 3000 ms.
    expect(progressEstimateMs({ size: 3, pending: 3, doneMs: undefined, elapsedMs: 1000 })).toBe(3000);
    // Nothing new to say: one operation still running, all done, or an estimate already past.
    expect(progressEstimateMs({ size: 1, pending: 1, doneMs: undefined, elapsedMs: 1000 })).toBeUndefined();
    expect(progressEstimateMs({ size: 2, pending: 0, doneMs: 2000, elapsedMs: 3000 })).toBeUndefined();
    expect(progressEstimateMs({ size: 2, pending: 1, doneMs: 1000, elapsedMs: 2500 })).toBeUndefined();
  });

  it('a prior short of the truth costs one more poll, not a series of quick ones', () => {
    const s = DEFAULT_ENGINE_SETTINGS;
    // Batch of two 2 s operations, prior 3 s: poll at 3050 (create_branch done at 2000), then at the estimate.
    const first = nextPollDelay({ polls: 0, elapsedMs: 0, expectedMs: neonPriorMs('create_branch+start_compute') }, s);
    expect(first).toBe(3050);
    const estimate = progressEstimateMs({ size: 2, pending: 1, doneMs: 2000, elapsedMs: first });
    const second = first + nextPollDelay({ polls: 1, elapsedMs: first, expectedMs: estimate }, s);
    expect(second).toBeGreaterThanOrEqual(4000);
    expect(second).toBeLessThanOrEqual(4100);
  });
});
