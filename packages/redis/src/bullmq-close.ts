import type { Redis } from 'ioredis';

/** A BullMQ `Worker` as {@link closeWorker} sees it. */
export interface ClosableWorker {
  close(): Promise<void>;
}

/**
 * The client of a BullMQ worker's blocking connection (`Worker.blockingConnection._client`,
 * not in BullMQ's typings), or undefined where a BullMQ version keeps it elsewhere.
 */
function blockingClient(worker: ClosableWorker): Pick<Redis, 'status' | 'connect'> | undefined {
  const client = (worker as { blockingConnection?: { _client?: unknown } }).blockingConnection?._client;
  return client && typeof client === 'object' && 'status' in client && 'connect' in client ? (client as Redis) : undefined;
}

/**
 * Closes a BullMQ worker: its running jobs finish first, as `Worker.close()` does, but the
 * close does not hang on a blocking connection that waits to reconnect.
 *
 * `Worker.close()` disconnects the blocking connection and waits for its `end` event and for
 * the blocked `BZPOPMIN` to fail. An ioredis client disconnected between two reconnect
 * attempts (status `reconnecting`) has no socket to close: it never emits `end`, and the close
 * waits for ever (taskforcesh/bullmq#4656, #4065; open in 5.81). That is the state of every
 * blocking connection while Redis is away, and for up to the reconnect delay after it is
 * back: a SIGTERM then hung the worker's shutdown.
 *
 * A client in that state is made to try now, for at most `withinMs`:
 * - Redis is back: it reaches `ready` and sends its blocked command again, which the
 *   close's disconnect then fails at once;
 * - Redis is away: it is closed while its next attempt's socket is connecting, which ends it.
 */
export async function closeWorker(worker: ClosableWorker, withinMs = 3000): Promise<void> {
  const client = blockingClient(worker);
  if (client?.status === 'reconnecting') await tryNow(client, withinMs).catch(() => undefined);
  await worker.close();
}

/** Makes a client waiting to reconnect try now (see {@link closeWorker}); a failure only leaves it as it was. */
async function tryNow(client: Pick<Redis, 'status' | 'connect'>, withinMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)));
  // Refused only when it is connecting or connected already; a failed attempt is the client's own to report (`error`).
  await Promise.race([client.connect().catch(() => undefined), late]);
  clearTimeout(timer);
  if (client.status === 'reconnecting') {
    client.connect().catch(() => undefined);
    // The socket is made on the next tick: a disconnect before it would end the attempt through an error instead.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
