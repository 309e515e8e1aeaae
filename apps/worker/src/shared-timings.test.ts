import { describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './test/harness.js';

/** Operation polls the simulator answered since its counters were last reset (one GET or one page each). */
function operationPolls(h: Harness): number {
  let polls = 0;
  for (const [route, statuses] of Object.entries(h.sim.control.counters().byRoute)) {
    if (route.startsWith('GET /projects/{project_id}/operations')) polls += Object.values(statuses).reduce((a, b) => a + b, 0);
  }
  return polls;
}

describe('learned operation timings shared through Redis', () => {
  it('a freshly started worker on the same prefix polls a learned batch once, at its expected end', async () => {
    const h = await startHarness();
    const first = await h.createProject('timings-a');
    const second = await h.createProject('timings-b');
    // create_branch then start_compute, 300 ms each (simulator wall clock).
    h.sim.control.setOperationTiming({ schedulingMs: 0, runningMs: 300 });
    const settings = { pollMarginMs: 100 };

    // A cold worker (nothing in Redis yet) polls on the doubling schedule and learns the batch.
    const cold = h.startWorker({ settings });
    h.sim.control.resetCounters();
    const a = await h.enqueue('branch.create', { projectId: first.projectId, name: 'learn', endpoints: [{ type: 'read_write' }] });
    expect((await h.waitForTerminal(a)).status).toBe('succeeded');
    expect(operationPolls(h)).toBeGreaterThan(1);
    await cold.worker.close();
    const check = h.redis.connect();
    await expect.poll(() => check.llen(`${h.redis.prefix}optimings:create_branch+start_compute`)).toBe(1);

    // A new worker (new process state, same prefix) knows it from Redis: one poll.
    h.startWorker({ settings });
    h.sim.control.resetCounters();
    const b = await h.enqueue('branch.create', { projectId: second.projectId, name: 'warm', endpoints: [{ type: 'read_write' }] });
    expect((await h.waitForTerminal(b)).status).toBe('succeeded');
    expect(operationPolls(h)).toBe(1);
  });
});
