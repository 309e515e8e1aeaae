import type { IntentKind, TerminalStatus } from '@neonops/intents';
import type { ColumnType, Generated } from 'kysely';

/*
 * The database's schema as TypeScript sees it: one interface per table, written once here
 * and kept in step with src/migrations/ (a migration that changes a table changes its
 * interface in the same commit). Rows are typed for Kysely's queries only; what leaves the
 * package is parsed with the domain's zod schemas (see intent-history.ts).
 */

/** A `jsonb` column: read back parsed, written as JSON text (`pg` would turn a JS array into a PostgreSQL array). */
type Json<T> = ColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null, string | null>;
/** A `timestamptz` column: read as a Date, written as an ISO 8601 string. */
type Timestamp = ColumnType<Date, string, string>;
type NullableTimestamp = ColumnType<Date | null, string | null, string | null>;

/** `intent_history`: every intent once it ended, without its secrets (see the 0001 migration). */
export interface IntentHistoryTable {
  /** The intent id (`int_…`), collated "C" so that it sorts as Redis sorts it: by time. */
  id: string;
  team_id: string;
  kind: ColumnType<string, IntentKind, IntentKind>;
  status: ColumnType<string, TerminalStatus, TerminalStatus>;
  params: Json<unknown>;
  steps: Json<unknown>;
  operation_ids: Json<unknown>;
  resources: NullableJson<unknown>;
  undo: NullableJson<unknown>;
  result: NullableJson<unknown>;
  error: NullableJson<unknown>;
  has_secrets: boolean;
  cancel_requested: boolean;
  idempotency_key: string | null;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  finished_at: Timestamp;
  updated_at: Timestamp;
  /** True when written from the intent's end event alone (its Redis record had expired). */
  partial: boolean;
  /** When this row was last written. */
  recorded_at: Generated<Date>;
}

/** Every table of the durable store. */
export interface Database {
  intent_history: IntentHistoryTable;
}
