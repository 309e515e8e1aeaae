import { describe, expect, it } from 'vitest';
import { OperationTimings } from './operation-timings.js';
import { nextPollDelay, type PollScheduleSettings } from './poll-schedule.js';
import { DEFAULT_ENGINE_SETTINGS } from './run-intent.js';

const s: PollScheduleSettings = DEFAULT_ENGINE_SETTINGS;

/** Polls a batch that truly takes `trueMs` with the schedule; how many polls, and how late the last one came. */
function simulate(trueMs: number, expectedMs: number | undefined, settings = s) {
  let t = 0;
  let polls = 0;
  for (;;) {
    t += nextPollDelay({ polls, elapsedMs: t, expectedMs }, settings);
    if (t >= trueMs) return { calls: polls + 1, lateMs: t - trueMs };
    polls++;
  }
}

describe('poll schedule', () => {
  it('doubles from pollInitialMs up to pollMaxMs while nothing is known about the batch', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6].map((polls) => nextPollDelay({ polls, elapsedMs: 0, expectedMs: undefined }, s));
    expect(delays).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(nextPollDelay({ polls: 2, elapsedMs: undefined, expectedMs: 4000 }, s)).toBe(800);
  });

  it('waits until the expected end plus the margin, bounded by pollExpectMaxMs', () => {
    expect(nextPollDelay({ polls: 0, elapsedMs: 5, expectedMs: 4000 }, s)).toBe(4045);
    expect(nextPollDelay({ polls: 0, elapsedMs: 0, expectedMs: 60_000 }, s)).toBe(60_050);
    expect(nextPollDelay({ polls: 0, elapsedMs: 0, expectedMs: 3_600_000 }, s)).toBe(300_000);
  });

  it('polls quickly just after the expected end, backing off as the overdue time grows', () => {
    expect(nextPollDelay({ polls: 1, elapsedMs: 4100, expectedMs: 4000 }, s)).toBe(250);
    expect(nextPollDelay({ polls: 3, elapsedMs: 12_000, expectedMs: 4000 }, s)).toBe(2000);
    expect(nextPollDelay({ polls: 9, elapsedMs: 100_000, expectedMs: 4000 }, s)).toBe(5000);
    // Short batches poll at a quarter of their duration, never below pollInitialMs.
    expect(nextPollDelay({ polls: 1, elapsedMs: 500, expectedMs: 400 }, s)).toBe(200);
    expect(nextPollDelay({ polls: 1, elapsedMs: 90, expectedMs: 80 }, { ...s, pollInitialMs: 20 })).toBe(20);
  });

  it('needs one poll for a learned 2 s + 2 s batch (the doubling schedule needs 5, about 2 s late)', () => {
    const learned = simulate(4000, 4000);
    expect(learned.calls).toBe(1);
    expect(learned.lateMs).toBeLessThanOrEqual(s.pollMarginMs);
    const doubling = simulate(4000, undefined);
    expect(doubling.calls).toBe(5);
    expect(doubling.lateMs).toBeGreaterThan(1000);
    // An estimate 20 % short costs two quick polls more, and at most pollNearMs of latency.
    const short = simulate(4000, 3200);
    expect(short.calls).toBeLessThanOrEqual(4);
    expect(short.lateMs).toBeLessThanOrEqual(s.pollNearMs);
  });
});

describe('OperationTimings', () => {
  it('keys a batch by its sorted actions', () => {
    expect(OperationTimings.keyOf(['start_compute', 'create_branch'])).toBe('create_branch+start_compute');
  });

  it('expects the 75th percentile of recent samples: robust to one outlier, slightly late rather than early', () => {
    const t = new OperationTimings();
    expect(t.expectedMs('a')).toBeUndefined();
    for (const ms of [4000, 4010, 3990, 4005]) t.observe('a', ms);
    expect(t.expectedMs('a')).toBe(4005);
    t.observe('a', 600_000);
    expect(t.expectedMs('a')).toBe(4010);
    t.observe('a', Number.NaN);
    t.observe('a', -1);
    expect(t.expectedMs('a')).toBe(4010);
  });

  it('forgets old samples and old keys', () => {
    const t = new OperationTimings({ window: 2, maxKeys: 2 });
    for (const ms of [100, 200, 300]) t.observe('a', ms);
    expect(t.expectedMs('a')).toBe(300);
    t.observe('b', 1);
    t.observe('c', 2);
    expect(t.expectedMs('a')).toBeUndefined();
    expect(t.expectedMs('c')).toBe(2);
  });
});
