import { main } from './main.js';

// The process's edge: the only place that reads process.env and sets the exit code.
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  // eslint-disable-next-line no-restricted-properties -- handed to loadConfig, which parses it once
  env: process.env,
  stdin: process.stdin,
});
