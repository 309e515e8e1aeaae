import { CLI_USAGE, parseCliArgs } from './cli-args.js';
import { startNeonSimulator } from './server.js';

/** `pnpm --filter @neonops/neon-sim sim --port 4010`: serves the simulator until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseCliArgs>;
  try {
    parsed = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${CLI_USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (parsed.help) {
    console.log(CLI_USAGE);
    return;
  }
  const sim = await startNeonSimulator(parsed.options);
  console.log(`Neon simulator: ${sim.url} (control API ${sim.origin}/_sim, seed ${sim.seed}, ${sim.apiKeys.length} API key(s))`);
  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
