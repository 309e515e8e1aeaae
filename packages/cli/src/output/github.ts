import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { EOL } from 'node:os';
import type { Output } from './progress.js';
import type { ResultValue } from './results.js';

/** Workflow-command data escaping, as `@actions/core` does (`%`, CR, LF). */
export function escapeCommandData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/**
 * Every string GitHub must hide for a secret value: the value itself, each of its lines
 * (the runner masks line by line), and for a URL its password, raw and decoded, so a
 * tool that prints the password alone (psql, an ORM's error) is masked too.
 */
export function maskedParts(value: string): string[] {
  const parts = new Set<string>([value, ...value.split(/\r?\n/)]);
  try {
    const url = new URL(value);
    if (url.password) {
      parts.add(url.password);
      parts.add(decodeURIComponent(url.password));
    }
  } catch {
    // Not a URL: the value and its lines.
  }
  return [...parts].filter((p) => p.trim().length > 0);
}

/** `name<<delimiter` blocks (multi-line safe), with a random delimiter as `@actions/core` makes it. */
export function githubOutputBlock(name: string, value: string, delimiter = `ghadelimiter_${randomUUID()}`): string {
  if (name.includes(delimiter) || value.includes(delimiter)) throw new Error(`the output ${name} contains its delimiter`);
  return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`;
}

/**
 * Hands values to a GitHub Actions step: first an `::add-mask::` line on `out` for every
 * part of every secret (so the runner hides them before they can appear anywhere), then one
 * multi-line-safe block per value appended to the `$GITHUB_OUTPUT` file.
 */
export function writeGithubOutputs(file: string, values: readonly ResultValue[], out: Output): void {
  const masks = new Set(values.filter((v) => v.secret).flatMap((v) => maskedParts(v.value)));
  for (const part of masks) out.write(`::add-mask::${escapeCommandData(part)}\n`);
  appendFileSync(file, values.map((v) => githubOutputBlock(v.output, v.value)).join(''), 'utf8');
}
