import { branchNameSchema, pgNameSchema, projectNameSchema, roleNameSchema } from '@neonops/intents';
import { databaseNameIssue, roleNameIssue, textNameIssue } from '@neonops/neon-sim';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';

/** A small seeded generator (mulberry32): the same corpus on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pieces = ['a', 'Z', '0', '_', '-', '.', '..', '/', '\\', ' ', '\t', '\n', '\u0000', '\u001b', '\u007f', '\u0085', 'é', '€', '😀', 'pg_', 'PG_', 'public', 'none', 'neon_superuser', 'cloud_admin'];

/** Names near every rule: lengths around 63 bytes and 256 characters, control characters, dots, slashes, reserved words. */
function corpus(): string[] {
  const next = random(12);
  const names = new Set<string>(['', ' ', '..', '.', 'a..b', 'main', 'preview/pr-1', 'x'.repeat(63), 'x'.repeat(64), 'x'.repeat(256), 'x'.repeat(257), '€'.repeat(21), '€'.repeat(22)]);
  for (const w of ['public', 'PUBLIC', 'none', 'neon_superuser', 'Cloud_Admin', 'pg_x', 'Pg_x', 'pgx']) names.add(w);
  for (let i = 0; i < 4000; i++) {
    const length = Math.floor(next() ** 3 * 300);
    let name = '';
    while (name.length < length) name += pieces[Math.floor(next() * pieces.length)];
    names.add(name);
  }
  return [...names];
}

const agree = (schema: z.ZodType, simIssue: (name: string) => string | undefined) => {
  const disagreements: { name: string; ours: boolean; sim: string | undefined }[] = [];
  for (const name of corpus()) {
    const ours = schema.safeParse(name).success;
    const sim = simIssue(name);
    if (ours !== (sim === undefined)) disagreements.push({ name, ours, sim });
  }
  return disagreements;
};

describe('name rules: what the params accept is exactly what the simulated Neon accepts', () => {
  it('branch and project names', () => {
    expect(agree(branchNameSchema, textNameIssue)).toEqual([]);
    expect(agree(projectNameSchema, textNameIssue)).toEqual([]);
  });
  it('database names', () => {
    expect(agree(pgNameSchema, databaseNameIssue)).toEqual([]);
  });
  it('role names', () => {
    expect(agree(roleNameSchema, roleNameIssue)).toEqual([]);
  });
  it('the corpus reaches every rule (accepted and refused names of each kind)', () => {
    const names = corpus();
    for (const rule of [textNameIssue, databaseNameIssue, roleNameIssue]) {
      expect(names.some((n) => rule(n) === undefined)).toBe(true);
      for (const reason of ['control characters', 'blanks', 'must not be empty']) expect(names.some((n) => rule(n)?.includes(reason))).toBe(true);
    }
    expect(names.some((n) => textNameIssue(n)?.includes('256'))).toBe(true);
    expect(names.some((n) => databaseNameIssue(n)?.includes('63 bytes'))).toBe(true);
    expect(names.some((n) => databaseNameIssue(n)?.includes('".."'))).toBe(true);
    expect(names.some((n) => roleNameIssue(n)?.includes('pg_'))).toBe(true);
    expect(names.some((n) => roleNameIssue(n) === 'is reserved')).toBe(true);
  });
});
