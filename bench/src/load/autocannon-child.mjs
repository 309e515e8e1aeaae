// HTTP load generator for the enqueue benchmark, run as its own process (node, plain
// JavaScript: no TypeScript loader) so that it never shares an event loop with the server.
// argv[2]: JSON { url, amount, connections, headers, body, uniqueKeys, rate? }.
// Prints one JSON line: { ok, non2xx, errors, seconds, p50, p90, p99, max }.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import autocannon from 'autocannon';

const { url, amount, connections, headers, body, uniqueKeys, rate } = JSON.parse(process.argv[2]);
let n = 0;
const started = performance.now();
const run = autocannon({
  url,
  method: 'POST',
  connections,
  pipelining: 1,
  // A fixed offered rate (requests/s in all), else as fast as the server answers.
  ...(rate ? { overallRate: rate } : {}),
  amount,
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
run.on('done', (result) => {
  process.stdout.write(
    `${JSON.stringify({
      ok: result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      // Own wall clock: autocannon's duration is rounded.
      seconds: (performance.now() - started) / 1000,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    })}\n`,
  );
});
