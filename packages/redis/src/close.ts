import type { Redis } from 'ioredis';

/** Whether `client` has ended (a call: the status changes under a disconnect, which TypeScript's narrowing cannot see). */
const hasEnded = (client: Redis): boolean => client.status === 'end';

/** Resolves `true` once `client` has ended (status `end`), `false` after `withinMs`. */
function endedWithin(client: Redis, withinMs: number): Promise<boolean> {
  if (client.status === 'end') return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const done = (ended: boolean) => {
      clearTimeout(timer);
      client.off('end', onEnd);
      resolve(ended);
    };
    const onEnd = () => done(true);
    const timer = setTimeout(() => done(client.status === 'end'), withinMs);
    client.once('end', onEnd);
  });
}

/**
 * Closes a connection made by `createRedis` (one Redis or a cluster) for good: `QUIT` (the
 * replies in flight still arrive), and when it has not ended within `withinMs` (default 2 s)
 * a disconnect. A connection that is not connected (never yet, or between reconnect
 * attempts) is only disconnected: that cancels its next attempt. Resolves `true` when it
 * reached `end`, `false` when it did not in time (it holds no socket then, or the disconnect
 * could not end it: never awaited for ever).
 *
 * Why not `quit().catch(() => disconnect())`: on a cluster, `quit()` can resolve while a node
 * connection the cluster made meanwhile (a slot refresh or a redirection racing the quit)
 * sits in the pool unconnected or still connecting. The cluster then stays `disconnecting`
 * for ever, and a node that goes on to connect holds a socket that keeps the process alive.
 * `disconnect()` empties the pool, which ends the cluster. Seen in CI, and in 1 of 900 closes
 * of the API on a local cluster; see `close.test.ts`.
 */
export async function closeRedis(client: Redis, withinMs = 2000): Promise<boolean> {
  if (client.status === 'end') return true;
  if (client.status !== 'ready' && client.status !== 'connect' && client.status !== 'connecting') {
    // Not connected (never yet, or between attempts): QUIT would connect it first. A disconnect
    // cancels a pending reconnect; without a socket there is nothing to wait for.
    client.disconnect();
    return hasEnded(client);
  }
  const ended = endedWithin(client, withinMs);
  // QUIT refused (a connection without an offline queue that is not connected yet): no wait.
  if (!(await client.quit().then(() => true, () => false))) client.disconnect();
  if (await ended) return true;
  client.disconnect();
  return endedWithin(client, withinMs);
}
