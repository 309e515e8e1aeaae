import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it, onTestFinished } from 'vitest';
import { useHarness, type Harness } from './test/harness.js';
import { startReceiver } from './test/receiver.js';

const require = createRequire(import.meta.url);

/** A dispatcher in a child process (lock 1 s), ready to take jobs; killed when the test ends. */
async function spawnDispatcher(h: Harness): Promise<{ kill(): Promise<NodeJS.Signals | null> }> {
  const tsx = pathToFileURL(require.resolve('tsx/esm')).href;
  const child = spawn(process.execPath, ['--import', tsx, fileURLToPath(new URL('./test/dispatcher-process.ts', import.meta.url))], {
    env: { PATH: process.env.PATH ?? '', REDIS_URL: h.redisUrl, KEY_PREFIX: h.prefix, SECRETS_KEY: h.secretsKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c.toString();
      if (out.includes('dispatcher ready')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', () => reject(new Error(`dispatcher exited early:\n${out}`)));
  });

  return {
    kill() {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

describe('at least once', () => {
  it('a dispatcher SIGKILLed in the middle of a delivery loses nothing: another one delivers it', async () => {
    const h = useHarness();
    let calls = 0;
    const r = await startReceiver((_req, res) => {
      calls += 1;
      // Hold the first request open: the dispatcher dies while it waits for the answer.
      if (calls > 1) res.writeHead(200).end('ok');
    });
    onTestFinished(() => r.close());
    const { secret } = await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });

    const { kill } = await spawnDispatcher(h);

    const intent = await h.finishedIntent('t', 'succeeded');
    const [delivery] = await h.publisher.publishIntentEnd({ teamId: 't', intentId: intent.id, status: 'succeeded', at: new Date() });
    await r.waitFor(1, 20_000);
    expect(await kill()).toBe('SIGKILL');
    expect((await h.deliveries.get(delivery!.id))?.status).toBe('pending');

    // A new dispatcher finds the job stalled once the dead one's lock expires, and sends it again.
    h.startDispatcher({}, { lockDurationMs: 1000, stalledIntervalMs: 300 });
    const final = await h.waitForDelivery(delivery!.id, (d) => d.status === 'succeeded', 20_000);
    expect(final.messageId).toBe(delivery!.messageId);
    expect(r.received).toHaveLength(2);
    for (const x of r.received) {
      expect(x.headers['webhook-id']).toBe(delivery!.messageId);
      expect(new Webhook(secret).verify(x.body, x.headers)).toBeTruthy();
    }
    expect(await h.deliveries.attempts(delivery!.id)).toHaveLength(1);
  });

  it('a delivery whose job stalls more than allowed is marked failed (kept for replay), not left pending', async () => {
    const h = useHarness();
    const r = await startReceiver(() => undefined);
    onTestFinished(() => r.close());
    await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    const { kill } = await spawnDispatcher(h);
    const intent = await h.finishedIntent('t', 'succeeded');
    const [delivery] = await h.publisher.publishIntentEnd({ teamId: 't', intentId: intent.id, status: 'succeeded', at: new Date() });
    await r.waitFor(1, 20_000);
    await kill();
    h.startDispatcher({}, { lockDurationMs: 1000, stalledIntervalMs: 300, maxStalledCount: 0 });
    const final = await h.waitForDelivery(delivery!.id, (d) => d.status !== 'pending', 20_000);
    expect(final.status).toBe('failed');
    expect(r.received).toHaveLength(1);
  });

  it('a dispatcher SIGKILLed in the middle of a job of several deliveries loses none of them and sends each again under the same webhook-id', async () => {
    const h = useHarness();
    let holding = true;
    const r = await startReceiver((_req, res) => {
      // Hold every request open until the dispatcher is dead.
      if (!holding) res.writeHead(200).end('ok');
    });
    onTestFinished(() => r.close());
    const { secret } = await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    const { kill } = await spawnDispatcher(h);

    const intents = await Promise.all([0, 1, 2, 3].map(() => h.finishedIntent('t', 'succeeded')));
    const made = await Promise.all(intents.map((i) => h.publisher.publishIntentEnd({ teamId: 't', intentId: i.id, status: 'succeeded', at: new Date() })));
    const deliveries = made.flat();
    expect(new Set(deliveries.map((d) => d.jobId)).size).toBe(1);
    await r.waitFor(1, 20_000);
    expect(await kill()).toBe('SIGKILL');
    const sentBefore = r.received.length;
    holding = false;

    h.startDispatcher({}, { lockDurationMs: 1000, stalledIntervalMs: 300 });
    for (const d of deliveries) expect((await h.waitForDelivery(d.id, (x) => x.status === 'succeeded', 20_000)).messageId).toBe(d.messageId);
    // Each delivery arrived after the crash exactly once, signed, and its log holds that one attempt.
    const after = r.received.slice(sentBefore);
    expect(after.map((x) => x.headers['webhook-id']).sort()).toEqual(deliveries.map((d) => d.messageId).sort());
    for (const x of after) expect(new Webhook(secret).verify(x.body, x.headers)).toBeTruthy();
    for (const d of deliveries) expect(await h.deliveries.attempts(d.id)).toHaveLength(1);
  });

  it('a job of several deliveries that stalls more than allowed marks each of them failed (kept for replay)', async () => {
    const h = useHarness();
    const r = await startReceiver(() => undefined);
    onTestFinished(() => r.close());
    await h.subscriptions.create('t', { url: r.url, events: ['intent.*'] });
    const { kill } = await spawnDispatcher(h);
    const intents = await Promise.all([0, 1, 2].map(() => h.finishedIntent('t', 'succeeded')));
    const deliveries = (await Promise.all(intents.map((i) => h.publisher.publishIntentEnd({ teamId: 't', intentId: i.id, status: 'succeeded', at: new Date() })))).flat();
    expect(new Set(deliveries.map((d) => d.jobId)).size).toBe(1);
    await r.waitFor(1, 20_000);
    await kill();
    h.startDispatcher({}, { lockDurationMs: 1000, stalledIntervalMs: 300, maxStalledCount: 0 });
    for (const d of deliveries) expect((await h.waitForDelivery(d.id, (x) => x.status !== 'pending', 20_000)).status).toBe('failed');
  });
});
