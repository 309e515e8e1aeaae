#!/usr/bin/env node
/* global process, console, URL */
/**
 * `node scripts/bundle.mjs <src/entry.ts>...` (run from a package directory, by its `build`
 * script through `pnpm build`): bundles each process entry with esbuild into `dist/<name>.js`,
 * ESM for Node 20. Our workspace packages (`@neonops/*`, TypeScript source) are bundled in;
 * every other package stays an import resolved from `node_modules` at run time (the image
 * installs them with `pnpm deploy --prod`), so packages that read their own files (BullMQ's
 * Lua scripts, PGlite's WASM, Swagger UI's assets, pino's transports) keep working.
 *
 * Our own code reads its Lua scripts relative to the module (`new URL('./commands/x.lua',
 * import.meta.url)`). In a bundle every module shares one `import.meta.url`, so each bundled
 * module's `import.meta.url` becomes the URL of its source path under `dist/assets/`, where
 * every `.lua` file of the workspace's `src/` trees is copied with the same relative layout.
 * The entry module keeps the real `import.meta.url` (its "am I the main module" check).
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cwd = process.cwd();
const entries = process.argv.slice(2);
if (entries.length === 0) {
  console.error('usage: node scripts/bundle.mjs <src/entry.ts>...');
  process.exit(2);
}
const outdir = join(cwd, 'dist');
rmSync(outdir, { recursive: true, force: true });

/** Relative path of a workspace file from the root, with forward slashes. */
const fromRoot = (file) => relative(root, file).split('\\').join('/');

/** @type {import('esbuild').Plugin} */
const workspaceOnly = {
  name: 'workspace-only',
  setup(b) {
    // Bare imports: ours (`@neonops/...`) are bundled, everything else is external.
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@neonops/')) return undefined;
      return { path: args.path, external: true };
    });
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const isEntry = entries.some((e) => resolve(cwd, e) === args.path);
      if (isEntry || !source.includes('import.meta.url')) return { contents: source, loader: 'ts' };
      const asset = JSON.stringify(`./assets/${fromRoot(args.path)}`);
      return { contents: source.replaceAll('import.meta.url', `new URL(${asset}, import.meta.url).href`), loader: 'ts' };
    });
  },
};

await build({
  entryPoints: entries.map((e) => ({ in: resolve(cwd, e), out: basename(e).replace(/\.ts$/, '') })),
  outdir,
  bundle: true,
  splitting: false,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [workspaceOnly],
});

/** Every `.lua` under apps/*\/src and packages/*\/src, copied to dist/assets/<same path>. */
function copyLua(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copyLua(path);
    else if (name.endsWith('.lua')) {
      const target = join(outdir, 'assets', fromRoot(path));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(path, target);
    }
  }
}
for (const group of ['apps', 'packages']) {
  for (const pkg of readdirSync(join(root, group))) {
    const src = join(root, group, pkg, 'src');
    try {
      if (statSync(src).isDirectory()) copyLua(src);
    } catch {
      // a package without src/
    }
  }
}
console.log(`bundled ${entries.join(', ')} into ${relative(root, outdir)}/`);
