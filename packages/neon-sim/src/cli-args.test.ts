import { describe, expect, it } from 'vitest';
import { CLI_DEFAULT_API_KEY, parseCliArgs } from './cli-args.js';

describe('CLI flags', () => {
  it('defaults to port 4010, realistic operation times and the local key', () => {
    const { options, help } = parseCliArgs([]);
    expect(help).toBe(false);
    expect(options).toMatchObject({ port: 4010, host: '127.0.0.1', apiKeys: [CLI_DEFAULT_API_KEY], operations: { schedulingMs: 500, runningMs: 2500, failureRate: 0 } });
  });

  it('reads every option', () => {
    const { options } = parseCliArgs([
      '--port', '4011', '--api-key', 'a', '--api-key', 'b', '--seed', '3', '--instant', '--failure-rate', '0.1',
      '--no-rate-limit', '--faults', '[{"kind":"status","status":502,"probability":0.1}]', '--branches-per-project', '10', '--region', 'aws-eu-central-1', '--log',
    ]);
    expect(options).toMatchObject({
      port: 4011,
      apiKeys: ['a', 'b'],
      seed: 3,
      operations: { schedulingMs: 0, runningMs: 0, failureRate: 0.1 },
      rateLimit: false,
      faults: [{ kind: 'status', status: 502, probability: 0.1 }],
      branchesPerProject: 10,
      region: 'aws-eu-central-1',
      logger: true,
    });
    expect(parseCliArgs(['--rate-per-minute', '60', '--rate-per-route-second', '2']).options.rateLimit).toEqual({ perMinute: 60, perRoutePerSecond: 2 });
  });

  it('rejects bad values', () => {
    expect(() => parseCliArgs(['--port', 'x'])).toThrow(/port/);
    expect(() => parseCliArgs(['--faults', '[{"kind":"nope"}]'])).toThrow();
    expect(() => parseCliArgs(['--unknown'])).toThrow();
  });
});
