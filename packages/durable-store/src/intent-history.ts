import {
  intentIdTime,
  intentRecordSchema,
  isTerminalStatus,
  type IntentFinishedEvent,
  type IntentKind,
  type IntentRecord,
  type IntentStatus,
} from '@neonops/intents';
import { sql, type Insertable, type Selectable } from 'kysely';
import type { DurableDatabase } from './database.js';
import type { IntentHistoryTable } from './schema.js';

/**
 * An intent as the history keeps it: the record without its secrets; `partial` when the
 * history only ever saw the intent's end event (its Redis record had expired before the
 * `history` consumer read the event), so params, steps and result are empty.
 */
export type ArchivedIntent = IntentRecord & { partial?: true };

export interface HistoryListQuery {
  status?: IntentStatus;
  kind?: IntentKind;
  /** Only ids below this one (a cursor: the last id of the previous page). Default: from the newest. */
  before?: string;
  /** Only ids at or above this one. Default: down to the oldest. */
  atLeast?: string;
  /** Rows at most. */
  limit: number;
}

export interface AuditQuery {
  teamId?: string;
  kind?: IntentKind;
  /** Created at or after. */
  from?: Date;
  /** Created before. */
  to?: Date;
  /** Only ids below this one (the cursor). */
  before?: string;
  limit: number;
}

/** `written`: the row is new, or replaced a partial one; `unchanged`: the history had it already. */
export type HistoryWrite = 'written' | 'unchanged';

type Row = Selectable<IntentHistoryTable>;

const json = (value: unknown): string => JSON.stringify(value);
const jsonOrNull = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

/**
 * The durable history of ended intents (table `intent_history`). Writes are upserts by
 * intent id that never make a row worse: a full record replaces a partial row, and nothing
 * replaces a full one (an ended intent never changes again). So its writer, an outbox
 * consumer that may see an event twice, can write every event as often as it comes.
 */
/** The pull request a preview branch was made for (see `IntentHistory.previewsOfBranches`). */
export interface PreviewOfBranch {
  sourceId: string;
  pullRequest: number;
  /** `owner/name`, when the event named it. */
  repository?: string;
}

export class IntentHistory {
  constructor(private readonly database: DurableDatabase) {}

  /** Writes an ended intent's record (its secrets are not part of it). */
  async record(record: IntentRecord): Promise<HistoryWrite> {
    if (!isTerminalStatus(record.status) || record.finishedAt === undefined) {
      throw new Error(`intent ${record.id} has not ended (${record.status}): the history keeps ended intents only`);
    }
    const row: Insertable<IntentHistoryTable> = {
      id: record.id,
      team_id: record.teamId,
      kind: record.kind,
      status: record.status,
      params: json(record.params),
      steps: json(record.steps),
      operation_ids: json(record.operationIds),
      resources: jsonOrNull(record.resources),
      undo: jsonOrNull(record.undo),
      result: jsonOrNull(record.result),
      error: jsonOrNull(record.error),
      has_secrets: record.hasSecrets,
      cancel_requested: record.cancelRequested,
      idempotency_key: record.idempotencyKey ?? null,
      actor_type: record.actor?.type ?? null,
      actor_id: record.actor?.id ?? null,
      created_at: record.createdAt,
      started_at: record.startedAt ?? null,
      finished_at: record.finishedAt,
      updated_at: record.updatedAt,
      partial: false,
    };
    const { id: _id, ...update } = row;
    const result = await this.database.db
      .insertInto('intent_history')
      .values(row)
      .onConflict((conflict) =>
        conflict
          .column('id')
          .doUpdateSet({ ...update, recorded_at: sql<Date>`now()` })
          .where('intent_history.partial', '=', true),
      )
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 0n ? 'unchanged' : 'written';
  }

  /**
   * Writes what an `intent.finished` event carries, for an intent whose record is gone:
   * team, kind, status and end time (the creation time comes from the id). Never replaces a
   * row that exists, partial or full.
   */
  async recordPartial(event: IntentFinishedEvent): Promise<HistoryWrite> {
    const createdAt = intentIdTime(event.intentId)?.toISOString() ?? event.at;
    const result = await this.database.db
      .insertInto('intent_history')
      .values({
        id: event.intentId,
        team_id: event.teamId,
        kind: event.kind,
        status: event.status,
        params: json({}),
        steps: json([]),
        operation_ids: json([]),
        has_secrets: false,
        cancel_requested: false,
        created_at: createdAt,
        finished_at: event.at,
        updated_at: event.at,
        partial: true,
      })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .executeTakeFirst();
    return result.numInsertedOrUpdatedRows === 0n ? 'unchanged' : 'written';
  }

  /** The team's intent, or undefined (also when it is another team's). */
  async get(teamId: string, id: string): Promise<ArchivedIntent | undefined> {
    const row = await this.database.db
      .selectFrom('intent_history')
      .selectAll()
      .where('id', '=', id)
      .where('team_id', '=', teamId)
      .executeTakeFirst();
    return row && toArchivedIntent(row);
  }

  /**
   * Which of these branches are pull-request previews, and whose: the newest succeeded
   * `preview.ensure` of the team that made or adopted each one (its `result.branch.id`), with
   * the source and pull request it acted for. Usage per branch names them by it.
   */
  async previewsOfBranches(teamId: string, branchIds: readonly string[]): Promise<Map<string, PreviewOfBranch>> {
    const out = new Map<string, PreviewOfBranch>();
    if (branchIds.length === 0) return out;
    const rows = await this.database.db
      .selectFrom('intent_history')
      .select([
        sql<string>`result->'branch'->>'id'`.as('branch_id'),
        sql<string>`params->'pullRequest'->>'sourceId'`.as('source_id'),
        sql<string>`params->'pullRequest'->>'number'`.as('number'),
        sql<string | null>`params->'pullRequest'->>'repository'`.as('repository'),
      ])
      .where('team_id', '=', teamId)
      .where('kind', '=', 'preview.ensure')
      .where('status', '=', 'succeeded')
      .where(sql<string>`result->'branch'->>'id'`, 'in', [...new Set(branchIds)])
      .orderBy('id', 'asc')
      .execute();
    // Oldest first: the newest intent of a branch is the one kept.
    for (const row of rows) {
      if (row.source_id === null || row.number === null) continue;
      out.set(row.branch_id, { sourceId: row.source_id, pullRequest: Number(row.number), ...(row.repository ? { repository: row.repository } : {}) });
    }
    return out;
  }

  /** The team's intents newest first (by id, as Redis orders them), filtered. */
  async list(teamId: string, query: HistoryListQuery): Promise<ArchivedIntent[]> {
    let select = this.database.db.selectFrom('intent_history').selectAll().where('team_id', '=', teamId);
    if (query.before !== undefined) select = select.where('id', '<', query.before);
    if (query.atLeast !== undefined) select = select.where('id', '>=', query.atLeast);
    if (query.status !== undefined) select = select.where('status', '=', query.status);
    if (query.kind !== undefined) select = select.where('kind', '=', query.kind);
    const rows = await select.orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map(toArchivedIntent);
  }

  /**
   * The audit: ended intents of every team (or one), newest first by id, filtered by kind
   * and by creation time (`from` inclusive, `to` exclusive); `before` is the cursor.
   */
  async audit(query: AuditQuery): Promise<ArchivedIntent[]> {
    let select = this.database.db.selectFrom('intent_history').selectAll();
    if (query.teamId !== undefined) select = select.where('team_id', '=', query.teamId);
    if (query.kind !== undefined) select = select.where('kind', '=', query.kind);
    if (query.from !== undefined) select = select.where('created_at', '>=', query.from);
    if (query.to !== undefined) select = select.where('created_at', '<', query.to);
    if (query.before !== undefined) select = select.where('id', '<', query.before);
    const rows = await select.orderBy('id', 'desc').limit(query.limit).execute();
    return rows.map(toArchivedIntent);
  }
}

/** A row as the domain sees it, parsed by the record's own schema (the edge where zod checks what the database held). */
function toArchivedIntent(row: Row): ArchivedIntent {
  const record = intentRecordSchema.parse({
    id: row.id,
    teamId: row.team_id,
    kind: row.kind,
    params: row.params,
    status: row.status,
    steps: row.steps,
    operationIds: row.operation_ids,
    ...(row.resources === null ? {} : { resources: row.resources }),
    ...(row.undo === null ? {} : { undo: row.undo }),
    ...(row.result === null ? {} : { result: row.result }),
    hasSecrets: row.has_secrets,
    ...(row.error === null ? {} : { error: row.error }),
    cancelRequested: row.cancel_requested,
    ...(row.idempotency_key === null ? {} : { idempotencyKey: row.idempotency_key }),
    ...(row.actor_type === null || row.actor_id === null ? {} : { actor: { type: row.actor_type, id: row.actor_id } }),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    ...(row.started_at === null ? {} : { startedAt: row.started_at.toISOString() }),
    finishedAt: row.finished_at.toISOString(),
  });
  return row.partial ? { ...record, partial: true } : record;
}
