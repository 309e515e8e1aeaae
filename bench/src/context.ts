import { randomUUID } from 'node:crypto';
import { deleteKeysWithPrefix, startTestRedis, type TestRedisServer } from '@neonops/testing';
import { Redis } from 'ioredis';

/** What every part gets: one Redis (found or started), and a fresh key prefix that is cleaned up after. */
export interface BenchContext {
  redisUrl: string;
  redisSource: TestRedisServer['source'];
  /** A new prefix `bench:<part>:<random>:`; its keys are deleted by {@link BenchContext.cleanup}. */
  prefix(part: string): string;
  /** Deletes every key of one prefix now (a part calls it when done). */
  cleanup(prefix: string): Promise<void>;
  close(): Promise<void>;
}

export async function openBenchContext(): Promise<BenchContext> {
  const server = await startTestRedis();
  const admin = new Redis(server.url);
  const prefixes = new Set<string>();
  return {
    redisUrl: server.url,
    redisSource: server.source,
    prefix(part) {
      const prefix = `bench:${part}:${randomUUID().slice(0, 8)}:`;
      prefixes.add(prefix);
      return prefix;
    },
    async cleanup(prefix) {
      await deleteKeysWithPrefix(admin, prefix);
      prefixes.delete(prefix);
    },
    async close() {
      for (const prefix of prefixes) await deleteKeysWithPrefix(admin, prefix);
      admin.disconnect();
      await server.stop();
    },
  };
}
