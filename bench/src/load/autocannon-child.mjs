// HTTP load generator for the enqueue benchmark, run as its own process (node, plain
// JavaScript: no TypeScript loader) so that it never shares an event loop with the server.
// argv[2]: JSON { url, amount, connections, headers, body, uniqueKeys, overallRate? (requests/s in all; default: as fast as answered) }.
// Prints one JSON line: { ok, non2xx, errors, seconds, p50, p90, p99, max, clientCpuMs }.
//
// `seconds` runs from the start to the LAST RESPONSE, on this process's own clock. autocannon's
// 'done' (and its `duration`) comes only at its next sample tick (`sampleInt`, 1 s): a run of
// 6,000 requests that took 1.1 s ended at 2.0 s, so a rate taken from 'done' fell on the steps
// 6,000/1 s, /2 s, /3 s… (5,800, 2,950, 1,966, 1,475/s here) whatever the server did — the
// "ceiling of ~1,950/s" and the "16 ms steps" of issue #14 were that tick, not the server.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import autocannon from 'autocannon';

const { url, amount, connections, headers, body, uniqueKeys, overallRate } = JSON.parse(process.argv[2]);
let n = 0;
let lastResponse = 0;
const started = performance.now();
const run = autocannon({
  url,
  method: 'POST',
  connections,
  pipelining: 1,
  amount,
  ...(overallRate ? { overallRate } : {}),
  timeout: 30,
  headers,
  body,
  requests: [
    {
      method: 'POST',
      body,
      headers,
      setupRequest: (request) =>
        uniqueKeys ? { ...request, headers: { ...request.headers, 'idempotency-key': `bench-${n++}-${randomUUID()}` } } : request,
    },
  ],
});
run.on('response', () => {
  lastResponse = performance.now();
});
run.on('done', (result) => {
  const cpu = process.cpuUsage();
  const answered = result['2xx'] + result.non2xx;
  process.stdout.write(
    `${JSON.stringify({
      ok: result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      // Own wall clock, to the last response (see above).
      seconds: ((lastResponse || performance.now()) - started) / 1000,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      // This process's CPU per answer (user + system, start-up included): the client's share of the cores.
      clientCpuMs: answered > 0 ? (cpu.user + cpu.system) / 1000 / answered : 0,
    })}\n`,
  );
});
