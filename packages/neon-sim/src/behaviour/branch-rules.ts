import { badRequest } from '../http/errors.js';
import { iso } from '../http/serialize.js';

/** Neon refuses an `expires_at` further ahead than this. */
export const MAX_BRANCH_TTL_MS = 30 * 24 * 60 * 60 * 1000;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Checks a branch expiration the way Neon does: RFC 3339, in the future, at most 30 days
 * ahead, and never on a protected or the default branch. Returns it normalized to seconds.
 */
export function checkExpiresAt(value: string, now: number, branch: { isDefault: boolean; isProtected: boolean }): string {
  const at = RFC3339.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) throw badRequest('expires_at must be an RFC 3339 timestamp, such as 2025-06-09T18:02:16Z');
  if (at <= now) throw badRequest('expires_at must be in the future');
  if (at - now > MAX_BRANCH_TTL_MS) throw badRequest('expires_at must not be more than 30 days in the future');
  if (branch.isDefault) throw badRequest('expiration cannot be set on the default branch');
  if (branch.isProtected) throw badRequest('expiration cannot be set on a protected branch');
  return iso(at);
}
