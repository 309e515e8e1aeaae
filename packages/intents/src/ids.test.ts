import { describe, expect, it } from 'vitest';
import { intentIdFloor, intentIdPattern, newIntentId } from './ids.js';

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
});
