import { keysWithoutTtl, useTestRedis } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { outboxKey, parseOutboxEntry } from './outbox/outbox.js';
import { ThresholdMarks } from './threshold-marks.js';

const crossing = (threshold: number, teamId = 'team-a') => ({
  teamId,
  period: '2096-11',
  threshold,
  unit: 'usd' as const,
  amount: 100,
  spent: threshold + 0.5,
  at: '2096-11-20T10:00:00.000Z',
});
const periodEnd = new Date('2096-12-01T00:00:00.000Z');

describe('ThresholdMarks', () => {
  it('writes the mark and the outbox entry together, once per team, period and threshold', async () => {
    const redis = useTestRedis('marks');
    const client = redis.connect();
    const marks = new ThresholdMarks(client, { prefix: redis.prefix, marginSeconds: 3600 });
    const id = await marks.emit(crossing(50), periodEnd);
    expect(id).toMatch(/^\d+-\d+$/);
    expect(await marks.emit(crossing(50), periodEnd)).toBeUndefined();
    expect(await marks.emit(crossing(80), periodEnd)).toBeDefined();
    expect(await marks.emit(crossing(50, 'team-b'), periodEnd)).toBeDefined();
    expect(await marks.emit({ ...crossing(50), period: '2096-12' }, new Date('2097-01-01T00:00:00.000Z'))).toBeDefined();

    const entries = await client.xrange(outboxKey(redis.prefix), '-', '+');
    const events = entries.map(([eid, flat]) => parseOutboxEntry(eid, flat).event);
    expect(events).toHaveLength(4);
    expect(events[0]).toEqual({ type: 'usage.threshold_crossed', ...crossing(50) });
    expect(await marks.announced('team-a', '2096-11')).toEqual([
      { threshold: 50, at: '2096-11-20T10:00:00.000Z' },
      { threshold: 80, at: '2096-11-20T10:00:00.000Z' },
    ]);
    // Every mark expires: at the end of its period plus the margin.
    expect(await client.expiretime(marks.key('team-a', '2096-11'))).toBe(periodEnd.getTime() / 1000 + 3600);
    expect((await keysWithoutTtl(client, redis.prefix)).filter((k) => !k.endsWith('outbox'))).toEqual([]);
  });

  it('twenty watchers racing on the same crossing write one entry', async () => {
    const redis = useTestRedis('marks-race');
    const marks = Array.from({ length: 20 }, () => new ThresholdMarks(redis.connect(), { prefix: redis.prefix }));
    const ids = await Promise.all(marks.map((m) => m.emit(crossing(100), periodEnd)));
    expect(ids.filter((i) => i !== undefined)).toHaveLength(1);
    expect(await redis.connect().xlen(outboxKey(redis.prefix))).toBe(1);
  });
});
