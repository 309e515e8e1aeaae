
/** CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), the checksum Redis Cluster hashes keys with. */
const CRC16_TABLE = Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  return crc;
}

/**
 * The Redis Cluster hash slot of a key (0–16383), as the cluster computes it: CRC16 of the
 * part between the first `{` and the next `}` when that part is not empty, else of the whole
 * key (https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/).
 */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % 16384;
  }
  return crc16(bytes) % 16384;
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
