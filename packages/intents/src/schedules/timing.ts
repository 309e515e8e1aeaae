import cronParser from 'cron-parser';

/**
 * When a team schedule runs: a 5-field cron pattern in an IANA time zone, or a fixed
 * interval. Both become a BullMQ job scheduler (`pattern` + `tz`, or `every`), and the next
 * runs shown here are computed with the library BullMQ computes them with (cron-parser 4,
 * `parseExpression(pattern, { currentDate, tz })`), so what a team sees is what runs.
 */
export type ScheduleTiming = { cron: string; timezone: string } | { everyMs: number };

/** Shortest interval a deployment accepts by default: one minute (a cron pattern cannot go below it either). */
export const DEFAULT_MIN_EVERY_MS = 60_000;

/** Longest interval: 366 days (an interval is for "every N minutes/hours/days"; use cron for calendars). */
export const MAX_EVERY_MS = 366 * 86_400_000;

/** True when `zone` is an IANA time zone this runtime knows (`Europe/Paris`, `UTC`, …). */
export function isTimeZone(zone: string): boolean {
  if (zone.trim() === '' || zone !== zone.trim()) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Why a cron pattern is not 5 valid fields, or undefined when it is. */
export function cronPatternProblem(pattern: string): string | undefined {
  const fields = pattern.trim().split(/\s+/);
  if (fields.length !== 5) return `must have 5 fields (minute hour day-of-month month day-of-week), not ${fields.length}`;
  try {
    cronParser.parseExpression(fields.join(' '), { currentDate: new Date(0), tz: 'UTC' }).next();
    return undefined;
  } catch (error) {
    return `is not a valid cron pattern (${error instanceof Error ? error.message : String(error)})`;
  }
}

const ISO_DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$/;

/** Milliseconds of an ISO 8601 duration of weeks, days, hours, minutes and seconds (`PT15M`, `P1D`, `PT1H30M`); undefined when not one. */
export function parseIsoDuration(text: string): number | undefined {
  const match = ISO_DURATION.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [, w, d, h, m, s] = match;
  const n = (v: string | undefined) => (v === undefined ? 0 : Number(v));
  return Math.round((((n(w) * 7 + n(d)) * 24 + n(h)) * 60 + n(m)) * 60_000 + n(s) * 1000);
}

/**
 * The timing fields of a schedule as a client writes them: `cron` (+ `timezone`, default
 * `UTC`) or `every` (milliseconds, or an ISO 8601 duration such as `PT15M`), exactly one.
 */
export interface ScheduleTimingInput {
  cron?: string | undefined;
  timezone?: string | undefined;
  every?: number | string | undefined;
}

/** One problem of a timing input, with the field it is about. */
export interface TimingIssue {
  path: 'cron' | 'timezone' | 'every';
  message: string;
}

/**
 * Checks timing fields and turns them into a `ScheduleTiming`, or lists what is wrong with
 * them (each naming its field). `minEveryMs` is the deployment's shortest interval.
 */
export function resolveTiming(input: ScheduleTimingInput, minEveryMs: number): { timing: ScheduleTiming } | { issues: TimingIssue[] } {
  const issues: TimingIssue[] = [];
  if (input.cron !== undefined && input.every !== undefined) {
    return { issues: [{ path: 'every', message: 'give either cron (with timezone) or every, not both' }] };
  }
  if (input.cron === undefined && input.every === undefined) {
    return { issues: [{ path: 'cron', message: 'give cron (with timezone) or every' }] };
  }
  if (input.cron !== undefined) {
    const problem = cronPatternProblem(input.cron);
    if (problem) issues.push({ path: 'cron', message: `cron ${problem}` });
    const timezone = input.timezone ?? 'UTC';
    if (!isTimeZone(timezone)) issues.push({ path: 'timezone', message: `${JSON.stringify(timezone)} is not an IANA time zone (e.g. Europe/Paris)` });
    if (issues.length > 0) return { issues };
    return { timing: { cron: input.cron.trim().split(/\s+/).join(' '), timezone } };
  }
  if (input.timezone !== undefined) return { issues: [{ path: 'timezone', message: 'timezone goes with cron; an interval has none' }] };
  const every = input.every;
  const everyMs = typeof every === 'number' ? every : parseIsoDuration(every ?? '');
  if (everyMs === undefined) return { issues: [{ path: 'every', message: 'every is milliseconds or an ISO 8601 duration such as PT15M' }] };
  if (everyMs < minEveryMs) return { issues: [{ path: 'every', message: `every must be at least ${minEveryMs} ms` }] };
  if (everyMs > MAX_EVERY_MS) return { issues: [{ path: 'every', message: `every must be at most ${MAX_EVERY_MS} ms (366 days); use cron for calendars` }] };
  return { timing: { everyMs } };
}

/**
 * The next `count` run times after `after`. A cron pattern: exactly as BullMQ computes its
 * job scheduler's next run (cron-parser 4 with `currentDate` and `tz`), so DST is handled by
 * the time zone (a local time that does not exist that day runs at the next one; one that
 * happens twice runs once). An interval: from `first` (the scheduler's next run when known),
 * else from `after`, every `everyMs`.
 */
export function nextRuns(timing: ScheduleTiming, after: Date, count: number, first?: Date): Date[] {
  const out: Date[] = [];
  if ('cron' in timing) {
    const interval = cronParser.parseExpression(timing.cron, { currentDate: first ? new Date(first.getTime() - 1) : after, tz: timing.timezone });
    for (let i = 0; i < count; i++) out.push(interval.next().toDate());
    return out;
  }
  const start = first?.getTime() ?? after.getTime() + timing.everyMs;
  for (let i = 0; i < count; i++) out.push(new Date(start + i * timing.everyMs));
  return out;
}

/** The BullMQ repeat options of a timing: `{ pattern, tz }` or `{ every }`. */
export function repeatOptionsOf(timing: ScheduleTiming): { pattern: string; tz: string } | { every: number } {
  return 'cron' in timing ? { pattern: timing.cron, tz: timing.timezone } : { every: timing.everyMs };
}
