import { describe, expect, it } from 'vitest';
import { fakeClock, scriptedFetch, type Step } from '../test/fake-fetch.js';
import { createNeonClient } from './client.js';

function setup(steps: Step[]) {
  const { fetch, requests } = scriptedFetch(steps);
  const clock = fakeClock();
  return { neon: createNeonClient({ apiKey: 'k', fetch, sleep: clock.sleep, now: clock.now }), requests };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

const branch = (id: string) => ({ id, project_id: 'p-1', name: id });
const project = (id: string) => ({ id, name: id });

describe('pagination', () => {
  it('walks branches across pages with pagination.next, keeping the query', async () => {
    const { neon, requests } = setup([
      { status: 200, body: { branches: [branch('br-1'), branch('br-2')], pagination: { next: 'c1', sort_by: 'name', sort_order: 'asc' } } },
      { status: 200, body: { branches: [branch('br-3')], pagination: { next: 'c2' } } },
      { status: 200, body: { branches: [branch('br-4')], pagination: {} } },
    ]);
    const ids = (await collect(neon.listBranches('p-1', { limit: 2, sort_by: 'name', sort_order: 'asc' }))).map((b) => b.id);
    expect(ids).toEqual(['br-1', 'br-2', 'br-3', 'br-4']);
    expect(requests.map((r) => r.url.search)).toEqual([
      '?limit=2&sort_by=name&sort_order=asc',
      '?limit=2&sort_by=name&sort_order=asc&cursor=c1',
      '?limit=2&sort_by=name&sort_order=asc&cursor=c2',
    ]);
  });

  it('walks projects with pagination.cursor and stops on an empty page', async () => {
    const { neon, requests } = setup([
      { status: 200, body: { projects: [project('a'), project('b')], pagination: { cursor: 'b' } } },
      { status: 200, body: { projects: [project('c')], pagination: { cursor: 'c' } } },
      { status: 200, body: { projects: [], pagination: { cursor: 'c' } } },
    ]);
    expect((await collect(neon.listProjects({ limit: 2 }))).map((p) => p.id)).toEqual(['a', 'b', 'c']);
    expect(requests).toHaveLength(3);
    expect(requests[2]?.url.searchParams.get('cursor')).toBe('c');
  });

  it('stops on a missing cursor', async () => {
    const { neon, requests } = setup([{ status: 200, body: { projects: [project('a')] } }, { status: 500 }]);
    expect(await collect(neon.listSharedProjects())).toHaveLength(1);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url.pathname).toBe('/api/v2/projects/shared');
  });

  it('stops when the cursor does not advance', async () => {
    const { neon, requests } = setup([
      { status: 200, body: { operations: [{ id: 'o1' }], pagination: { cursor: 'x' } } },
      { status: 200, body: { operations: [{ id: 'o2' }], pagination: { cursor: 'x' } } },
      { status: 200, body: { operations: [{ id: 'o3' }], pagination: { cursor: 'y' } } },
    ]);
    expect((await collect(neon.listOperations('p-1'))).map((o) => o.id)).toEqual(['o1', 'o2']);
    expect(requests).toHaveLength(2);
  });

  it('starts from a given cursor and never goes back to it', async () => {
    const { neon, requests } = setup([
      { status: 200, body: { operations: [{ id: 'o5' }], pagination: { cursor: 'start' } } },
    ]);
    expect(await collect(neon.listOperations('p-1', { cursor: 'start', limit: 1 }))).toHaveLength(1);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.url.searchParams.get('cursor')).toBe('start');
  });

  it('fetches lazily: breaking out early sends no further request', async () => {
    const { neon, requests } = setup([
      { status: 200, body: { branches: [branch('br-1'), branch('br-2')], pagination: { next: 'c1' } } },
    ]);
    for await (const b of neon.listBranches('p-1')) {
      expect(b.id).toBe('br-1');
      break;
    }
    expect(requests).toHaveLength(1);
  });

  it('walks consumption history pages', async () => {
    const { neon, requests } = setup([
      { status: 200, body: { projects: [{ project_id: 'a', periods: [] }], pagination: { cursor: 'a' } } },
      { status: 200, body: { projects: [], pagination: { cursor: 'a' } } },
    ]);
    const rows = await collect(
      neon.listConsumptionHistoryPerProject({
        from: '2026-01-01T00:00:00Z',
        to: '2026-01-02T00:00:00Z',
        granularity: 'daily',
        org_id: 'org-1',
        metrics: ['compute_unit_seconds'],
      }),
    );
    expect(rows).toHaveLength(1);
    expect(requests[1]?.url.searchParams.get('cursor')).toBe('a');
  });
});
