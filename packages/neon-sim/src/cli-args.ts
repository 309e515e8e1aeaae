import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { faultRuleSchema, type NeonSimulatorOptions } from './options.js';

/** API key the CLI accepts when none is given (a local simulator; documented in the README). */
export const CLI_DEFAULT_API_KEY = 'neon-sim-local-key';

export const CLI_USAGE = `Usage: pnpm --filter @neonops/neon-sim sim [options]
  --port <n>                     TCP port (default 4010)
  --host <addr>                  interface (default 127.0.0.1)
  --api-key <key>                accepted API key; repeatable (default ${CLI_DEFAULT_API_KEY})
  --seed <n>                     seed for ids and randomness (default random)
  --scheduling-ms <n>            operation scheduling time (default 500)
  --running-ms <n>               operation running time (default 2500)
  --instant                      operations finish at once (0 ms / 0 ms)
  --failure-rate <0..1>          share of operations that fail (default 0)
  --rate-per-minute <n>          requests per minute per API key (default 700)
  --rate-per-route-second <n>    requests per second per key and route (default 40)
  --no-rate-limit                switch rate limiting off
  --faults <json|@file>          fault rules (JSON array)
  --branches-per-project <n>     branch limit per project (default 500)
  --region <id>                  default region (default aws-us-east-2)
  --visibility-lag-ms <n>        GET of a new branch/endpoint answers 404 this long (default 0)
  --log                          log every request
  --help`;

const num = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`--${name} must be a number`);
  return value;
};

/** Parses CLI flags into simulator options (throws with a message on bad input). */
export function parseCliArgs(argv: string[]): { help: boolean; options: NeonSimulatorOptions } {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string', multiple: true },
      seed: { type: 'string' },
      'scheduling-ms': { type: 'string' },
      'running-ms': { type: 'string' },
      instant: { type: 'boolean' },
      'failure-rate': { type: 'string' },
      'rate-per-minute': { type: 'string' },
      'rate-per-route-second': { type: 'string' },
      'no-rate-limit': { type: 'boolean' },
      faults: { type: 'string' },
      'branches-per-project': { type: 'string' },
      region: { type: 'string' },
      'visibility-lag-ms': { type: 'string' },
      log: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    allowPositionals: false,
  });
  const instant = values.instant ?? false;
  let faults: NeonSimulatorOptions['faults'];
  if (values.faults !== undefined) {
    const text = values.faults.startsWith('@') ? readFileSync(values.faults.slice(1), 'utf8') : values.faults;
    faults = z.array(faultRuleSchema).parse(JSON.parse(text));
  }
  const options: NeonSimulatorOptions = {
    port: num('port', values.port) ?? 4010,
    host: values.host ?? '127.0.0.1',
    apiKeys: values['api-key'] ?? [CLI_DEFAULT_API_KEY],
    operations: {
      schedulingMs: instant ? 0 : (num('scheduling-ms', values['scheduling-ms']) ?? 500),
      runningMs: instant ? 0 : (num('running-ms', values['running-ms']) ?? 2500),
      failureRate: num('failure-rate', values['failure-rate']) ?? 0,
    },
    rateLimit: values['no-rate-limit']
      ? false
      : {
          ...(values['rate-per-minute'] !== undefined ? { perMinute: num('rate-per-minute', values['rate-per-minute']) } : {}),
          ...(values['rate-per-route-second'] !== undefined ? { perRoutePerSecond: num('rate-per-route-second', values['rate-per-route-second']) } : {}),
        },
    logger: values.log ?? false,
    ...(values.seed !== undefined ? { seed: num('seed', values.seed) } : {}),
    ...(faults ? { faults } : {}),
    ...(values['branches-per-project'] !== undefined ? { branchesPerProject: num('branches-per-project', values['branches-per-project']) } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
    ...(values['visibility-lag-ms'] !== undefined ? { visibilityLagMs: num('visibility-lag-ms', values['visibility-lag-ms']) } : {}),
  };
  return { help: values.help ?? false, options };
}
