import { z } from 'zod';

/** Building blocks of intent params, shared by several kinds. */

/** Neon ids are short strings of letters, digits, dashes and underscores. */
export const neonIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be a Neon id (letters, digits, "-" and "_")');

/** Postgres identifiers as Neon accepts them for databases and roles. */
export const pgNameSchema = z.string().min(1).max(63);

export const branchNameSchema = z.string().min(1).max(256);

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
