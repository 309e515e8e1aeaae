import { bullPrefix, INTENTS_QUEUE, intentJobId, intentJobOptions, IntentStore, newIntentId, type IntentJobData, type IntentRecord } from '@neonops/intents';
import { useTestRedis, waitUntil } from '@neonops/testing';
import { Queue, Worker } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import { branchCreate, buildTestApp, jobCount } from '../../../test/helper.js';
import { hashToken } from '../../teams/teams-file.js';
import { scriptedJobAdd } from './scripted-job-adds.js';

const jobOptions = (jobId: string) => ({ ...intentJobOptions, backoff: { ...intentJobOptions.backoff }, jobId });

function record(teamId: string): IntentRecord {
  const now = new Date();
  return {
    id: newIntentId(now),
    teamId,
    kind: 'branch.create',
    params: { projectId: 'p-1' },
    status: 'queued',
    steps: [],
    operationIds: [],
    hasSecrets: false,
    cancelRequested: false,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}

describe('intent jobs added by the create script (scriptedJobAdd)', () => {
  it('writes the job BullMQ’s own add writes: the same hash, the same wait list, the same events; a BullMQ worker runs it', async () => {
    const redis = useTestRedis('scripted-add');
    const client = redis.connect();
    const queue = new Queue<IntentJobData>(INTENTS_QUEUE, { connection: client, prefix: bullPrefix(redis.prefix) });
    onTestFinished(() => queue.close());
    const store = new IntentStore(client, { prefix: redis.prefix });

    // One job through queue.add, one through the create script, with the same name, data and options.
    const added = record('alpha');
    await queue.add('branch.create', { intentId: added.id, teamId: 'alpha', kind: 'branch.create' }, jobOptions(intentJobId(added.id)));
    const scripted = record('alpha');
    const job = await scriptedJobAdd(queue, 'branch.create', { intentId: scripted.id, teamId: 'alpha', kind: 'branch.create' }, jobOptions(intentJobId(scripted.id)));
    // The installed BullMQ takes this path (an upgrade that changes its adding script fails here, not silently).
    expect(job).toBeDefined();
    expect(await store.create(scripted, { job: job! })).toBe('created');

    const hash = async (id: string) => {
      const { timestamp, data, ...fields } = await client.hgetall(`${bullPrefix(redis.prefix)}:${INTENTS_QUEUE}:${intentJobId(id)}`);
      expect(Number(timestamp)).toBeGreaterThan(0);
      return { ...fields, data: JSON.parse(data!) as IntentJobData };
    };
    const viaAdd = await hash(added.id);
    const viaScript = await hash(scripted.id);
    // The same but for the ids (in its data and its options' jobId).
    expect(viaScript).toEqual(JSON.parse(JSON.stringify(viaAdd).replaceAll(added.id, scripted.id)));
    expect(await queue.getWaiting()).toHaveLength(2);
    const events = await client.xrange(`${bullPrefix(redis.prefix)}:${INTENTS_QUEUE}:events`, '-', '+');
    const eventsOf = (id: string) => events.filter(([, fields]) => fields.includes(intentJobId(id))).map(([, fields]) => fields[1]);
    expect(eventsOf(scripted.id)).toEqual(eventsOf(added.id));
    expect(eventsOf(scripted.id)).toEqual(['added', 'waiting']);

    const ran: string[] = [];
    const worker = new Worker<IntentJobData>(INTENTS_QUEUE, async (j) => void ran.push(j.data.intentId), { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
    onTestFinished(() => worker.close());
    await waitUntil(() => ran.length === 2 || undefined, { what: 'both jobs run' });
    expect(ran.sort()).toEqual([added.id, scripted.id].sort());
  });

  it('adds no job when the intent is not stored (its id exists already), and an add BullMQ writes with another script is left to queue.add', async () => {
    const redis = useTestRedis('scripted-add');
    const client = redis.connect();
    const queue = new Queue<IntentJobData>(INTENTS_QUEUE, { connection: client, prefix: bullPrefix(redis.prefix) });
    onTestFinished(() => queue.close());
    const store = new IntentStore(client, { prefix: redis.prefix });
    const intent = record('alpha');
    expect(await store.create(intent)).toBe('created');
    const job = await scriptedJobAdd(queue, 'branch.create', { intentId: intent.id, teamId: 'alpha', kind: 'branch.create' }, jobOptions(intentJobId(intent.id)));
    expect(await store.create(intent, { job: job! })).toBe('exists');
    expect(await jobCount(queue)).toBe(0);
    // A delayed job is BullMQ's addDelayedJob: not written by the create script.
    expect(await scriptedJobAdd(queue, 'branch.create', { intentId: intent.id, teamId: 'alpha', kind: 'branch.create' }, { ...jobOptions('x-1'), delay: 1000 } as never)).toBeUndefined();
  });

  it('POST /v1/intents: a new intent has its job at once; a replay, a held key’s other body and a refusal at the cap add none', async () => {
    const t = await buildTestApp({ teams: [{ id: 'alpha', tokenHashes: [hashToken('token-alpha')], projects: ['p-alpha'], limits: { maxActiveIntents: 1 } }] });
    const post = (payload: object, key: string) => t.as('alpha', { method: 'POST', url: '/v1/intents', payload, headers: { 'idempotency-key': key } });
    const first = await post(branchCreate(), 'k-1');
    expect(first.statusCode).toBe(202);
    expect(await t.queue.getJob(intentJobId(first.json<{ id: string }>().id))).toBeDefined();
    expect((await post(branchCreate(), 'k-1')).headers['idempotent-replayed']).toBe('true');
    expect((await post(branchCreate('p-alpha', { name: 'other' }), 'k-1')).statusCode).toBe(422);
    expect((await post(branchCreate('p-alpha', { name: 'other' }), 'k-2')).statusCode).toBe(429);
    expect(await jobCount(t.queue)).toBe(1);
  });
});
