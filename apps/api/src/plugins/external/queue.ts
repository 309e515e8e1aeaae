import { bullPrefix, INTENTS_QUEUE, type IntentJobData } from '@neonops/intents';
import { Queue, type JobsOptions } from 'bullmq';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The BullMQ queue the API adds intent jobs to (on the fail-fast Redis connection). */
    intentsQueue: Queue<IntentJobData>;
  }
}

/** Defaults for every intent job; the worker reads retries and retention from here. */
export const defaultIntentJobOptions: JobsOptions = {
  /** BullMQ-level attempts for errors the worker rethrows as retryable; Neon polling uses DelayedError instead. */
  attempts: 8,
  backoff: { type: 'exponential', delay: 1000 },
  /** Finished jobs are kept a day (the intent record keeps the outcome for its retention). */
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export interface QueuePluginOptions {
  /** Service key prefix; the BullMQ prefix is `bullPrefix(keyPrefix)`. */
  keyPrefix: string;
  /** Default `defaultIntentJobOptions`. */
  jobOptions?: JobsOptions;
}

/** The intents queue, sharing the API's Redis connection (BullMQ does not close a shared connection). */
export default fp<QueuePluginOptions>(
  async (fastify, options) => {
    const queue = new Queue<IntentJobData>(INTENTS_QUEUE, {
      connection: fastify.redis,
      prefix: bullPrefix(options.keyPrefix),
      defaultJobOptions: options.jobOptions ?? defaultIntentJobOptions,
    });
    queue.on('error', (error: Error) => fastify.log.warn({ err: { message: error.message } }, 'intents queue error'));
    fastify.decorate('intentsQueue', queue);
    fastify.addHook('onClose', async () => {
      await queue.close();
    });
  },
  { name: 'intents-queue', dependencies: ['redis'] },
);
