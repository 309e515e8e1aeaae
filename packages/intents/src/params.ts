import { z } from 'zod';

/** Building blocks of intent params, shared by several kinds. */

/** Neon ids are short strings of letters, digits, dashes and underscores. */
export const neonIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a Neon id (letters, digits, "-" and "_")');

/*
 * Names as Neon accepts them, checked before anything is queued (the API, schedules and
 * previews all build their params from these schemas; the simulator enforces the same rules,
 * see packages/neon-sim/src/behaviour/name-rules.ts):
 * - branch and project names: 1–256 characters (Neon's OpenAPI `maxLength`);
 * - database and role names: Postgres identifiers, 1–63 bytes of UTF-8 (NAMEDATALEN − 1; Neon's
 *   API: "Cannot exceed 63 bytes"); they are path segments of Neon's API
 *   (`…/databases/{database_name}`, `…/roles/{role_name}`), so no `/`, `\` or `..`;
 * - role names: not `pg_…` (reserved by Postgres), nor `public`, `none` or the roles Neon keeps
 *   for itself (`neon_superuser`, `cloud_admin`);
 * - no name holds control characters (C0, DEL, C1) or is only blanks.
 */

/** C0 controls, DEL and C1 controls: never in a name (logs, UIs and URLs mangle them). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
/** Role names Postgres or Neon keep for themselves (compared without case). */
export const RESERVED_ROLE_NAMES: readonly string[] = ['public', 'none', 'neon_superuser', 'cloud_admin'];
/** Longest Postgres identifier, in bytes of UTF-8. */
export const PG_NAME_MAX_BYTES = 63;
/** Longest branch or project name Neon accepts, in characters. */
export const NEON_NAME_MAX_CHARS = 256;

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A name of up to `max` characters without control characters, not only blanks. */
const neonTextName = (max: number) =>
  z
    .string()
    .min(1)
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL_CHARACTERS.test(s), 'must not contain control characters')
    .refine((s) => s.trim() !== '', 'must not be only blanks');

/** Postgres identifiers as Neon accepts them for databases (and the base of role names). */
export const pgNameSchema = z
  .string()
  .min(1)
  .max(PG_NAME_MAX_BYTES)
  .refine((s) => utf8Bytes(s) <= PG_NAME_MAX_BYTES, `must be at most ${PG_NAME_MAX_BYTES} bytes (UTF-8): a Postgres identifier`)
  .refine((s) => !CONTROL_CHARACTERS.test(s), 'must not contain control characters')
  .refine((s) => s.trim() !== '', 'must not be only blanks')
  .refine((s) => !/[/\\]/.test(s) && !s.includes('..'), 'must not contain "/", "\\" or ".."');

/** A role name: a Postgres identifier, not `pg_…` and not one Postgres or Neon reserves. */
export const roleNameSchema = pgNameSchema
  .refine((s) => !s.toLowerCase().startsWith('pg_'), 'must not start with "pg_" (reserved by Postgres)')
  .refine((s) => !RESERVED_ROLE_NAMES.includes(s.toLowerCase()), `must not be one of the reserved role names (${RESERVED_ROLE_NAMES.join(', ')})`);

/** A branch name: 1–256 characters, no control characters ("/" is fine: `preview/pr-1`). */
export const branchNameSchema = neonTextName(NEON_NAME_MAX_CHARS);

/** A project name: 1–256 characters, no control characters. */
export const projectNameSchema = neonTextName(NEON_NAME_MAX_CHARS);

/** RFC 3339 date-time with an offset, as Neon expects it. */
export const timestampSchema = z.iso.datetime({ offset: true });

export const projectRefSchema = z.strictObject({ projectId: neonIdSchema });

export const computeUnitsSchema = z.number().min(0.25).max(56);

/** Compute settings a caller may choose for an endpoint. */
export const endpointSettingsSchema = z.strictObject({
  /** Minimum compute units when autoscaling; Neon's default when absent. */
  autoscalingLimitMinCu: computeUnitsSchema.optional(),
  /** Maximum compute units when autoscaling; Neon's default when absent. */
  autoscalingLimitMaxCu: computeUnitsSchema.optional(),
  /** Seconds of inactivity before suspend: -1 never, 0 Neon's default, up to a week. */
  suspendTimeoutSeconds: z.number().int().min(-1).max(604_800).optional(),
});

export const endpointTypeSchema = z.enum(['read_write', 'read_only']);

/** A compute to create with a branch: its type and settings. */
export const newEndpointSchema = endpointSettingsSchema.extend({
  type: endpointTypeSchema.default('read_write'),
});
export type NewEndpoint = z.output<typeof newEndpointSchema>;

/**
 * What an intent that creates Neon resources does with them when it ends `failed` or
 * `cancelled`: `delete` (default) undoes them (in reverse order of creation, as steps shown
 * in the record) so nothing is left running or billed; `keep` leaves them in place, listed
 * in the record's `resources`.
 */
export const onFailureSchema = z.enum(['delete', 'keep']).default('delete');
export type OnFailure = z.output<typeof onFailureSchema>;

/** The params every kind that creates resources takes (spread into its params' shape). */
export const createsResourcesParams = {
  /** What to do with the resources created so far if the intent fails or is cancelled. Default `delete`. */
  onFailure: onFailureSchema,
};
