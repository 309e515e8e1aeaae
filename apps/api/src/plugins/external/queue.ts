import { bullPrefix, closeHandshaken, intentJobOptions, INTENTS_QUEUE, type IntentJobData } from '@neonops/intents';
import { Queue, type JobsOptions } from 'bullmq';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The BullMQ queue the API adds intent jobs to (on the fail-fast Redis connection). */
    intentsQueue: Queue<IntentJobData>;
  }
}

/**
 * Defaults for every intent job: `intentJobOptions` (the sweeper adds jobs with the same).
 * The worker retries inside the job (checkpoints, `DelayedError` backoff, its own retry
 * counter); BullMQ's attempts only cover an attempt that threw outside the engine (Redis
 * refused a write); a crashed worker's job is resumed as stalled, and the worker's options
 * decide how long finished jobs are kept.
 */
export const defaultIntentJobOptions: JobsOptions = { ...intentJobOptions, backoff: { ...intentJobOptions.backoff } };

export interface QueuePluginOptions {
  /** Service key prefix; the BullMQ prefix is `bullPrefix(keyPrefix)`. */
  keyPrefix: string;
  /** Default `defaultIntentJobOptions`. */
  jobOptions?: JobsOptions;
}

/** The intents queue on the API's fail-fast queue connection (BullMQ does not close a connection it was given). */
export default fp<QueuePluginOptions>(
  async (fastify, options) => {
    const queue = new Queue<IntentJobData>(INTENTS_QUEUE, {
      connection: fastify.queueRedis,
      prefix: bullPrefix(options.keyPrefix),
      defaultJobOptions: options.jobOptions ?? defaultIntentJobOptions,
      // No BullMQ telemetry: with tracing on (OTEL_EXPORTER_OTLP_ENDPOINT) the job of a kept
      // request trace is added under the request's span handed over explicitly (`jobAddTracer`,
      // see `IntentsService.submit`), which puts its context in the job; the API runs without
      // an async context manager, so BullMQ's own telemetry would see no active span anyway.
    });
    queue.on('error', (error: Error) => fastify.log.warn({ err: { message: error.message } }, 'intents queue error'));
    fastify.decorate('intentsQueue', queue);
    fastify.addHook('onClose', async () => {
      await closeHandshaken(queue);
    });
  },
  { name: 'intents-queue', dependencies: ['redis'] },
);
