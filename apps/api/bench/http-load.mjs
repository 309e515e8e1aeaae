// Load generator for bench/enqueue.ts, run in a worker thread so that it does not share the
// API's event loop: POSTs `total` requests with `concurrency` keep-alive connections and
// reports per-request latencies. Plain JavaScript so that the thread needs no TS loader.
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { port, total, concurrency, token, body, withKey = true } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

function post(i) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/intents',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(withKey ? { 'idempotency-key': `bench-${i}-${randomUUID()}` } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 202 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const latencies = [];
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const i = next++;
      const t0 = performance.now();
      await post(i);
      latencies.push(performance.now() - t0);
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
agent.destroy();
parentPort.postMessage({ seconds, latencies });
