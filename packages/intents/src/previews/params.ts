import { z } from 'zod';
import { branchNameSchema, createsResourcesParams, neonIdSchema, newEndpointSchema, pgNameSchema, projectRefSchema, roleNameSchema, timestampSchema } from '../params.js';
import { branchSummarySchema, endpointSummarySchema } from '../resources.js';
import { pullRequestRefSchema } from './pull-request-states.js';

/** Neon's longest branch name. */
export const NEON_BRANCH_NAME_MAX = 256;
/** Neon refuses an `expires_at` more than 30 days ahead. */
export const PREVIEW_TTL_MAX_SECONDS = 30 * 86_400;

/** The pull request an intent acts for, with the event that asked for it. */
export const previewTriggerSchema = pullRequestRefSchema.extend({
  /** The PR's `updated_at` in the event (RFC 3339). */
  updatedAt: timestampSchema,
  headSha: z.string().max(64).default(''),
  /** The repository's `owner/name` in the event (where results are posted back). Absent in intents made before it was recorded. */
  repository: z.string().max(201).optional(),
});

/**
 * A database and its owner role every preview has: made on the preview (role first) when it
 * did not come with the parent's data, adopted when it did.
 */
export const previewDatabaseSchema = z.strictObject({ name: pgNameSchema, owner: roleNameSchema });

/** A parent branch by id or by name. */
export const branchRefSchema = z.union([z.strictObject({ id: neonIdSchema }), z.strictObject({ name: branchNameSchema })]);

/** `preview.ensure`: the preview branch of a pull request exists (get-or-create by name), optionally reset, its TTL extended. */
export const previewEnsureParamsSchema = projectRefSchema.extend({
  /** The preview branch's name (rendered from the source's template). */
  name: branchNameSchema,
  /** Parent of a new branch, and what a reset restores from. Default: the project's default branch. */
  parent: branchRefSchema.optional(),
  /** Computes created with a new branch. Default: none. */
  endpoints: z.array(newEndpointSchema).max(1).default([]),
  /** The branch expires this long after the intent runs (Neon deletes it then). Default: no expiry. */
  ttlSeconds: z.number().int().min(60).max(PREVIEW_TTL_MAX_SECONDS).optional(),
  /** Restore an existing branch to its parent's current state (a push to the PR). Default false. */
  reset: z.boolean().default(false),
  /** A database (and owner role) to ensure on the preview, after any reset. Default: none. */
  database: previewDatabaseSchema.optional(),
  pullRequest: previewTriggerSchema,
  ...createsResourcesParams,
});

/** `preview.teardown`: the pull request's preview branch is gone. */
export const previewTeardownParamsSchema = projectRefSchema.extend({
  name: branchNameSchema,
  pullRequest: previewTriggerSchema,
});

export const previewEnsureResultSchema = z.object({
  /** What the intent did: `skipped` when the PR was closed meanwhile (see `reason`). */
  action: z.enum(['created', 'reset', 'extended', 'unchanged', 'skipped']),
  reason: z.string().optional(),
  branch: branchSummarySchema.optional(),
  endpoints: z.array(endpointSummarySchema),
});

export const previewTeardownResultSchema = z.object({
  /** `gone`: there was no such branch (already deleted); `skipped`: the PR was reopened meanwhile. */
  action: z.enum(['deleted', 'gone', 'skipped']),
  reason: z.string().optional(),
  branchId: z.string().optional(),
});
