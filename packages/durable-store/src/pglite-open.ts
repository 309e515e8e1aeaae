import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';

export interface OpenPGliteOptions {
  /**
   * Where the snapshot of a fresh database is kept (see {@link openPGlite}); `false` turns the
   * snapshot off. Default: the OS temporary directory.
   */
  snapshotDir?: string | false;
}

/**
 * Opens an embedded PGlite: in memory (`dataDir` undefined) or in `dataDir`.
 *
 * A new database runs initdb in WebAssembly, which takes about 10 s on a 2-core machine. So
 * the first new database made on a machine is saved as a tarball right after initdb (before
 * anything is written to it), named by the PGlite version, and later new databases start
 * from it (about 2 s): `pnpm start` without a `DATABASE_URL`, and tests on a machine without
 * PostgreSQL, pay initdb once. A snapshot that cannot be read or written only costs the
 * initdb it would have saved.
 */
export async function openPGlite(dataDir: string | undefined, options: OpenPGliteOptions = {}): Promise<PGlite> {
  if (dataDir !== undefined && existsSync(join(dataDir, 'PG_VERSION'))) return PGlite.create(dataDir);
  const snapshot = options.snapshotDir === false ? undefined : join(options.snapshotDir ?? tmpdir(), `neonops-pglite-${await pgliteVersion()}-initdb.tar`);
  if (snapshot !== undefined && existsSync(snapshot)) {
    try {
      return await PGlite.create(dataDir, { loadDataDir: new Blob([await readFile(snapshot)]) });
    } catch {
      // A damaged snapshot: start afresh below and write a new one.
    }
  }
  const pglite = await PGlite.create(dataDir);
  if (snapshot !== undefined) await saveSnapshot(pglite, snapshot).catch(() => undefined);
  return pglite;
}

async function saveSnapshot(pglite: PGlite, path: string): Promise<void> {
  const tarball = await pglite.dumpDataDir('none');
  // Written aside and renamed: a reader never sees half a file, and parallel writers are harmless.
  const partial = `${path}.${process.pid}.${Date.now()}.partial`;
  await writeFile(partial, Buffer.from(await tarball.arrayBuffer()));
  await rename(partial, path);
}

async function pgliteVersion(): Promise<string> {
  // The package does not export its package.json; it sits two levels above its entry point.
  const entry = fileURLToPath(import.meta.resolve('@electric-sql/pglite'));
  const manifest = JSON.parse(await readFile(join(entry, '..', '..', 'package.json'), 'utf8')) as { version?: string };
  return manifest.version ?? 'unknown';
}
