import { useTestRedis } from '@neonops/testing';
import { describe, expect, it } from 'vitest';
import { ProjectOwnership } from './project-ownership.js';

describe('ProjectOwnership', () => {
  it('records one owner per project, lists a team’s projects and releases them', async () => {
    const redis = useTestRedis('ownership');
    const ownership = new ProjectOwnership(redis.connect(), { prefix: redis.prefix });
    expect(await ownership.record('a', 'p-1')).toBe(true);
    expect(await ownership.record('a', 'p-1')).toBe(true);
    expect(await ownership.record('b', 'p-1')).toBe(false);
    expect(await ownership.record('a', 'p-2')).toBe(true);
    expect(await ownership.ownerOf('p-1')).toBe('a');
    expect(await ownership.projectsOf('a')).toEqual(['p-1', 'p-2']);
    expect(await ownership.projectsOf('b')).toEqual([]);
    await ownership.release('p-1');
    expect(await ownership.ownerOf('p-1')).toBeUndefined();
    expect(await ownership.projectsOf('a')).toEqual(['p-2']);
    expect(await ownership.record('b', 'p-1')).toBe(true);
  });
});
