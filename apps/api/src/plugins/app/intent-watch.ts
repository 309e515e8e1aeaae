import { duplicateRedis } from '@neonops/intents';
import fp from 'fastify-plugin';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';

declare module 'fastify' {
  interface FastifyInstance {
    intentWatch: IntentWatch;
  }
}

/** Why a wait for an intent's next change ended. */
export type WaitOutcome = 'changed' | 'timeout' | 'aborted';

/**
 * Follows one intent: `next()` resolves at its next change. A change that happens between
 * two `next()` calls is kept (not lost), and several changes before the next call count once:
 * the follower re-reads the record, which holds the latest state anyway.
 */
export interface IntentFollower {
  next(timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome>;
  close(): void;
}

/**
 * Tells the followers of an intent (long-polls, SSE streams) that it changed, so they re-read
 * it instead of polling Redis: one subscriber connection per API process listens to the
 * store's events channel, on which every update and finish publishes the intent's id from
 * the same script as the change. A notice can be missed while the subscriber reconnects; then
 * every follower is told to re-read, so nobody waits on a change that already happened.
 */
export class IntentWatch {
  private readonly followers = new Map<string, Set<() => void>>();

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
    log: FastifyBaseLogger,
  ) {
    subscriber.on('message', (from: string, intentId: string) => {
      if (from === this.channel) this.notify(intentId);
    });
    subscriber.on('ready', () => this.notifyAll());
    subscriber.on('error', (error: Error) => log.debug({ err: { message: error.message } }, 'intent events subscriber error'));
  }

  /**
   * Subscribes (ioredis re-subscribes by itself after a reconnect). Does not wait for Redis.
   * Once the subscription is confirmed every follower re-reads: a change made before then
   * (a follower that came while the subscriber was still connecting) sent no notice it heard.
   */
  start(): void {
    this.subscriber.subscribe(this.channel).then(
      () => this.notifyAll(),
      () => undefined,
    );
  }

  /** How many intents are followed now (for tests and metrics). */
  get size(): number {
    return this.followers.size;
  }

  /** How many followers wait on `intentId` now (for tests and metrics). */
  followersOf(intentId: string): number {
    return this.followers.get(intentId)?.size ?? 0;
  }

  follow(intentId: string): IntentFollower {
    let pending = false;
    let wake: ((outcome: WaitOutcome) => void) | undefined;
    const onChange = (): void => {
      if (wake) wake('changed');
      else pending = true;
    };
    const set = this.followers.get(intentId) ?? new Set();
    set.add(onChange);
    this.followers.set(intentId, set);
    return {
      next: (timeoutMs, signal) => {
        if (pending) {
          pending = false;
          return Promise.resolve('changed');
        }
        if (signal?.aborted) return Promise.resolve('aborted');
        return new Promise<WaitOutcome>((resolve) => {
          const timer = setTimeout(() => done('timeout'), Math.max(0, timeoutMs));
          const onAbort = (): void => done('aborted');
          const done = (outcome: WaitOutcome): void => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            wake = undefined;
            resolve(outcome);
          };
          wake = done;
          signal?.addEventListener('abort', onAbort, { once: true });
        });
      },
      close: () => {
        wake?.('aborted');
        set.delete(onChange);
        if (set.size === 0 && this.followers.get(intentId) === set) this.followers.delete(intentId);
      },
    };
  }

  private notify(intentId: string): void {
    for (const onChange of this.followers.get(intentId) ?? []) onChange();
  }

  private notifyAll(): void {
    for (const set of this.followers.values()) for (const onChange of set) onChange();
  }
}

export interface IntentWatchPluginOptions {
  /** The store's events channel (`IntentStore.eventsChannel`). */
  channel: string;
}

/** One subscriber connection per API process (a duplicate of the command connection that may wait for Redis). */
export default fp<IntentWatchPluginOptions>(
  async (fastify, options) => {
    const subscriber = duplicateRedis(fastify.redis, { enableOfflineQueue: true, maxRetriesPerRequest: null, enableAutoPipelining: false });
    const watch = new IntentWatch(subscriber, options.channel, fastify.log);
    watch.start();
    fastify.decorate('intentWatch', watch);
    fastify.addHook('onClose', async () => {
      // Not QUIT: with Redis away it would wait in the offline queue forever; a subscriber has nothing to flush.
      subscriber.disconnect();
    });
  },
  { name: 'intent-watch', dependencies: ['redis'] },
);
