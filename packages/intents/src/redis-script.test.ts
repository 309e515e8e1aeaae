import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { useTestRedis } from '@neonops/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RedisScript } from './redis-script.js';

/** A script file of its own: a fresh command name (defined during the test) and a fresh SHA (Redis has never loaded it). */
function scriptFile(lua: string): URL {
  lua = `-- ${randomUUID()}\n${lua}`;
  const dir = mkdtempSync(join(tmpdir(), 'redis-script-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'echo-1.lua');
  writeFileSync(file, lua);
  return pathToFileURL(file);
}

describe('RedisScript', () => {
  it('runs on an auto-pipelining connection when its first run joins a batch made before it was defined (ioredis crashed: "results[i] is not iterable")', async () => {
    const redis = useTestRedis('redis-script');
    const client = redis.connect({ enableAutoPipelining: true });
    const key = `${redis.prefix}k`;
    await client.set(key, 'v');
    const script = RedisScript.load(scriptFile("return redis.call('GET', KEYS[1]) .. ARGV[1]"));
    // Same tick: the GET opens an auto-pipeline batch; the script is defined after it, then joins it.
    const [got, ran, again] = await Promise.all([client.get(key), script.run(client, [key], ['!']), script.run(client, [key], ['?'])]);
    expect(got).toBe('v');
    expect(ran).toBe('v!');
    expect(again).toBe('v?');
    // And on a later batch, as usual.
    expect(await Promise.all([client.get(key), script.run(client, [key], ['.'])])).toEqual(['v', 'v.']);
  });
});
