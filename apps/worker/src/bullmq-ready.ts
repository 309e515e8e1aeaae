/** What a BullMQ `Worker`, `QueueEvents` or `Queue` offers to wait for its connections. */
interface Handshaking {
  waitUntilReady(): Promise<unknown>;
}

/**
 * Resolves once each BullMQ object has finished its connections' handshake (a `Worker`: its
 * own connection and the blocking one it duplicates; a `Queue`: the one it was given). Every
 * start function of the worker awaits it for its workers and queues before it returns, and
 * `IntentWorker.close` before it closes, because closing a BullMQ connection still in its
 * handshake leaves a rejection nobody can handle: BullMQ's `RedisConnection.close()` drops its
 * listeners at once (and disconnects a connection of its own), then the handshake's `INFO`
 * fails — "Connection is closed.", or "Cluster is ended." once we quit a shared cluster
 * connection — and BullMQ re-emits that as `error` on an emitter with no listener left: an
 * unhandled rejection (taskforcesh/bullmq#3546). A worker closed right after it started did
 * that (see close-at-once.test.ts). Waiting costs one round trip; while Redis is away the start
 * waits anyway (the monitoring's queues excepted: it bounds its wait).
 */
export async function handshaken(...targets: (Handshaking | undefined)[]): Promise<void> {
  await Promise.all(targets.map((target) => target?.waitUntilReady()));
}
