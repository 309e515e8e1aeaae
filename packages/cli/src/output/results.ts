import { connectionUriSchema, type ConnectionUri, type IntentView, type PreviewView } from '../client/schemas.js';

/** One value a command hands to its caller: an env variable and a GitHub Actions output. */
export interface ResultValue {
  /** GitHub Actions output name (`db_url`). */
  output: string;
  /** Environment variable name (`DATABASE_URL`). */
  env: string;
  value: string;
  /** A secret: masked in GitHub Actions, never printed by `--output json` without `--show-secrets`. */
  secret: boolean;
}

export interface ConnectionChoice {
  /** Database name to pick among the connection URIs. Default: the first. */
  database?: string;
  /** Role name to pick. Default: the first (for the chosen database). */
  role?: string;
}

/** The intent's connection URI for the chosen database and role, from its secrets. */
export function pickConnection(view: IntentView, choice: ConnectionChoice = {}): ConnectionUri | undefined {
  const raw = view.secrets?.connectionUris;
  if (!Array.isArray(raw)) return undefined;
  const all = raw.flatMap((c) => {
    const parsed = connectionUriSchema.safeParse(c);
    return parsed.success ? [parsed.data] : [];
  });
  return all.find((c) => (choice.database === undefined || c.databaseName === choice.database) && (choice.role === undefined || c.roleName === choice.role));
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function hostOf(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  try {
    return new URL(uri).hostname || undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a finished intent (and its preview, if any) gives its caller: intent id and status,
 * branch name and id, host, and the direct and pooled connection URIs (secrets).
 */
export function resultValues(view: IntentView, options: { preview?: PreviewView; connection?: ConnectionUri } = {}): ResultValue[] {
  const result = record(view.result) ?? {};
  const branch = record(result.branch);
  const endpoints = Array.isArray(result.endpoints) ? result.endpoints.map(record) : [];
  const endpoint = record(result.endpoint) ?? endpoints[0];
  const { preview, connection } = options;
  const values: ResultValue[] = [];
  const add = (output: string, env: string, value: string | undefined, secret = false): void => {
    if (value !== undefined) values.push({ output, env, value, secret });
  };
  add('db_url', 'DATABASE_URL', connection?.uri, true);
  add('db_url_pooled', 'DATABASE_URL_POOLED', connection?.pooledUri, true);
  add('branch', 'NEONOPS_BRANCH', str(preview?.branch?.name) ?? str(branch?.name));
  add('branch_id', 'NEONOPS_BRANCH_ID', str(preview?.branch?.id) ?? str(branch?.id));
  add('host', 'NEONOPS_HOST', str(preview?.host) ?? str(endpoint?.host) ?? hostOf(connection?.uri));
  add('intent_id', 'NEONOPS_INTENT_ID', view.id);
  add('status', 'NEONOPS_INTENT_STATUS', view.status);
  return values;
}

/** `KEY=value` lines for a shell (`eval`, `source`) or a `.env` file: values with other than `[\w@%+=:,./-]` are single-quoted. */
export function formatEnv(values: readonly ResultValue[]): string {
  return values.map((v) => `${v.env}=${shellQuote(v.value)}\n`).join('');
}

export function shellQuote(value: string): string {
  if (/^[\w@%+=:,./-]*$/.test(value) && value !== '') return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
