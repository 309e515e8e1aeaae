import calculateSlot from 'cluster-key-slot';

/** The Redis Cluster hash slot of a key (0–16383): of its first `{…}` hash tag, else of the whole key. */
export function keySlot(key: string): number {
  return calculateSlot(key);
}

/** A script or multi-key command was given keys of several hash slots: a Redis Cluster would refuse it (CROSSSLOT). */
export class CrossSlotError extends Error {
  readonly code = 'cross_slot';
  constructor(
    readonly command: string,
    readonly keys: readonly string[],
  ) {
    super(`${command} was given keys of different hash slots (${keys.join(', ')}); on a Redis Cluster it would fail with CROSSSLOT`);
    this.name = 'CrossSlotError';
  }
}

/**
 * Throws `CrossSlotError` unless every key is in one hash slot. Checked on every call of the
 * service's scripts, on one Redis too, so that any test run catches what a cluster would
 * refuse; it costs a CRC16 per key.
 */
export function assertOneSlot(command: string, keys: readonly string[]): void {
  const [first, ...rest] = keys;
  if (first === undefined) return;
  const slot = keySlot(first);
  for (const key of rest) if (keySlot(key) !== slot) throw new CrossSlotError(command, keys);
}
