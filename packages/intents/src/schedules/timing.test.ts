import { describe, expect, it } from 'vitest';
import { cronPatternProblem, isTimeZone, nextRuns, parseIsoDuration, repeatOptionsOf, resolveTiming } from './timing.js';

describe('schedule timing', () => {
  it('accepts 5-field cron patterns in an IANA zone and names the field of each problem', () => {
    expect(resolveTiming({ cron: ' 0  20 * * 1-5 ', timezone: 'Europe/Paris' }, 60_000)).toEqual({ timing: { cron: '0 20 * * 1-5', timezone: 'Europe/Paris' } });
    expect(resolveTiming({ cron: '*/5 * * * *' }, 60_000)).toEqual({ timing: { cron: '*/5 * * * *', timezone: 'UTC' } });
    expect(cronPatternProblem('0 0 20 * * 1')).toMatch(/5 fields/);
    expect(cronPatternProblem('61 * * * *')).toMatch(/not a valid cron/);
    expect(resolveTiming({ cron: '61 * * * *', timezone: 'Mars/Olympus' }, 60_000)).toEqual({
      issues: [expect.objectContaining({ path: 'cron' }), expect.objectContaining({ path: 'timezone' })],
    });
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('EST5EDT ')).toBe(false);
    expect(resolveTiming({ cron: '* * * * *', every: 60_000 }, 60_000)).toEqual({ issues: [expect.objectContaining({ path: 'every' })] });
    expect(resolveTiming({}, 60_000)).toEqual({ issues: [expect.objectContaining({ path: 'cron' })] });
    expect(resolveTiming({ every: 60_000, timezone: 'UTC' }, 60_000)).toEqual({ issues: [expect.objectContaining({ path: 'timezone' })] });
  });

  it('accepts intervals in ms or ISO 8601 durations, within the deployment minimum and a year', () => {
    expect(parseIsoDuration('PT15M')).toBe(900_000);
    expect(parseIsoDuration('P1DT1H30M')).toBe(91_800_000);
    expect(parseIsoDuration('PT0.5S')).toBe(500);
    expect(parseIsoDuration('P1W')).toBe(604_800_000);
    expect(parseIsoDuration('P')).toBeUndefined();
    expect(parseIsoDuration('PT')).toBeUndefined();
    expect(parseIsoDuration('15m')).toBeUndefined();
    expect(resolveTiming({ every: 'PT1H' }, 60_000)).toEqual({ timing: { everyMs: 3_600_000 } });
    expect(resolveTiming({ every: 59_999 }, 60_000)).toEqual({ issues: [{ path: 'every', message: 'every must be at least 60000 ms' }] });
    expect(resolveTiming({ every: 'P400D' }, 60_000)).toEqual({ issues: [expect.objectContaining({ path: 'every' })] });
    expect(resolveTiming({ every: 'soon' }, 60_000)).toEqual({ issues: [expect.objectContaining({ path: 'every' })] });
  });

  it('shows the next runs at the same local time across a DST change, as BullMQ computes them', () => {
    const timing = { cron: '0 9 * * *', timezone: 'Europe/Paris' };
    // Paris moves from UTC+1 to UTC+2 on Sunday 28 March 2027.
    expect(nextRuns(timing, new Date('2027-03-26T12:00:00Z'), 4).map((d) => d.toISOString())).toEqual([
      '2027-03-27T08:00:00.000Z',
      '2027-03-28T07:00:00.000Z',
      '2027-03-29T07:00:00.000Z',
      '2027-03-30T07:00:00.000Z',
    ]);
    // 02:30 does not exist on that day in Paris: that day's run is at the next existing time.
    const skipped = nextRuns({ cron: '30 2 * * *', timezone: 'Europe/Paris' }, new Date('2027-03-27T12:00:00Z'), 2).map((d) => d.toISOString());
    expect(skipped[1]).toBe('2027-03-29T00:30:00.000Z');
    expect(nextRuns({ everyMs: 1000 }, new Date(0), 3, new Date(5000)).map((d) => d.getTime())).toEqual([5000, 6000, 7000]);
    expect(repeatOptionsOf(timing)).toEqual({ pattern: '0 9 * * *', tz: 'Europe/Paris' });
    expect(repeatOptionsOf({ everyMs: 500 })).toEqual({ every: 500 });
  });
});
