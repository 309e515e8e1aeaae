import { z } from 'zod';
import { badRequest } from './errors.js';

/**
 * Request bodies, checked about as strictly as Neon checks them: types, required fields and
 * documented ranges. Unknown fields pass, as they do at Neon.
 */
const id = z.string().regex(/^[a-z0-9-]{1,60}$/);
const computeUnit = z.number().min(0.25);
const suspendTimeout = z.number().int().min(-1).max(604800);
const settings = z.record(z.string(), z.unknown());
export const annotationValue = z
  .record(z.string(), z.string())
  .refine((v) => Object.keys(v).length <= 50, 'at most 50 annotations');

const endpointOptions = z.looseObject({
  type: z.enum(['read_write', 'read_only']),
  settings: settings.optional(),
  autoscaling_limit_min_cu: computeUnit.optional(),
  autoscaling_limit_max_cu: computeUnit.optional(),
  provisioner: z.string().optional(),
  suspend_timeout_seconds: suspendTimeout.optional(),
});

const defaultEndpointSettings = z.looseObject({
  autoscaling_limit_min_cu: computeUnit.optional(),
  autoscaling_limit_max_cu: computeUnit.optional(),
  suspend_timeout_seconds: suspendTimeout.optional(),
});

export const projectCreateBody = z.looseObject({
  project: z.looseObject({
    name: z.string().min(1).max(256).optional(),
    region_id: z.string().min(1).optional(),
    pg_version: z.number().int().min(14).max(18).optional(),
    store_passwords: z.boolean().optional(),
    history_retention_seconds: z.number().int().min(0).max(2592000).optional(),
    org_id: id.optional(),
    settings: settings.optional(),
    default_endpoint_settings: defaultEndpointSettings.optional(),
    autoscaling_limit_min_cu: computeUnit.optional(),
    autoscaling_limit_max_cu: computeUnit.optional(),
    provisioner: z.string().optional(),
    branch: z
      .looseObject({
        name: z.string().min(1).max(256).optional(),
        role_name: z.string().min(1).max(63).optional(),
        database_name: z.string().min(1).max(63).optional(),
        annotations: annotationValue.optional(),
      })
      .optional(),
  }),
});

export const projectUpdateBody = z.looseObject({
  project: z.looseObject({
    name: z.string().min(1).max(256).optional(),
    settings: settings.optional(),
    default_endpoint_settings: defaultEndpointSettings.optional(),
    history_retention_seconds: z.number().int().min(0).max(2592000).optional(),
  }),
});

export const branchCreateBody = z.looseObject({
  endpoints: z.array(endpointOptions).optional(),
  branch: z
    .looseObject({
      parent_id: id.optional(),
      name: z.string().min(1).max(256).optional(),
      parent_lsn: z.string().regex(/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/).optional(),
      parent_timestamp: z.iso.datetime({ offset: true }).optional(),
      protected: z.boolean().optional(),
      archived: z.boolean().optional(),
      init_source: z.enum(['parent-data', 'schema-only']).optional(),
      expires_at: z.string().optional(),
    })
    .optional(),
  annotation_value: annotationValue.optional(),
});

export const branchUpdateBody = z.looseObject({
  branch: z.looseObject({
    name: z.string().min(1).max(256).optional(),
    protected: z.boolean().optional(),
    expires_at: z.string().nullable().optional(),
  }),
  annotation_value: annotationValue.optional(),
});

export const branchRestoreBody = z.looseObject({
  source_branch_id: id,
  source_lsn: z.string().optional(),
  source_timestamp: z.iso.datetime({ offset: true }).optional(),
  preserve_under_name: z.string().min(1).max(256).optional(),
});

export const endpointCreateBody = z.looseObject({
  endpoint: z.looseObject({
    branch_id: id,
    type: z.enum(['read_write', 'read_only']),
    region_id: z.string().optional(),
    settings: settings.optional(),
    autoscaling_limit_min_cu: computeUnit.optional(),
    autoscaling_limit_max_cu: computeUnit.optional(),
    provisioner: z.string().optional(),
    pooler_enabled: z.boolean().optional(),
    pooler_mode: z.literal('transaction').optional(),
    disabled: z.boolean().optional(),
    passwordless_access: z.boolean().optional(),
    suspend_timeout_seconds: suspendTimeout.optional(),
    name: z.string().min(1).max(64).optional(),
  }),
});

export const endpointUpdateBody = z.looseObject({
  endpoint: z.looseObject({
    branch_id: id.optional(),
    settings: settings.optional(),
    autoscaling_limit_min_cu: computeUnit.optional(),
    autoscaling_limit_max_cu: computeUnit.optional(),
    provisioner: z.string().optional(),
    pooler_enabled: z.boolean().optional(),
    pooler_mode: z.literal('transaction').optional(),
    disabled: z.boolean().optional(),
    passwordless_access: z.boolean().optional(),
    suspend_timeout_seconds: suspendTimeout.optional(),
    name: z.string().min(1).max(64).optional(),
  }),
});

const pgName = z.string().min(1).max(63);

export const databaseCreateBody = z.looseObject({ database: z.looseObject({ name: pgName, owner_name: pgName }) });
export const databaseUpdateBody = z.looseObject({
  database: z.looseObject({ name: pgName.optional(), owner_name: pgName.optional() }),
});
export const roleCreateBody = z.looseObject({ role: z.looseObject({ name: pgName, no_login: z.boolean().optional() }) });
export const apiKeyCreateBody = z.looseObject({ key_name: z.string().min(1).max(255) });

/** Parses a body or answers 400 naming the first bad field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(body)';
  throw badRequest(`request body is invalid: ${path}: ${issue?.message ?? 'invalid'}`);
}
