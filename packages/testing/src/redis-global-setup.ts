import type { TestProject } from 'vitest/node';
import './provided-context.js';
import { startTestRedis } from './redis-server.js';


/**
 * Vitest global setup: finds or starts one Redis for the whole run and hands its
 * URL to the tests through `inject('redisUrl')`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startTestRedis();
  project.provide('redisUrl', redis.url);
  return () => redis.stop();
}
