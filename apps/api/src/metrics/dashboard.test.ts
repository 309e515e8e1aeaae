import { readFile } from 'node:fs/promises';
import { bullPrefix, corePrefix, INTENTS_QUEUE } from '@neonops/intents';
import { createMetricsRegistry } from '@neonops/observability';
import { useTestRedis } from '@neonops/testing';
import { RedisRateBudget, WorkerMetrics } from '@neonops/worker';
import { Queue } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ApiMetrics } from './api-metrics.js';

const DASHBOARD = new URL('../../../../deploy/grafana/neonops.json', import.meta.url);

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}

/** Every metric family the processes expose: the API's, a worker's (with its scrape-time gauges) and Node's process metrics. */
async function exposedFamilies(): Promise<Map<string, string>> {
  const redis = useTestRedis('dashboard');
  const api = new ApiMetrics(createMetricsRegistry());
  const worker = new WorkerMetrics(createMetricsRegistry());
  const queue = new Queue(INTENTS_QUEUE, { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
  onTestFinished(() => queue.close());
  worker.watch({ queues: [queue], redis: redis.connect(), outboxKey: `${corePrefix(redis.prefix)}outbox`, rateBudget: new RedisRateBudget(redis.connect(), { prefix: redis.prefix }) });
  const families = new Map<string, string>();
  for (const registry of [api.registry, worker.registry]) {
    for (const family of await registry.getMetricsAsJSON()) families.set(family.name, String(family.type));
  }
  return families;
}

/** The series names a PromQL expression reads (a histogram's `_bucket`/`_sum`/`_count` count as the family). */
function seriesNames(expr: string): string[] {
  const withoutLabels = expr.replace(/\{[^}]*\}/g, '').replace(/\[[^\]]*\]/g, '').replace(/"[^"]*"/g, '');
  const functions = new Set(['sum', 'rate', 'histogram_quantile', 'max', 'min', 'by', 'clamp_min', 'avg', 'increase', 'le', 'without', 'irate', 'count']);
  return [...withoutLabels.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]).filter((name) => !functions.has(name) && /_/.test(name) && !/^e\d/.test(name));
}

describe('Grafana dashboard (deploy/grafana/neonops.json)', () => {
  it('queries only metrics the API and the workers expose, and covers the golden signals', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[]; uid: string; title: string };
    const families = await exposedFamilies();
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThan(10);
    const used = new Set<string>();
    for (const panel of graphs) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const { expr } of panel.targets ?? []) {
        const names = seriesNames(expr);
        expect(names.length, `${panel.title}: ${expr}`).toBeGreaterThan(0);
        for (const name of names) {
          const family = name.replace(/_(bucket|sum|count)$/, '');
          const type = families.get(name) ?? families.get(family);
          expect(type, `${panel.title}: ${name} is not a metric any process exposes`).toBeDefined();
          if (name !== family && !families.has(name)) expect(type, `${panel.title}: ${name} needs a histogram`).toBe('histogram');
          used.add(family);
        }
      }
    }
    // Traffic, errors, latency, saturation.
    for (const family of ['neonops_http_requests_total', 'neonops_intents_finished_total', 'neonops_http_request_duration_seconds', 'neonops_queue_jobs', 'neonops_outbox_lag', 'neonops_neon_rate_budget_used']) {
      expect(used.has(family), family).toBe(true);
    }
    // Every neonops family is on the dashboard somewhere.
    const unused = [...families.keys()].filter((name) => name.startsWith('neonops_') && !used.has(name));
    expect(unused).toEqual([]);
  });

  it('reads series names out of PromQL', () => {
    expect(seriesNames('histogram_quantile(0.99, sum by (le, route) (rate(neonops_http_request_duration_seconds_bucket{route="/v1"}[5m])))')).toEqual([
      'neonops_http_request_duration_seconds_bucket',
    ]);
    expect(seriesNames('sum(rate(a_total{x=~"5.."}[1m])) / clamp_min(sum(rate(b_total[1m])), 1e-9)')).toEqual(['a_total', 'b_total']);
  });
});
