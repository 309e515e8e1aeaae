import { corePrefix } from '@neonops/intents';
import { hash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal bodies give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item === undefined ? null : item)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 of method, path and canonical body: what "the same request" means for a key. */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  return hash('sha256', `${method.toUpperCase()} ${path}\n${canonicalJson(body ?? null)}`, 'hex');
}

/** The Redis key of an idempotency record: per team, with the client's key hashed (any bytes, bounded length); in the core slot, where the intent it makes is stored in the same script. */
export function idempotencyRedisKey(prefix: string, teamId: string, key: string): string {
  return `${corePrefix(prefix)}idempotency:${teamId}:${hash('sha256', key, 'hex')}`;
}
