import { z } from 'zod';
import {
  branchNameSchema,
  createsResourcesParams,
  endpointSettingsSchema,
  endpointTypeSchema,
  neonIdSchema,
  newEndpointSchema,
  pgNameSchema,
  projectNameSchema,
  projectRefSchema,
  roleNameSchema,
  timestampSchema,
} from './params.js';
import {
  branchSummarySchema,
  connectionUriSchema,
  databaseSummarySchema,
  endpointSummarySchema,
  projectSummarySchema,
  roleSummarySchema,
} from './resources.js';
import {
  previewEnsureParamsSchema,
  previewEnsureResultSchema,
  previewTeardownParamsSchema,
  previewTeardownResultSchema,
} from './previews/params.js';

/** What an intent acts on: one existing project, a project it creates, or the Neon account. */
export type IntentScope = { projectId: string } | { newProject: true } | { account: true };

/** One kind of intent: what it takes, what it gives back, and who may ask for it. */
export interface IntentKindDefinition<
  P extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
  S extends z.ZodType = z.ZodType,
> {
  /** One line for docs and OpenAPI. */
  summary: string;
  /** The `params` of the request; strict objects, so unknown fields are refused. */
  params: P;
  /** The public result, stored in clear and shown to the team and in webhooks. */
  result: R;
  /** The secret part of the result (passwords, URIs, keys): sealed at rest, never logged. */
  secrets: S;
  /** Only admin tokens may submit it. */
  adminOnly: boolean;
  /** The Neon project (or account) the intent touches; used for authorization and for serializing mutations. */
  scope(params: z.infer<P>): IntentScope;
}

const noSecrets = z.strictObject({});
const onProject = (p: { projectId: string }): IntentScope => ({ projectId: p.projectId });

function kind<P extends z.ZodType, R extends z.ZodType, S extends z.ZodType = typeof noSecrets>(
  definition: Omit<IntentKindDefinition<P, R, S>, 'secrets' | 'adminOnly'> & { secrets?: S; adminOnly?: boolean },
): IntentKindDefinition<P, R, S> {
  return { adminOnly: false, ...definition, secrets: (definition.secrets ?? noSecrets) as S };
}

const branchBundle = {
  branch: branchSummarySchema,
  endpoints: z.array(endpointSummarySchema),
  databases: z.array(databaseSummarySchema),
  roles: z.array(roleSummarySchema),
};
const connectionSecrets = z.object({ connectionUris: z.array(connectionUriSchema) });
const roleRef = projectRefSchema.extend({ branchId: neonIdSchema, name: roleNameSchema });
const endpointRef = projectRefSchema.extend({ endpointId: neonIdSchema });
const endpointResult = z.object({ endpoint: endpointSummarySchema });

const projectSettings = {
  name: projectNameSchema.optional(),
  /** Seconds of history kept for point-in-time restore and branching. */
  historyRetentionSeconds: z.number().int().min(0).max(2_592_000).optional(),
  defaultEndpointSettings: endpointSettingsSchema.optional(),
};

/**
 * The intent catalog: every Neon mutation the service performs, by kind. The API
 * validates requests against it and the worker keeps a handler per kind, so a kind
 * without a handler does not compile. Kinds that create resources take `onFailure`
 * (`createsResourcesParams`, default `delete`): what becomes of them if the intent fails
 * or is cancelled.
 */
export const intentCatalog = {
  'project.create': kind({
    summary: 'Create a Neon project with its default branch, compute, database and role.',
    params: z.strictObject({
      ...projectSettings,
      regionId: z.string().min(1).max(64).optional(),
      pgVersion: z.number().int().min(14).max(18).optional(),
      ...createsResourcesParams,
    }),
    result: z.object({ project: projectSummarySchema, ...branchBundle }),
    secrets: connectionSecrets,
    scope: () => ({ newProject: true }),
  }),
  'project.update': kind({
    summary: 'Change a project’s name, history retention or default compute settings.',
    params: projectRefSchema.extend(projectSettings),
    result: z.object({ project: projectSummarySchema }),
    scope: onProject,
  }),
  'project.delete': kind({
    summary: 'Delete a project and everything in it.',
    params: projectRefSchema,
    result: z.object({ projectId: z.string(), deleted: z.literal(true) }),
    scope: onProject,
  }),
  'branch.create': kind({
    summary: 'Create a branch, optionally with computes, a database and a role; returns connection URIs.',
    params: projectRefSchema.extend({
      /** Defaults to a name derived from the intent id, so a retried create can find its branch. */
      name: branchNameSchema.optional(),
      /** Parent by id or by name; the project's default branch when absent. */
      parent: z.union([z.strictObject({ id: neonIdSchema }), z.strictObject({ name: branchNameSchema })]).optional(),
      /** Branch from a point in time of the parent (RFC 3339) or an LSN; at most one. */
      parentTimestamp: timestampSchema.optional(),
      parentLsn: z.string().regex(/^[0-9A-F]+\/[0-9A-F]+$/i, 'must be an LSN like 0/1F2E3D4').optional(),
      /** When Neon deletes the branch (RFC 3339, at most 30 days ahead). */
      expiresAt: timestampSchema.optional(),
      protected: z.boolean().optional(),
      /** Computes to start on the branch; at most one read_write. Default: none. */
      endpoints: z.array(newEndpointSchema).max(5).default([]),
      /** A database to create on the branch, owned by `ownerName` (default: the role below, else neondb_owner). */
      database: z.strictObject({ name: pgNameSchema, ownerName: roleNameSchema.optional() }).optional(),
      /** A role to create on the branch. */
      role: z.strictObject({ name: roleNameSchema }).optional(),
      ...createsResourcesParams,
    }).refine((p) => !(p.parentTimestamp && p.parentLsn), { message: 'give parentTimestamp or parentLsn, not both', path: ['parentLsn'] })
      .refine((p) => p.endpoints.filter((e) => e.type === 'read_write').length <= 1, { message: 'a branch has at most one read_write endpoint', path: ['endpoints'] }),
    result: z.object(branchBundle),
    secrets: connectionSecrets,
    scope: onProject,
  }),
  'branch.update': kind({
    summary: 'Rename a branch, protect or unprotect it, or change when it expires.',
    params: projectRefSchema.extend({
      branchId: neonIdSchema,
      name: branchNameSchema.optional(),
      protected: z.boolean().optional(),
      /** `null` removes the expiry. */
      expiresAt: timestampSchema.nullable().optional(),
    }),
    result: z.object({ branch: branchSummarySchema }),
    scope: onProject,
  }),
  'branch.delete': kind({
    summary: 'Delete a branch and its computes.',
    params: projectRefSchema.extend({ branchId: neonIdSchema }),
    result: z.object({ branchId: z.string(), deleted: z.literal(true) }),
    scope: onProject,
  }),
  'branch.restore': kind({
    summary: 'Restore a branch to the state of a source branch, optionally at a point in time.',
    params: projectRefSchema.extend({
      branchId: neonIdSchema,
      sourceBranchId: neonIdSchema,
      sourceTimestamp: timestampSchema.optional(),
      sourceLsn: z.string().regex(/^[0-9A-F]+\/[0-9A-F]+$/i, 'must be an LSN like 0/1F2E3D4').optional(),
      /** Keep the branch's previous state as a new branch with this name. */
      preserveUnderName: branchNameSchema.optional(),
    }),
    result: z.object({ branch: branchSummarySchema }),
    scope: onProject,
  }),
  'preview.ensure': kind({
    summary: 'Make sure a pull request’s preview branch exists (get-or-create by name), optionally reset to its parent, its expiry extended.',
    params: previewEnsureParamsSchema,
    result: previewEnsureResultSchema,
    secrets: connectionSecrets,
    scope: onProject,
  }),
  'preview.teardown': kind({
    summary: 'Delete a pull request’s preview branch (already gone counts as done).',
    params: previewTeardownParamsSchema,
    result: previewTeardownResultSchema,
    scope: onProject,
  }),
  'endpoint.create': kind({
    summary: 'Create a compute endpoint on a branch.',
    params: projectRefSchema
      .extend({ branchId: neonIdSchema, type: endpointTypeSchema.default('read_write'), ...createsResourcesParams })
      .extend(endpointSettingsSchema.shape),
    result: endpointResult,
    scope: onProject,
  }),
  'endpoint.update': kind({
    summary: 'Change a compute’s autoscaling limits, suspend timeout, or disable it.',
    params: endpointRef.extend(endpointSettingsSchema.shape).extend({ disabled: z.boolean().optional() }),
    result: endpointResult,
    scope: onProject,
  }),
  'endpoint.delete': kind({ summary: 'Delete a compute endpoint.', params: endpointRef, result: z.object({ endpointId: z.string(), deleted: z.literal(true) }), scope: onProject }),
  'endpoint.start': kind({ summary: 'Start a compute endpoint.', params: endpointRef, result: endpointResult, scope: onProject }),
  'endpoint.suspend': kind({ summary: 'Suspend a compute endpoint.', params: endpointRef, result: endpointResult, scope: onProject }),
  'endpoint.restart': kind({ summary: 'Restart a compute endpoint.', params: endpointRef, result: endpointResult, scope: onProject }),
  'database.create': kind({
    summary: 'Create a database on a branch.',
    params: projectRefSchema.extend({ branchId: neonIdSchema, name: pgNameSchema, ownerName: roleNameSchema, ...createsResourcesParams }),
    result: z.object({ database: databaseSummarySchema }),
    scope: onProject,
  }),
  'database.update': kind({
    summary: 'Rename a database or change its owner.',
    params: projectRefSchema.extend({
      branchId: neonIdSchema,
      name: pgNameSchema,
      newName: pgNameSchema.optional(),
      ownerName: roleNameSchema.optional(),
    }),
    result: z.object({ database: databaseSummarySchema }),
    scope: onProject,
  }),
  'database.delete': kind({
    summary: 'Delete a database from a branch.',
    params: projectRefSchema.extend({ branchId: neonIdSchema, name: pgNameSchema }),
    result: z.object({ name: z.string(), deleted: z.literal(true) }),
    scope: onProject,
  }),
  'role.create': kind({
    summary: 'Create a Postgres role on a branch; its password is returned as a secret.',
    params: roleRef.extend({ noLogin: z.boolean().optional(), ...createsResourcesParams }),
    result: z.object({ role: roleSummarySchema }),
    secrets: z.object({ password: z.string().optional() }),
    scope: onProject,
  }),
  'role.delete': kind({ summary: 'Delete a role from a branch.', params: roleRef, result: z.object({ name: z.string(), deleted: z.literal(true) }), scope: onProject }),
  'role.reset_password': kind({
    summary: 'Give a role a new password; returned as a secret.',
    params: roleRef,
    result: z.object({ role: roleSummarySchema }),
    secrets: z.object({ password: z.string() }),
    scope: onProject,
  }),
  'api_key.create': kind({
    summary: 'Create a Neon API key (admin only); the key is returned once, as a secret.',
    params: z.strictObject({ keyName: z.string().min(1).max(64), ...createsResourcesParams }),
    result: z.object({ id: z.number().int(), name: z.string(), createdAt: z.string() }),
    secrets: z.object({ key: z.string() }),
    adminOnly: true,
    scope: () => ({ account: true }),
  }),
  'api_key.revoke': kind({
    summary: 'Revoke a Neon API key (admin only).',
    params: z.strictObject({ keyId: z.number().int().positive() }),
    result: z.object({ id: z.number().int(), revoked: z.literal(true) }),
    adminOnly: true,
    scope: () => ({ account: true }),
  }),
} satisfies Record<string, IntentKindDefinition>;

export type IntentCatalog = typeof intentCatalog;
export type IntentKind = keyof IntentCatalog;
export const intentKinds = Object.keys(intentCatalog) as IntentKind[];

export type ParamsOf<K extends IntentKind> = z.output<IntentCatalog[K]['params']>;
export type ResultOf<K extends IntentKind> = z.output<IntentCatalog[K]['result']>;
export type SecretsOf<K extends IntentKind> = z.output<IntentCatalog[K]['secrets']>;

/** A request for one intent, `{ kind, params }`, as the API accepts it. */
export type IntentRequest = { [K in IntentKind]: { kind: K; params: ParamsOf<K> } }[IntentKind];

export const intentKindSchema = z.enum(intentKinds as [IntentKind, ...IntentKind[]]);

/** `{ kind, params }` as one discriminated union over the catalog; unknown fields are refused. */
export const intentRequestSchema = z.discriminatedUnion(
  'kind',
  intentKinds.map((k) => z.strictObject({ kind: z.literal(k), params: intentCatalog[k].params })) as unknown as [
    z.ZodObject<{ kind: z.ZodLiteral<IntentKind>; params: z.ZodType }>,
  ],
) as unknown as z.ZodType<IntentRequest>;

export function isIntentKind(value: string): value is IntentKind {
  return Object.hasOwn(intentCatalog, value);
}

/** The scope of a request, typed per kind. */
export function scopeOf(request: IntentRequest): IntentScope {
  const definition = intentCatalog[request.kind] as IntentKindDefinition;
  return definition.scope(request.params);
}
