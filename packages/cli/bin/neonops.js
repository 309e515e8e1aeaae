#!/usr/bin/env node
/* global process, URL */
// neonops: in this repository it runs the TypeScript source through tsx (a devDependency);
// the npm package has no src/, only dist/ (compiled by `pnpm build`, run on prepack).
import { existsSync } from 'node:fs';

const source = new URL('../src/cli.ts', import.meta.url);
const built = new URL('../dist/cli.js', import.meta.url);

async function tsxRegister() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch {
    return undefined;
  }
}

const register = existsSync(source) ? await tsxRegister() : undefined;
if (register) {
  register();
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write('neonops: neither tsx with src/cli.ts nor dist/cli.js is available; run `pnpm --filter @neonops/cli build`\n');
  process.exitCode = 2;
}
