import { z } from 'zod';

/**
 * The shapes of Neon resources as intents report them: a stable, camelCase subset of
 * Neon's objects. Secrets (passwords, connection URIs, API keys) never appear here;
 * they travel in each kind's `secrets` schema and are sealed at rest.
 */

export const projectSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  regionId: z.string(),
  pgVersion: z.number().int(),
  createdAt: z.string(),
});

export const branchSummarySchema = z.object({
  id: z.string(),
  projectId: z.string(),
  name: z.string(),
  parentId: z.string().optional(),
  parentLsn: z.string().optional(),
  parentTimestamp: z.string().optional(),
  default: z.boolean(),
  protected: z.boolean(),
  expiresAt: z.string().optional(),
  currentState: z.string(),
  createdAt: z.string(),
});

export const endpointSummarySchema = z.object({
  id: z.string(),
  projectId: z.string(),
  branchId: z.string(),
  type: z.string(),
  host: z.string(),
  currentState: z.string(),
  autoscalingLimitMinCu: z.number(),
  autoscalingLimitMaxCu: z.number(),
  suspendTimeoutSeconds: z.number().int(),
  disabled: z.boolean(),
});

export const databaseSummarySchema = z.object({
  id: z.number().int(),
  branchId: z.string(),
  name: z.string(),
  ownerName: z.string(),
});

export const roleSummarySchema = z.object({
  branchId: z.string(),
  name: z.string(),
  protected: z.boolean().optional(),
});

/** A ready-to-use connection for one database and role; a secret. */
export const connectionUriSchema = z.object({
  databaseName: z.string(),
  roleName: z.string(),
  /** Direct connection to the endpoint. */
  uri: z.string(),
  /** Through Neon's connection pooler (`-pooler` host). */
  pooledUri: z.string(),
});

export type ProjectSummary = z.infer<typeof projectSummarySchema>;
export type BranchSummary = z.infer<typeof branchSummarySchema>;
export type EndpointSummary = z.infer<typeof endpointSummarySchema>;
export type DatabaseSummary = z.infer<typeof databaseSummarySchema>;
export type RoleSummary = z.infer<typeof roleSummarySchema>;
export type ConnectionUri = z.infer<typeof connectionUriSchema>;
