/** `pnpm demo` (see demo.ts): exits 0 when the story was told, 1 otherwise. */
import { loadDemoConfig, processEnv } from './config.js';
import { runDemo } from './demo.js';

const env = processEnv();
runDemo(loadDemoConfig(env), { env, write: (line) => process.stdout.write(`${line}\n`) }).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`pnpm demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
