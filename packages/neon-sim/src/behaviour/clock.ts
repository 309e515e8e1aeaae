/** The simulator's time source (epoch milliseconds). */
export interface SimClock {
  now(): number;
}

export const systemClock: SimClock = { now: () => Date.now() };

/** A clock that only moves when told to: operations, rate windows and consumption follow it. */
export interface ManualClock extends SimClock {
  /** Moves time forward by `ms`. */
  advance(ms: number): void;
  /** Jumps to an absolute time (epoch ms); never backwards. */
  set(epochMs: number): void;
}

/** Creates a {@link ManualClock} starting at `startMs` (default 2026-01-01T00:00:00Z). */
export function createManualClock(startMs = Date.UTC(2026, 0, 1)): ManualClock {
  let now = startMs;
  return {
    now: () => now,
    advance(ms) {
      if (ms < 0) throw new RangeError('a clock cannot go backwards');
      now += ms;
    },
    set(epochMs) {
      if (epochMs < now) throw new RangeError('a clock cannot go backwards');
      now = epochMs;
    },
  };
}
