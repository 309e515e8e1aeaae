import { z } from 'zod';

/**
 * The parts of the API's answers the CLI reads, as zod schemas. They are deliberately
 * loose: unknown fields pass through untouched (and are printed by `--output json`), and
 * statuses are plain strings, so a newer server with more fields or statuses never breaks
 * an older CLI. The API's OpenAPI document (`/openapi.json`, schema `Intent`) is the full
 * description; `schemas.e2e.test.ts` checks these against it.
 */

/** Why an intent or a step failed. */
export const intentErrorSchema = z.looseObject({
  code: z.string(),
  message: z.string(),
});
export type IntentError = z.infer<typeof intentErrorSchema>;

export const intentStepSchema = z.looseObject({
  name: z.string(),
  /** `pending`, `running`, `waiting`, `succeeded`, `failed`, `skipped` (treated as an open set). */
  status: z.string(),
  attempts: z.number().int().min(0).default(0),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  error: intentErrorSchema.optional(),
});
export type IntentStep = z.infer<typeof intentStepSchema>;

/** An intent as `POST /v1/intents`, `GET /v1/intents/:id` and its event stream show it. */
export const intentViewSchema = z.looseObject({
  id: z.string(),
  kind: z.string(),
  /** `queued`, `running`, `waiting`, `succeeded`, `failed`, `cancelled`. */
  status: z.string(),
  steps: z.array(intentStepSchema).default([]),
  params: z.record(z.string(), z.unknown()).optional(),
  result: z.record(z.string(), z.unknown()).optional(),
  error: intentErrorSchema.optional(),
  /** Opened secrets (connection URIs, passwords); only on `GET /v1/intents/:id` for the owning team. */
  secrets: z.record(z.string(), z.unknown()).optional(),
  createdAt: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
export type IntentView = z.infer<typeof intentViewSchema>;

/** One entry of `secrets.connectionUris`. */
export const connectionUriSchema = z.looseObject({
  databaseName: z.string(),
  roleName: z.string(),
  uri: z.string(),
  pooledUri: z.string(),
});
export type ConnectionUri = z.infer<typeof connectionUriSchema>;

/** A pull request's preview as `GET /v1/previews?repo=&pr=` shows it. */
export const previewViewSchema = z.looseObject({
  repo: z.string(),
  pr: z.number().int(),
  state: z.string(),
  branch: z.looseObject({ id: z.string(), name: z.string() }).nullish(),
  host: z.string().nullish(),
  /** The preview's latest intent (`preview.ensure` or `preview.teardown`). */
  intent: intentViewSchema.nullish(),
});
export type PreviewView = z.infer<typeof previewViewSchema>;

/** The body of an error answer (RFC 9457 problem). */
export const problemSchema = z.looseObject({
  code: z.string().optional(),
  title: z.string().optional(),
  detail: z.string().optional(),
  requestId: z.string().optional(),
});

export const TERMINAL_STATUSES: readonly string[] = ['succeeded', 'failed', 'cancelled'];

export function isTerminal(view: { status: string }): boolean {
  return TERMINAL_STATUSES.includes(view.status);
}

/** The view without its `secrets` (what `--output json` prints unless `--show-secrets`). */
export function withoutSecrets<T extends { secrets?: unknown }>(view: T): Omit<T, 'secrets'> {
  const { secrets: _secrets, ...rest } = view;
  return rest;
}
