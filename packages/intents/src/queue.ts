import { z } from 'zod';
import { bullPrefix } from './queue-prefix.js';
import { intentKindSchema } from './catalog.js';

/** The BullMQ queue that carries intents from the API to the workers. */
export const INTENTS_QUEUE = 'intents';

/**
 * What the API puts in a job. The worker adds its checkpoint under `checkpoint`; job
 * data never holds secrets (dashboards show it).
 */
export const intentJobDataSchema = z.object({
  intentId: z.string(),
  teamId: z.string(),
  kind: intentKindSchema,
});
export type IntentJobData = z.infer<typeof intentJobDataSchema>;

/** BullMQ job ids are intent ids, so a job is found from its intent and never added twice. */
export const intentJobId = (intentId: string): string => intentId;

/**
 * The key of the BullMQ lock of an intent's job (`<bull prefix>:intents:<job id>:lock`),
 * which holds the token of the worker running it; store writes fenced by it are refused
 * once the job has moved to another worker.
 */
export const intentJobLockKey = (keyPrefix: string, intentId: string): string =>
  `${bullPrefix(keyPrefix)}:${INTENTS_QUEUE}:${intentJobId(intentId)}:lock`;

/**
 * Options of every intent job, wherever it is added (the API, the sweeper). The engine ends
 * intents itself (its failures are final: `UnrecoverableError`); an attempt that throws
 * outside that — Redis refused a write (OOM, READONLY during a failover), the connection
 * broke — is tried again by BullMQ with backoff (2 s doubling, about 17 minutes in all), so
 * a short Redis outage never fails an intent for good. Past that the sweeper ends it with
 * `worker_lost`.
 */
export const intentJobOptions = { attempts: 10, backoff: { type: 'exponential', delay: 2000 } } as const;
