/** What a BullMQ `Worker`, `QueueEvents` or `Queue` offers to wait for its connections. */
export interface Handshaking {
  waitUntilReady(): Promise<unknown>;
}

/**
 * Resolves once each BullMQ object has finished its connections' handshake (a `Worker`: its
 * own connection and the blocking one it duplicates; a `Queue`: the one it was given).
 *
 * Why it matters: closing a BullMQ connection still in its handshake leaves a rejection nobody
 * can handle. BullMQ's `RedisConnection.close()` drops its listeners at once (and disconnects a
 * connection of its own); then the handshake's `INFO` fails ("Connection is closed.", or
 * "Cluster is ended." once the shared cluster connection is quit) and BullMQ re-emits that as
 * `error` on an emitter with no listener left: an unhandled rejection (taskforcesh/bullmq#3546).
 * Every start function of the worker awaits this for its workers and queues before it returns;
 * the API, whose start must not wait for Redis, waits at close instead ({@link closeHandshaken}).
 */
export async function handshaken(...targets: (Handshaking | undefined)[]): Promise<void> {
  await Promise.all(targets.map((target) => target?.waitUntilReady()));
}

/**
 * {@link handshaken}, but never longer than `withinMs` and never rejecting: `true` when every
 * handshake finished. For starts and closes that must not hang while Redis is away.
 */
export async function handshakenWithin(withinMs: number, ...targets: (Handshaking | undefined)[]): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), withinMs);
  });
  const done = handshaken(...targets).then(
    () => true,
    () => false,
  );
  const outcome = await Promise.race([done, late]);
  clearTimeout(timer);
  return outcome;
}

/**
 * Closes a BullMQ queue (or worker) once its handshake is done, waiting at most `withinMs`
 * for it (default 2 s): a queue made at start and closed before Redis answered its `INFO`
 * would otherwise leave an unhandled rejection (see {@link handshaken}).
 */
export async function closeHandshaken(target: Handshaking & { close(): Promise<void> }, withinMs = 2000): Promise<void> {
  await handshakenWithin(withinMs, target);
  await target.close();
}
