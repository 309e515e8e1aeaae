/**
 * `pnpm start`: checks Redis, starts the simulator (without NEON_API_KEY), a worker and
 * the API, then prints the URLs, a demo team token and a curl example.
 */
import { describeRedisUrl } from '@neonops/intents';
import { startTracing } from '@neonops/observability';
import { banner } from './banner.js';
import { loadStackConfig } from './config.js';
import { redisAnswers } from './redis-check.js';
import { startStack } from './stack.js';

async function main(): Promise<void> {
  // eslint-disable-next-line no-restricted-properties -- the process entry point hands the environment to the config parsers
  const env = process.env;
  const config = loadStackConfig(env);
  if (!(await redisAnswers(config.REDIS_URL))) {
    const where = describeRedisUrl(config.REDIS_URL);
    process.stderr.write(
      `No Redis answers at ${where}.\n` +
        'Start one, for example:\n' +
        '  redis-server --daemonize yes            (Debian: apt-get install redis-server)\n' +
        '  docker run -d -p 6379:6379 redis:7      (where Docker runs)\n' +
        'or point REDIS_URL at yours, then run `pnpm start` again.\n',
    );
    process.exit(1);
  }
  // OTEL_EXPORTER_OTLP_ENDPOINT set: one trace per intent from the POST through the job.
  const tracing = startTracing({ serviceName: 'neonops-stack', env });
  const stack = await startStack(config, { env });
  process.stdout.write(banner(stack, config.REDIS_URL));
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    stack
      .close()
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`pnpm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
