import { useTestRedis } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { PullRequestStates } from './pull-request-states.js';

const ref = { sourceId: 'src_1', repositoryId: 7, number: 3 };

describe('PullRequestStates', () => {
  it('keeps the newest event by updated_at, whatever order they arrive in; a close wins a tie', async () => {
    const t = useTestRedis('prstate');
    const redis = t.connect();
    const states = new PullRequestStates(redis, { prefix: t.prefix, ttlMs: 60_000 });
    expect(await states.get(ref)).toBeUndefined();
    expect(await states.advance(ref, { state: 'closed', updatedAt: 2000, headSha: 'b' })).toBe('applied');
    expect(await states.advance(ref, { state: 'open', updatedAt: 1000, headSha: 'a' })).toBe('stale');
    expect(await states.advance(ref, { state: 'open', updatedAt: 2000, headSha: 'a' })).toBe('stale');
    expect(await states.get(ref)).toEqual({ state: 'closed', updatedAt: 2000, headSha: 'b' });
    expect(await states.advance(ref, { state: 'open', updatedAt: 3000, headSha: 'c' })).toBe('applied');
    expect(await states.get(ref)).toMatchObject({ state: 'open', updatedAt: 3000 });
    const ttl = await redis.pttl(states.key(ref));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});
