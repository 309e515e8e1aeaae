import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTracing } from '@neonops/observability';

export interface TracedRunOptions {
  /** As the API process starts tracing: `false` (no async context manager). */
  asyncContext: boolean;
  /** `OTEL_TRACES_SAMPLER_ARG`; undefined: the default sampling. */
  samplingRatio?: number;
}

/**
 * `run` with tracing on, spans batched over OTLP/HTTP to a sink on loopback that reads and
 * drops them; tracing is stopped after, so other rounds run untraced. `exportedBytes`: what
 * the sink received (0: no span was exported).
 */
export async function withTracingToSink<T>(options: TracedRunOptions, run: () => Promise<T>): Promise<{ value: T; exportedBytes: number }> {
  let exportedBytes = 0;
  const sink = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => (exportedBytes += chunk.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const tracing = startTracing({
    serviceName: 'neonops-bench',
    asyncContext: options.asyncContext,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
      ...(options.samplingRatio === undefined ? {} : { OTEL_TRACES_SAMPLER_ARG: String(options.samplingRatio) }),
    },
  });
  if (!tracing) throw new Error('tracing did not start');
  let value: T;
  try {
    value = await run();
  } finally {
    // Shutdown flushes the last batch to the sink: counted below.
    await tracing.shutdown();
    await new Promise<void>((resolve) => sink.close(() => resolve()));
  }
  return { value, exportedBytes };
}
