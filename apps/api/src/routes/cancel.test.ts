import { bullPrefix, INTENTS_QUEUE, IntentStore } from '@neonops/intents';
import { Worker } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import { branchCreate, buildTestApp, type TestApp } from '../../test/helper.js';

async function submit(t: TestApp): Promise<string> {
  const res = await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate() });
  expect(res.statusCode).toBe(202);
  return res.json().id as string;
}

const cancel = (t: TestApp, id: string) => t.as('alpha', { method: 'POST', url: `/v1/intents/${id}/cancel` });

describe('POST /v1/intents/:id/cancel', () => {
  it('cancels a queued intent at once: 200, status cancelled, job removed, cap slot freed', async () => {
    const t = await buildTestApp();
    const id = await submit(t);
    const res = await cancel(t, id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, status: 'cancelled', error: { code: 'cancelled' } });
    expect(await t.queue.getJob(id)).toBeUndefined();
    const store = new IntentStore(t.redis.connect(), { prefix: t.redis.prefix });
    expect(await store.countActive('alpha')).toBe(0);
  });

  it.each(['running', 'waiting'] as const)('asks a %s intent to stop at its next step: 202 with cancelRequested', async (status) => {
    const t = await buildTestApp();
    const id = await submit(t);
    const store = new IntentStore(t.redis.connect(), { prefix: t.redis.prefix });
    await store.update(id, { status, startedAt: new Date().toISOString() });
    const res = await cancel(t, id);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ id, status, cancelRequested: true });
    expect(await t.queue.getJob(id)).toBeDefined();
  });

  it('asks instead of removing when a worker already holds the job of a still-queued intent', async () => {
    const t = await buildTestApp();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started: () => void = () => undefined;
    const picked = new Promise<void>((resolve) => {
      started = resolve;
    });
    const worker = new Worker(
      INTENTS_QUEUE,
      async () => {
        started();
        await held;
      },
      { connection: t.redis.connect(), prefix: bullPrefix(t.redis.prefix) },
    );
    onTestFinished(async () => {
      release();
      await worker.close();
    });
    const id = await submit(t);
    await picked;
    const res = await cancel(t, id);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'queued', cancelRequested: true });
  });

  it.each(['succeeded', 'failed', 'cancelled'] as const)('refuses a %s intent with 409 intent_already_finished', async (status) => {
    const t = await buildTestApp();
    const id = await submit(t);
    await new IntentStore(t.redis.connect(), { prefix: t.redis.prefix }).finish(id, status, {});
    const res = await cancel(t, id);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'intent_already_finished' });
  });

  it('answers 404 for an unknown intent', async () => {
    const t = await buildTestApp();
    expect((await cancel(t, 'int_nothing')).json()).toMatchObject({ status: 404, code: 'intent_not_found' });
  });
});
