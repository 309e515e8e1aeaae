import { z } from 'zod';

/**
 * The BullMQ queue of GitHub post-backs (a commit status and a comment on the pull request
 * of a preview intent). The API adds a job when it accepts a delivery (`pending`); the
 * worker's outbox consumer adds one when the intent ends. Each job posts what the intent's
 * record says *now*, so jobs may run late, twice or out of order.
 */
export const GITHUB_POST_BACK_QUEUE = 'github-post-back';

export const postBackJobSchema = z.object({ intentId: z.string().min(1) });
export type PostBackJobData = z.infer<typeof postBackJobSchema>;

/** When a post-back job was added: at acceptance (`queued`) or at the intent's end (`end`). */
export type PostBackPhase = 'queued' | 'end';

/** One job per intent and phase: a repeated add (a redelivered outbox event) is a no-op while the job is kept. */
export const postBackJobId = (intentId: string, phase: PostBackPhase): string => `${intentId}-${phase}`;

/** Tries and backoff of a post-back job: GitHub 5xx, 429 and network errors are retried for about 17 minutes. */
export const POST_BACK_JOB_OPTIONS = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 7 * 86_400, count: 5000 },
} as const;
