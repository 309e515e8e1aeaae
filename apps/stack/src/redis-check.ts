import { createRedis, deleteKeysUnder } from '@neonops/intents';

export { redisAnswers } from '@neonops/intents';

/** Deletes every key under `prefix` with SCAN + UNLINK on every master (never FLUSHALL: the Redis may be shared). */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const client = createRedis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await deleteKeysUnder(client, prefix);
  } finally {
    client.disconnect();
  }
}
