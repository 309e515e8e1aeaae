import { describe, expect, it } from 'vitest';
import { intentIdFloor, intentIdPattern, intentIdTime, newIntentId } from './ids.js';

describe('intent ids', () => {
  it('are unique, well-formed and sort by creation time', () => {
    const early = newIntentId(new Date('2026-01-01T00:00:00Z'));
    const late = newIntentId(new Date('2026-01-01T00:00:00.001Z'));
    expect(early).toMatch(intentIdPattern);
    expect(early < late).toBe(true);
    expect(newIntentId()).not.toBe(newIntentId());
    expect(intentIdFloor(new Date('2026-01-01T00:00:00.001Z')) > early).toBe(true);
    expect(intentIdFloor(new Date('2026-01-01T00:00:00.001Z')) <= late).toBe(true);
  });

  it('never repeat across refills of their random pool', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newIntentId(new Date('2026-01-01T00:00:00Z'))));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(intentIdPattern);
  });

  it('tell the time they were made', () => {
    const at = new Date('2026-11-29T12:34:56.789Z');
    expect(intentIdTime(newIntentId(at))).toEqual(at);
    expect(intentIdTime('int_nope')).toBeUndefined();
  });
});
