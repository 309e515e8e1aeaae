import { IntentHistory, migrateToLatest, type DurableDatabase } from '@neonops/durable-store';
import { isTerminalStatus, OutboxConsumer, type IntentFinishedEvent, type IntentStore, type OutboxConsumerOptions } from '@neonops/intents';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface WorkerHistoryDeps {
  /** Makes a connection for the consumer's blocking reads (the consumer closes it). */
  connection: () => Redis;
  /** A command connection (acks, claims, record reads). */
  redis: Redis;
  store: IntentStore;
  /** The durable store the history is written to; its owner opens and closes it. */
  database: DurableDatabase;
  logger: Logger;
  /** Timing of the outbox consumer (block, batch, reclaim). Defaults: see {@link OutboxConsumerOptions}. */
  consumer?: Partial<Pick<OutboxConsumerOptions, 'blockMs' | 'batch' | 'reclaimIdleMs' | 'errorPauseMs'>>;
}

export interface WorkerHistory {
  /** The `history` consumer group of the outbox. */
  readonly consumer: OutboxConsumer;
  readonly history: IntentHistory;
  /** Stops reading; events being written finish (and are acknowledged) first. The database stays open. */
  close(): Promise<void>;
}

/** The outbox consumer group that writes every ended intent to the durable history. */
export const HISTORY_OUTBOX_GROUP = 'history';

/**
 * The worker's half of the durable history: a consumer of the outbox (every intent's end is
 * written there in the same script as the end itself) that copies each ended intent from
 * Redis to PostgreSQL, at least once — the write is an upsert by intent id that never makes
 * a row worse, so an event handled twice writes once. An event whose Redis record has
 * already expired (the consumer was down longer than the retention) writes what the event
 * carries, marked partial.
 *
 * The group is created at once, so events wait in the outbox while PostgreSQL is away;
 * migrations run at start and again before a write until they have succeeded once. A write
 * that fails leaves its event pending: it is taken again after `reclaimIdleMs`.
 */
export async function startWorkerHistory(deps: WorkerHistoryDeps): Promise<WorkerHistory> {
  const history = new IntentHistory(deps.database);
  let migrated: Promise<void> | undefined;
  const ensureMigrated = (): Promise<void> =>
    (migrated ??= migrateToLatest(deps.database).then(
      (ran) => {
        if (ran.length > 0) deps.logger.info({ migrations: ran, schema: deps.database.schema }, 'durable store migrated');
      },
      (error: unknown) => {
        migrated = undefined; // the next event tries again
        throw error;
      },
    ));
  // At start, without waiting: a database that is away must not hold the worker back.
  ensureMigrated().catch((error: unknown) =>
    deps.logger.warn({ err: errorInfo(error) }, 'durable store not migrated yet; history writes wait for it'),
  );

  const archive = async (event: IntentFinishedEvent): Promise<void> => {
    await ensureMigrated();
    const record = await deps.store.get(event.intentId);
    if (record && record.teamId === event.teamId && isTerminalStatus(record.status)) {
      await history.record(record);
      return;
    }
    const outcome = await history.recordPartial(event);
    if (outcome === 'written') deps.logger.warn({ intentId: event.intentId, teamId: event.teamId }, 'intent record gone before it reached the history; kept what its event carries');
  };

  const consumer = new OutboxConsumer({
    blocking: deps.connection(),
    redis: deps.redis,
    key: deps.store.outboxKey,
    group: HISTORY_OUTBOX_GROUP,
    logger: deps.logger,
    ...deps.consumer,
    // Every event type the history keeps (today the only one the outbox carries).
    handle: async (event) => {
      if (event.type === 'intent.finished') await archive(event);
    },
  });
  await consumer.start();
  return {
    consumer,
    history,
    close: () => consumer.close(),
  };
}

function errorInfo(error: unknown): { name?: string; message: string } {
  return error instanceof Error ? { name: error.name, message: error.message } : { message: String(error) };
}

/**
 * Says, at start, that this worker writes no history (no `DATABASE_URL`), and loudly when a
 * `history` group exists all the same: a group nobody reads holds back the outbox's trimming
 * (it keeps every event the group has not handled), so the outbox grows until a worker with
 * a database reads it again, or the group is deleted (`XGROUP DESTROY <prefix>outbox history`).
 */
export async function warnHistoryOff(redis: Redis, outboxKey: string, logger: Logger): Promise<void> {
  logger.info('no DATABASE_URL: ended intents are kept in Redis for INTENT_RETENTION_SECONDS only (no durable history)');
  try {
    const groups = (await redis.xinfo('GROUPS', outboxKey)) as unknown[][];
    const names = groups.map((flat) => String(flat[flat.indexOf('name') + 1]));
    if (names.includes(HISTORY_OUTBOX_GROUP)) {
      logger.warn(
        { outbox: outboxKey, group: HISTORY_OUTBOX_GROUP },
        'the outbox has a history group but this worker has no DATABASE_URL: unless another worker reads it, the outbox cannot be trimmed past it',
      );
    }
  } catch {
    // No outbox yet, or Redis away: nothing to say.
  }
}
