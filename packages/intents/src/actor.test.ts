import { teamSchema } from '@neonops/teams';
import { useTestRedis } from '@neonops/testing';
import { Queue } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { IntentRequest } from './catalog.js';
import { bullPrefix } from './queue-prefix.js';
import { INTENTS_QUEUE, type IntentJobData } from './queue.js';
import { IntentStore } from './store.js';
import { IntentSubmitter } from './submit.js';

describe('the actor of an intent', () => {
  it('is stored with the record by the shared submitter (also on a dedupe repeat, the first one stays)', async () => {
    const redis = useTestRedis('actor');
    const store = new IntentStore(redis.connect(), { prefix: redis.prefix });
    const queue = new Queue<IntentJobData>(INTENTS_QUEUE, { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
    onTestFinished(() => queue.close());
    const submitter = new IntentSubmitter({ store, queue });
    const team = teamSchema.parse({ id: 'payments', projects: ['p-1'] });
    const request = { kind: 'branch.create', params: { projectId: 'p-1' } } as IntentRequest;
    const byToken = await submitter.submit(team, request, { actor: { type: 'token', id: 'tok_abc' } });
    expect((await store.get(byToken.intent.id))?.actor).toEqual({ type: 'token', id: 'tok_abc' });
    const dedupe = { key: 'schedule:s-1:t-1', ttlMs: 60_000 };
    const first = await submitter.submit(team, request, { dedupe, actor: { type: 'schedule', id: 's-1' } });
    const repeat = await submitter.submit(team, request, { dedupe, actor: { type: 'schedule', id: 's-other' } });
    expect(repeat.created).toBe(false);
    expect((await store.get(first.intent.id))?.actor).toEqual({ type: 'schedule', id: 's-1' });
    // Without an actor (older producers), the record has none.
    expect((await store.get((await submitter.submit(team, request)).intent.id))?.actor).toBeUndefined();
  });
});
