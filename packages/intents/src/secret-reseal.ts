import { corePrefix } from './keyspace.js';
import { scanKeys } from '@neonops/redis';
import { sourcesPrefix } from './sources/source-store.js';
import type { Redis } from 'ioredis';
import { RedisScript } from './redis-script.js';
import { secretContext, type SecretBox } from './secret-box.js';

const RESEAL_STRING = RedisScript.load(new URL('./commands/reseal-string-1.lua', import.meta.url));
const RESEAL_HASH_FIELD = RedisScript.load(new URL('./commands/reseal-hash-field-1.lua', import.meta.url));

/**
 * Where one kind of sealed secret is stored, for the re-seal job. Each store that seals
 * something exports its target (`intentSecretsTarget`, `sourceSecretsTarget`, the webhooks
 * package's `subscriptionSecretsTarget`), so the key layout is written down once, beside it.
 */
export interface ResealTarget {
  /** What the values are, for reports and logs (e.g. `intent secrets`). */
  name: string;
  /** SCAN pattern of the keys holding the values (under the service's key prefix). */
  match: string;
  /**
   * How the sealed value sits in its key: the whole string, one hash field, or one field of
   * a JSON record kept as a string.
   */
  layout: { type: 'string' } | { type: 'hash-field'; field: string } | { type: 'json-field'; field: string };
  /** The {@link secretContext} of the value in `key`; `undefined` for a key the pattern matches but that holds none. */
  contextOf(key: string): string | undefined;
}

/** Sealed secrets of intent results: `<prefix>{core}:intent:<id>:secrets` (a string, bound to the intent id). */
export function intentSecretsTarget(prefix: string): ResealTarget {
  const head = `${corePrefix(prefix)}intent:`;
  return {
    name: 'intent secrets',
    match: `${escapeGlob(head)}*:secrets`,
    layout: { type: 'string' },
    contextOf: (key) => {
      const id = key.slice(head.length, -':secrets'.length);
      return id !== '' && !id.includes(':') ? secretContext.intent(id) : undefined;
    },
  };
}

/** Shared secrets of hook sources: `<prefix>{sources}:source:<id>` (a JSON record, `sealedSecret` bound to the source id). */
export function sourceSecretsTarget(prefix: string): ResealTarget {
  const head = `${sourcesPrefix(prefix)}source:`;
  return {
    name: 'source secrets',
    match: `${escapeGlob(head)}*`,
    layout: { type: 'json-field', field: 'sealedSecret' },
    contextOf: (key) => {
      const id = key.slice(head.length);
      return id !== '' && !id.includes(':') ? secretContext.source(id) : undefined;
    },
  };
}

/** What one run of {@link resealSecrets} did, per target name and in total. */
export interface ResealReport {
  /** Sealed values found. */
  seen: number;
  /** Values rewritten with the current key. */
  resealed: number;
  /** Values already sealed with the current key (left alone). */
  current: number;
  /** Values changed or deleted between the read and the write (left alone: the writer sealed them with the current key). */
  changed: number;
  /** Values no listed key opens (left alone; reported by key name, never by value). */
  unopenable: string[];
}

export interface ResealOptions {
  redis: Redis;
  secretBox: SecretBox;
  targets: readonly ResealTarget[];
  /** Keys per SCAN round. Default 500. */
  scanCount?: number;
}

/**
 * Moves every sealed value of `targets` to the box's current key (and the `v2` format bound
 * to its record). Idempotent and crash-safe: each value is rewritten alone and atomically,
 * only if it still holds what was read (a Lua compare-and-set), so a run cut short leaves
 * every value either old-and-readable or new, and running again finishes the job.
 */
export async function resealSecrets(options: ResealOptions): Promise<ResealReport> {
  const report: ResealReport = { seen: 0, resealed: 0, current: 0, changed: 0, unopenable: [] };
  const { redis, secretBox } = options;
  for (const target of options.targets) {
    // Every master of a cluster (the keys are spread over its slots).
    for await (const keys of scanKeys(redis, target.match, options.scanCount ?? 500)) {
      for (const key of keys) {
        const context = target.contextOf(key);
        if (context === undefined) continue;
        const outcome = await resealOne(redis, secretBox, target, key, context);
        if (outcome === 'none') continue;
        report.seen++;
        if (outcome === 'unopenable') report.unopenable.push(key);
        else report[outcome]++;
      }
    }
  }
  return report;
}

type Outcome = 'none' | 'current' | 'resealed' | 'changed' | 'unopenable';

async function resealOne(redis: Redis, box: SecretBox, target: ResealTarget, key: string, context: string): Promise<Outcome> {
  const layout = target.layout;
  if (layout.type === 'hash-field') {
    const type = await redis.type(key);
    if (type !== 'hash') return 'none';
    const sealed = await redis.hget(key, layout.field);
    if (sealed === null) return 'none';
    if (!box.needsReseal(sealed)) return 'current';
    const next = tryReseal(box, sealed, context);
    if (next === undefined) return 'unopenable';
    return (await RESEAL_HASH_FIELD.run(redis, [key], [layout.field, sealed, next])) === 1 ? 'resealed' : 'changed';
  }
  if ((await redis.type(key)) !== 'string') return 'none';
  const raw = await redis.get(key);
  if (raw === null) return 'none';
  let replacement: string | undefined;
  if (layout.type === 'string') {
    if (!box.needsReseal(raw)) return 'current';
    replacement = tryReseal(box, raw, context);
  } else {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return 'none';
    }
    const sealed = record[layout.field];
    if (typeof sealed !== 'string') return 'none';
    if (!box.needsReseal(sealed)) return 'current';
    const next = tryReseal(box, sealed, context);
    replacement = next === undefined ? undefined : JSON.stringify({ ...record, [layout.field]: next });
  }
  if (replacement === undefined) return 'unopenable';
  return (await RESEAL_STRING.run(redis, [key], [raw, replacement])) === 1 ? 'resealed' : 'changed';
}

function tryReseal(box: SecretBox, sealed: string, context: string): string | undefined {
  try {
    return box.reseal(sealed, context);
  } catch {
    return undefined;
  }
}

/** A key prefix as a literal in a SCAN pattern (`*`, `?`, `[`, `]` and `\` escaped). */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
