/** One attempt's hold on a subscription: `at` is when its current POST started. */
export interface Slot {
  at: number;
}

export interface SubscriptionSlotsOptions {
  /** Attempts to one subscription at once. */
  maxInFlight: number;
  /** The tighter limit while the subscription is slow. */
  maxSlowInFlight: number;
  /** When an attempt counts as slow, in ms; also the longest a fast subscription's attempt waits for a slot. */
  slowMs: number;
}

/**
 * This process's attempts in flight per subscription, so that one slow receiver never takes
 * every dispatcher slot: a subscription gets at most `maxInFlight` attempts at once, and only
 * `maxSlowInFlight` while it is slow (one of its attempts has run longer than `slowMs`, or its
 * last attempt did). A slot is one POST at a time: a batch holds a slot across several POSTs
 * and marks each one's start with {@link lap}.
 */
export class SubscriptionSlots {
  private readonly inFlight = new Map<string, Slot[]>();
  private readonly lastWasSlow = new Set<string>();
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(private readonly options: SubscriptionSlotsOptions) {}

  /** Whether the subscription counts as slow now. */
  isSlow(subscriptionId: string): boolean {
    return this.slow(subscriptionId, this.inFlight.get(subscriptionId) ?? []);
  }

  /**
   * A slot for one attempt to the subscription. A fast subscription at its limit frees a slot
   * within milliseconds, so the caller waits for it here (at most `slowMs`) rather than
   * churning through the delayed set; a slow one gets no wait. Undefined: step aside.
   */
  async acquire(subscriptionId: string): Promise<Slot | undefined> {
    const deadline = performance.now() + this.options.slowMs;
    // A new attempt queues behind the ones already waiting (a freed slot is theirs: see `release`).
    let waited = false;
    for (;;) {
      const slot = this.take(subscriptionId, waited);
      if (slot) return slot;
      const remaining = deadline - performance.now();
      if (this.isSlow(subscriptionId) || remaining <= 0) return undefined;
      waited = true;
      await new Promise<void>((resolve) => {
        const set = this.waiters.get(subscriptionId) ?? new Set();
        this.waiters.set(subscriptionId, set);
        const wake = () => {
          clearTimeout(timer);
          set.delete(wake);
          if (set.size === 0) this.waiters.delete(subscriptionId);
          resolve();
        };
        const timer = setTimeout(wake, remaining);
        set.add(wake);
      });
    }
  }

  /** A further slot when one is free now and nobody waits for it; never waits. */
  tryAcquire(subscriptionId: string): Slot | undefined {
    return this.take(subscriptionId, false);
  }

  /** The slot's POST ended and another starts on it: the one that ended counts for slowness. */
  lap(subscriptionId: string, slot: Slot): void {
    this.noteSpeed(subscriptionId, slot);
    slot.at = performance.now();
  }

  /** Gives the slot back; the longest waiting attempt gets it (or, when slow now, every waiter steps aside). */
  release(subscriptionId: string, slot: Slot): void {
    this.noteSpeed(subscriptionId, slot);
    const slots = this.inFlight.get(subscriptionId) ?? [];
    const i = slots.indexOf(slot);
    if (i >= 0) slots.splice(i, 1);
    if (slots.length === 0) this.inFlight.delete(subscriptionId);
    const set = this.waiters.get(subscriptionId);
    if (!set) return;
    // Slow now: every waiter steps aside (they see it when they wake). Otherwise the freed slot
    // goes to the longest waiting attempt alone: waking all of them had each re-check and
    // re-arm its timer on every release, most of them for nothing.
    if (this.slow(subscriptionId, slots)) for (const wake of [...set]) wake();
    else set.values().next().value?.();
  }

  private take(subscriptionId: string, waited: boolean): Slot | undefined {
    const slots = this.inFlight.get(subscriptionId) ?? [];
    const limit = this.slow(subscriptionId, slots) ? Math.min(this.options.maxSlowInFlight, this.options.maxInFlight) : this.options.maxInFlight;
    const ahead = waited ? 0 : (this.waiters.get(subscriptionId)?.size ?? 0);
    if (ahead > 0 || slots.length >= limit) return undefined;
    const slot = { at: performance.now() };
    slots.push(slot);
    this.inFlight.set(subscriptionId, slots);
    return slot;
  }

  private slow(subscriptionId: string, slots: readonly Slot[]): boolean {
    const now = performance.now();
    return this.lastWasSlow.has(subscriptionId) || slots.some((s) => now - s.at > this.options.slowMs);
  }

  private noteSpeed(subscriptionId: string, slot: Slot): void {
    if (performance.now() - slot.at > this.options.slowMs) this.lastWasSlow.add(subscriptionId);
    else this.lastWasSlow.delete(subscriptionId);
  }
}
