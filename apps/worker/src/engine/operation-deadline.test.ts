import { describe, expect, it } from 'vitest';
import { operationDeadline, stuckMessage } from './operation-deadline.js';

describe('operationDeadline', () => {
  const settings = { operationDeadlineMs: 900_000 };
  it('is the setting while the batch kind is unknown or quick', () => {
    expect(operationDeadline(undefined, settings)).toBe(900_000);
    expect(operationDeadline(2000, settings)).toBe(900_000);
    expect(operationDeadline(Number.NaN, settings)).toBe(900_000);
  });
  it('is 4 × the learned duration when that is longer', () => {
    expect(operationDeadline(600_000, settings)).toBe(2_400_000);
    expect(operationDeadline(300, { operationDeadlineMs: 1000 })).toBe(1200);
  });
});

describe('stuckMessage', () => {
  it('names each operation with its action and status', () => {
    const message = stuckMessage(
      [
        { id: 'op-1', action: 'create_branch', status: 'running' },
        { id: 'op-2', action: 'start_compute', status: 'scheduling' },
      ] as never,
      1_234_000,
      900_000,
    );
    expect(message).toBe(
      'Neon operations op-1 (create_branch, running), op-2 (start_compute, scheduling) not finished after 1234.0 s (deadline 900.0 s); gave up waiting and released the project',
    );
  });
});
