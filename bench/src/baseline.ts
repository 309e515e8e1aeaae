/**
 * A baseline build of the service from another git commit, to measure a change next to what
 * it replaced in the same run: the commit is checked out into a git worktree under the OS
 * temp dir (kept between runs), its dependencies installed offline from pnpm's store, and
 * its packages imported from there (TypeScript source, as tsx runs everything here).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { buildApp } from '@neonops/api';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The worktree of `ref`, made (and installed) on first use. */
export function baselineWorktree(ref: string): string {
  const sha = execFileSync('git', ['rev-parse', '--short=12', `${ref}^{commit}`], { cwd: repoRoot, encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), `neonops-bench-baseline-${sha}`);
  if (!existsSync(join(dir, 'node_modules'))) {
    console.error(`[bench] baseline ${ref} (${sha}): worktree in ${dir}, installing offline…`);
    if (!existsSync(dir)) execFileSync('git', ['worktree', 'add', '--detach', dir, sha], { cwd: repoRoot, stdio: 'ignore' });
    try {
      execFileSync('pnpm', ['install', '--offline', '--frozen-lockfile', '--reporter=silent'], { cwd: dir, stdio: 'inherit' });
    } catch {
      // Something of that commit is not in the store yet: fetch it from the registry.
      execFileSync('pnpm', ['install', '--frozen-lockfile', '--reporter=silent'], { cwd: dir, stdio: 'inherit' });
    }
  }
  return dir;
}

/** `buildApp` of the API as it was at `ref`. */
export async function baselineBuildApp(ref: string): Promise<typeof buildApp> {
  const dir = baselineWorktree(ref);
  const api = (await import(pathToFileURL(join(dir, 'apps/api/src/index.ts')).href)) as { buildApp: typeof buildApp };
  return api.buildApp;
}
