import { badRequest } from '../http/errors.js';

/*
 * Names the way Neon checks them (the service's own params schemas apply the same rules
 * before anything is queued — packages/intents/src/params.ts — and a test in apps/worker
 * checks that the two agree):
 * - branch and project names: 1–256 characters (Neon's OpenAPI `maxLength`);
 * - database and role names: Postgres identifiers of at most 63 bytes of UTF-8, and path
 *   segments of the API (no `/`, `\` or `..`);
 * - role names: not `pg_…`, `public`, `none`, `neon_superuser` or `cloud_admin`;
 * - no name holds control characters (C0, DEL, C1) or is only blanks.
 */

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const RESERVED_ROLE_NAMES = new Set(['public', 'none', 'neon_superuser', 'cloud_admin']);

function commonIssue(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (CONTROL_CHARACTERS.test(name)) return 'must not contain control characters';
  if (name.trim() === '') return 'must not be only blanks';
  return undefined;
}

/** Why Neon refuses a branch or project name, or `undefined`. */
export function textNameIssue(name: string): string | undefined {
  return commonIssue(name) ?? (name.length > 256 ? 'must be at most 256 characters' : undefined);
}

/** Why Neon refuses a database name, or `undefined`. */
export function databaseNameIssue(name: string): string | undefined {
  const issue = commonIssue(name);
  if (issue) return issue;
  if (Buffer.byteLength(name, 'utf8') > 63) return 'must be at most 63 bytes';
  if (/[/\\]/.test(name) || name.includes('..')) return 'must not contain "/", "\\" or ".."';
  return undefined;
}

/** Why Neon refuses a role name, or `undefined`. */
export function roleNameIssue(name: string): string | undefined {
  const issue = databaseNameIssue(name);
  if (issue) return issue;
  if (name.toLowerCase().startsWith('pg_')) return 'must not start with "pg_"';
  if (RESERVED_ROLE_NAMES.has(name.toLowerCase())) return 'is reserved';
  return undefined;
}

type Rule = (name: string) => string | undefined;

/** Throws Neon's 400 when `name` (the request field `field`) breaks `rule`; nothing is changed before. */
export function checkName(field: string, name: string | undefined, rule: Rule): void {
  if (name === undefined) return;
  const issue = rule(name);
  if (issue) throw badRequest(`${field} ${issue}`);
}
