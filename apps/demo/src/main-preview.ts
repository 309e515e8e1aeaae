/** `pnpm demo:preview` (see preview-demo.ts): exits 0 when the story was told, 1 otherwise. */
import { loadDemoConfig, processEnv } from './config.js';
import { runPreviewDemo } from './preview-demo.js';

const env = processEnv();
runPreviewDemo(loadDemoConfig(env), { env, write: (line) => process.stdout.write(`${line}\n`) }).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`pnpm demo:preview failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
