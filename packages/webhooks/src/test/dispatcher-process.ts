// A dispatcher in its own process, for the crash test: env in, "dispatcher ready" out.
import { createRedis, IntentStore, SecretBox } from '@neonops/intents';
import { pino } from 'pino';
import { DeliveryLog } from '../delivery-log.js';
import { createWebhookDispatcher } from '../dispatcher.js';
import { SubscriptionStore } from '../subscription-store.js';

const env = process.env;
const prefix = env.KEY_PREFIX ?? '';
const connect = () => createRedis(env.REDIS_URL ?? '', { maxRetriesPerRequest: null });
const redis = connect();
const secretBox = new SecretBox(env.SECRETS_KEY ?? '');
const dispatcher = createWebhookDispatcher({
  connection: connect,
  keyPrefix: prefix,
  subscriptions: new SubscriptionStore(redis, { prefix, secretBox }),
  deliveries: new DeliveryLog(redis, { prefix }),
  intents: new IntentStore(redis, { prefix }),
  secretBox,
  logger: pino({ level: 'info' }),
  settings: { allowCidrs: ['127.0.0.1/32'], retryScheduleMs: [0, 20, 20], timeoutMs: 60_000 },
  options: { lockDurationMs: 1000, stalledIntervalMs: 500 },
});
await dispatcher.worker.waitUntilReady();
process.stdout.write('dispatcher ready\n');
