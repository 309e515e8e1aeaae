/** What a BullMQ `Worker`, `QueueEvents` or `Queue` offers to wait for its connections. */
interface Handshaking {
  waitUntilReady(): Promise<unknown>;
}

/**
 * Resolves once each BullMQ object has finished its connections' handshake (a `Worker`: its
 * own connection and the blocking one it duplicates). Every start function of the worker
 * awaits it before it returns, and `IntentWorker.close` before it closes, because closing a
 * BullMQ connection still in its handshake leaves a rejection nobody can handle: BullMQ's
 * `RedisConnection.close()` disconnects it and drops its listeners at once, then the
 * handshake's `INFO` fails with "Connection is closed." and BullMQ re-emits that as `error`
 * on an emitter with no listener left — an unhandled rejection (taskforcesh/bullmq#3546). A
 * worker closed right after it started did that (see shutdown.test.ts). Waiting costs one
 * round trip; while Redis is away the start waits anyway.
 */
export async function handshaken(...targets: (Handshaking | undefined)[]): Promise<void> {
  await Promise.all(targets.map((target) => target?.waitUntilReady()));
}
