import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { parseOutboxEntry, type OutboxEntry, type OutboxEvent } from './outbox.js';

/** What a consumer needs to log; pino's logger fits. */
export interface OutboxLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface OutboxConsumerOptions {
  /**
   * A connection of the consumer's own for the blocking read (`XREADGROUP … BLOCK`); the
   * consumer closes it. Other commands would queue behind a blocked read, so it is not shared.
   */
  blocking: Redis;
  /** A command connection (acks, claims); shared, not closed by the consumer. */
  redis: Redis;
  /** The outbox stream (`outboxKey(prefix)`). */
  key: string;
  /** The consumer group: one per consumer *kind* (e.g. `webhooks`); every process of that kind joins it. */
  group: string;
  /** This process's name in the group. Default `<host>-<pid>-<random>`. */
  consumer?: string;
  /**
   * Handles one event. Resolving acknowledges it; throwing leaves it pending, to be taken
   * again after `reclaimIdleMs` (by this or any process). Must be idempotent by `id`: an
   * event can be handled more than once (a crash between the handling and the ack).
   */
  handle(event: OutboxEvent, id: string): Promise<void>;
  /** Longest block of one read in ms (also how long `close` may wait for it). Default 2000. */
  blockMs?: number;
  /** Entries read (and handled concurrently) at once. Default 50. */
  batch?: number;
  /**
   * An entry pending this long (its consumer died, or its handling failed) is taken over,
   * in ms. Default 10000.
   */
  reclaimIdleMs?: number;
  /** Pause after a Redis error before reading again, in ms. Default 1000. */
  errorPauseMs?: number;
  /**
   * How long `close` waits for events being handled, in ms; after it, they stay pending and
   * another process takes them over (a handler stuck on an unreachable Redis must not hold a
   * shutdown forever). Default 5000.
   */
  closeTimeoutMs?: number;
  logger: OutboxLogger;
}

/**
 * Reads the outbox through a consumer group and hands each event to `handle`, at least
 * once: an event is acknowledged only after its handling resolved, and an event left
 * pending (a failed handling, or a process that died) is reclaimed with `XAUTOCLAIM`
 * once it has been idle for `reclaimIdleMs`. The group starts at the stream's beginning,
 * so a group created after events were written still gets every event still kept.
 */
export class OutboxConsumer {
  private readonly consumer: string;
  private readonly blockMs: number;
  private readonly batch: number;
  private readonly reclaimIdleMs: number;
  private readonly errorPauseMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private nextReclaimAt = 0;

  constructor(private readonly options: OutboxConsumerOptions) {
    this.consumer = options.consumer ?? `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.blockMs = options.blockMs ?? 2000;
    this.batch = options.batch ?? 50;
    this.reclaimIdleMs = options.reclaimIdleMs ?? 10_000;
    this.errorPauseMs = options.errorPauseMs ?? 1000;
  }

  /** Creates the group if needed and starts reading. */
  async start(): Promise<void> {
    if (this.running) return;
    await ensureGroup(this.options.redis, this.options.key, this.options.group);
    this.running = true;
    this.loop = this.run();
  }

  /** Stops reading; events being handled finish (and are acknowledged) first, within `closeTimeoutMs`. */
  async close(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    // Interrupts a blocked read at once instead of waiting out `blockMs`.
    this.options.blocking.disconnect();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.closeTimeoutMs ?? 5000);
    });
    await Promise.race([this.loop, timeout]);
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    const { blocking, key, group } = this.options;
    while (this.running) {
      try {
        if (Date.now() >= this.nextReclaimAt) {
          this.nextReclaimAt = Date.now() + Math.max(100, Math.floor(this.reclaimIdleMs / 2));
          await this.reclaim();
        }
        const reply = (await blocking.xreadgroup(
          'GROUP',
          group,
          this.consumer,
          'COUNT',
          this.batch,
          'BLOCK',
          this.blockMs,
          'STREAMS',
          key,
          '>',
        )) as [string, [string, string[]][]][] | null;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length > 0) await this.handleAll(entries.map(([id, flat]) => parseOutboxEntry(id, flat)));
      } catch (error) {
        if (!this.running) return;
        this.options.logger.warn({ err: errorInfo(error), group }, 'outbox read failed; reading again shortly');
        await new Promise((resolve) => setTimeout(resolve, this.errorPauseMs));
      }
    }
  }

  /** Takes over entries idle for `reclaimIdleMs` in the group (a dead consumer's, or failed ones). */
  private async reclaim(): Promise<void> {
    const { redis, key, group } = this.options;
    let cursor = '0-0';
    do {
      const [next, claimed, deleted] = (await redis.xautoclaim(key, group, this.consumer, this.reclaimIdleMs, cursor, 'COUNT', this.batch)) as [
        string,
        [string, string[] | null][],
        string[]?,
      ];
      // Entries trimmed away while pending come back without fields: nothing left to do for them.
      const gone = [...(deleted ?? []), ...claimed.filter(([, flat]) => flat === null).map(([id]) => id)];
      if (gone.length > 0) await redis.xack(key, group, ...gone);
      const live = claimed.filter((c): c is [string, string[]] => c[1] !== null);
      if (live.length > 0) await this.handleAll(live.map(([id, flat]) => parseOutboxEntry(id, flat)));
      cursor = next;
    } while (cursor !== '0-0' && this.running);
  }

  private async handleAll(entries: OutboxEntry[]): Promise<void> {
    const { redis, key, group, logger } = this.options;
    const done: string[] = [];
    await Promise.all(
      entries.map(async (entry) => {
        if (!entry.event) {
          // Not an event this version knows: acknowledged, so it cannot block the stream's trimming.
          logger.error({ id: entry.id, group, reason: entry.invalid }, 'outbox entry not understood; skipped');
          done.push(entry.id);
          return;
        }
        try {
          await this.options.handle(entry.event, entry.id);
          done.push(entry.id);
        } catch (error) {
          logger.warn({ id: entry.id, group, err: errorInfo(error) }, `outbox event not handled; retried after ${this.reclaimIdleMs} ms`);
        }
      }),
    );
    if (done.length > 0) await redis.xack(key, group, ...done);
  }
}

/** Creates the consumer group at the stream's start (and the stream) unless it exists. */
export async function ensureGroup(redis: Redis, key: string, group: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', key, group, '0', 'MKSTREAM');
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
  }
}

function errorInfo(error: unknown): { name?: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { message: String(error) };
}
