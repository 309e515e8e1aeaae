import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { currentIntentContext, neonRequestId, runInIntentContext } from './intent-context.js';
import { NeonCallMetrics, observeNeonCalls } from './neon-calls.js';
import { parsePrometheusText, sampleValue } from './prometheus-text.js';
import { REDACT_PATHS, redactOptions } from './redact.js';
import { createMetricsRegistry } from './registry.js';

function capture(): { lines: Record<string, unknown>[]; logger: pino.Logger } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info', redact: redactOptions() }, destination) };
}

describe('intent context', () => {
  it('derives Neon request ids from the intent, step and attempt, numbered per call', async () => {
    const ids = await runInIntentContext({ intentId: 'int_1', teamId: 'team-a', kind: 'branch.create' }, async () => {
      const context = currentIntentContext();
      if (!context) throw new Error('no context');
      context.step = 'create branch';
      context.attempt = 2;
      await Promise.resolve();
      return [neonRequestId(), neonRequestId()];
    });
    expect(ids).toEqual(['int_1:create_branch:a2:1', 'int_1:create_branch:a2:2']);
  });

  it('is a random UUID outside an intent', () => {
    expect(currentIntentContext()).toBeUndefined();
    expect(neonRequestId()).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('observeNeonCalls', () => {
  it('logs each attempt at info with the intent, route, status, duration and request ids, and counts it', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const metrics = new NeonCallMetrics(registry);
    const { lines, logger } = capture();
    const hooks = observeNeonCalls({ logger, metrics });
    runInIntentContext({ intentId: 'int_9', teamId: 'team-b', kind: 'project.create', step: 'create project', attempt: 1 }, () => {
      hooks.onResponse?.({ method: 'POST', route: '/projects', attempt: 1, requestId: 'r1', status: 201, durationMs: 12.4, neonRequestId: 'neon-1' });
      hooks.onResponse?.({ method: 'POST', route: '/projects', attempt: 2, requestId: 'r1', status: 429, durationMs: 3, errorCode: 'NEON_RATE_LIMITED' });
      hooks.onResponse?.({ method: 'GET', route: '/projects/{project_id}', attempt: 1, requestId: 'r2', status: 423, durationMs: 3 });
      hooks.onRetry?.({ method: 'POST', route: '/projects', attempt: 2, requestId: 'r1', delayMs: 10, errorCode: 'NEON_RATE_LIMITED', fromRetryAfter: false });
    });
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'neon call',
      intentId: 'int_9',
      teamId: 'team-b',
      step: 'create project',
      neon: { method: 'POST', route: '/projects', status: 201, durationMs: 12, requestId: 'r1', neonRequestId: 'neon-1' },
    });
    expect(lines[1]).toMatchObject({ level: 40, intentId: 'int_9', neon: { status: 429, errorCode: 'NEON_RATE_LIMITED' } });
    const { samples } = parsePrometheusText(await registry.metrics());
    expect(sampleValue(samples, 'neonops_neon_requests_total', { route: '/projects' })).toBe(2);
    expect(sampleValue(samples, 'neonops_neon_requests_total', { status: '201' })).toBe(1);
    expect(sampleValue(samples, 'neonops_neon_rate_limited_total')).toBe(1);
    expect(sampleValue(samples, 'neonops_neon_locked_total')).toBe(1);
    expect(sampleValue(samples, 'neonops_neon_retries_total', { reason: 'NEON_RATE_LIMITED' })).toBe(1);
    expect(sampleValue(samples, 'neonops_neon_request_duration_seconds_count', { route: '/projects' })).toBe(2);
    expect(sampleValue(samples, 'neonops_neon_up')).toBe(1);
  });

  it('marks Neon down after a 5xx or no answer', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const metrics = new NeonCallMetrics(registry);
    const hooks = observeNeonCalls({ logger: capture().logger, metrics });
    hooks.onResponse?.({ method: 'GET', route: '/projects', attempt: 1, requestId: 'r', durationMs: 1, errorCode: 'NEON_TIMEOUT' });
    const { samples } = parsePrometheusText(await registry.metrics());
    expect(sampleValue(samples, 'neonops_neon_up')).toBe(0);
    expect(sampleValue(samples, 'neonops_neon_requests_total', { status: 'none' })).toBe(1);
  });
});

describe('redaction', () => {
  it('censors credentials, result secrets and params wherever they appear, and keeps ids', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        intentId: 'int_1',
        authorization: 'Bearer t0k3n',
        params: { name: 'private' },
        result: { connectionUris: ['postgres://u:pw@h/db'], password: 'pw' },
        subscription: { secret: 'whsec_x', headers: { authorization: 'x' } },
      },
      'x',
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of ['t0k3n', 'private', 'postgres://', '"pw"', 'whsec_x']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ intentId: 'int_1' });
    expect(REDACT_PATHS).toContain('*.connectionUris');
  });
});

describe('parsePrometheusText', () => {
  it('reads samples with escaped labels and the declared families', () => {
    const { samples, families } = parsePrometheusText(
      '# HELP a_total x\n# TYPE a_total counter\na_total{route="/p/{id}",msg="a\\"b"} 3\nb 1.5\n',
    );
    expect(families.get('a_total')).toBe('counter');
    expect(samples).toEqual([
      { name: 'a_total', labels: { route: '/p/{id}', msg: 'a"b' }, value: 3 },
      { name: 'b', labels: {}, value: 1.5 },
    ]);
    expect(sampleValue(samples, 'missing')).toBe(0);
  });
});
