import { teamSchema, type Team, type TeamInput } from '@neonops/teams';
import { useTestRedis } from '@neonops/testing';
import { Queue } from 'bullmq';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { IntentRequest } from './catalog.js';
import { bullPrefix } from './queue-prefix.js';
import { INTENTS_QUEUE, type IntentJobData } from './queue.js';
import { IntentRefusedError, IntentRights } from './rights.js';
import { IntentStore } from './store.js';
import { IntentCapReachedError, IntentSubmitter, type IntentSubmitterDeps } from './submit.js';

const team = (input: TeamInput): Team => teamSchema.parse(input);

function setup(options: { teams?: Team[]; deps?: Partial<IntentSubmitterDeps> } = {}) {
  const redis = useTestRedis('submit');
  const client = redis.connect();
  const store = new IntentStore(client, { prefix: redis.prefix });
  const queue = new Queue<IntentJobData>(INTENTS_QUEUE, { connection: redis.connect(), prefix: bullPrefix(redis.prefix) });
  onTestFinished(() => queue.close());
  const rights = new IntentRights(client, { prefix: redis.prefix, allTeams: () => options.teams ?? [] });
  const submitter = new IntentSubmitter({ store, queue, rights, ...options.deps });
  return { client, prefix: redis.prefix, store, queue, rights, submitter };
}

const branchCreate = (projectId: string): IntentRequest => ({ kind: 'branch.create', params: { projectId } }) as IntentRequest;

describe('IntentSubmitter', () => {
  it('stores the intent and adds its job (job id = intent id, the shared job options)', async () => {
    const payments = team({ id: 'payments', projects: ['p-1'] });
    const { submitter, store, queue } = setup({ teams: [payments] });
    const { intent, created } = await submitter.submit(payments, branchCreate('p-1'));
    expect(created).toBe(true);
    expect(await store.get(intent.id)).toMatchObject({ teamId: 'payments', kind: 'branch.create', status: 'queued', params: { projectId: 'p-1' } });
    const job = await queue.getJob(intent.id);
    expect(job?.data).toEqual({ intentId: intent.id, teamId: 'payments', kind: 'branch.create' });
    expect(job?.opts.attempts).toBe(10);
  });

  it('makes one intent per dedupe key, however many submits race, and the key expires', async () => {
    const payments = team({ id: 'payments', projects: ['p-1'] });
    const { submitter, store, client } = setup({ teams: [payments] });
    const dedupe = { key: 'schedule:s-1:2026-03-29T01:00:00.000Z', ttlMs: 60_000 };
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => submitter.submit(payments, branchCreate('p-1'), { dedupe })));
    const ids = new Set(outcomes.map((o) => o.intent.id));
    expect(ids.size).toBe(1);
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    expect(await store.countActive('payments')).toBe(1);
    const ttl = await client.pttl(store.dedupeKey('payments', dedupe.key));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // Another key is another intent.
    const other = await submitter.submit(payments, branchCreate('p-1'), { dedupe: { ...dedupe, key: 'schedule:s-1:next' } });
    expect(other.created).toBe(true);
    expect(ids.has(other.intent.id)).toBe(false);
  });

  it('a repeat after a crash between the record and the job adds the missing job, still one intent', async () => {
    const payments = team({ id: 'payments', projects: ['p-1'] });
    const crashing = setup({
      teams: [payments],
      deps: {
        crashPoints: (point) => {
          if (point === 'submit.after_record') throw new Error('process died');
        },
      },
    });
    const dedupe = { key: 'tick:1', ttlMs: 60_000 };
    await expect(crashing.submitter.submit(payments, branchCreate('p-1'), { dedupe })).rejects.toThrow('process died');
    const stored = (await crashing.store.list('payments')).items;
    expect(stored).toHaveLength(1);
    const firstId = stored[0]?.id ?? '';
    expect(await crashing.queue.getJob(firstId)).toBeUndefined();

    const again = new IntentSubmitter({ store: crashing.store, queue: crashing.queue, rights: crashing.rights });
    const repeat = await again.submit(payments, branchCreate('p-1'), { dedupe });
    expect(repeat).toMatchObject({ created: false, intent: { id: firstId } });
    expect((await crashing.queue.getJob(firstId))?.data.intentId).toBe(firstId);
    expect((await crashing.store.list('payments')).items).toHaveLength(1);
  });

  it('answers a dedupe repeat even at the team cap, and refuses a new intent there, storing nothing', async () => {
    const small = team({ id: 'small', projects: ['p-1'], limits: { maxActiveIntents: 1 } });
    const { submitter, store } = setup({ teams: [small] });
    const first = await submitter.submit(small, branchCreate('p-1'), { dedupe: { key: 'k', ttlMs: 10_000 } });
    expect((await submitter.submit(small, branchCreate('p-1'), { dedupe: { key: 'k', ttlMs: 10_000 } })).intent.id).toBe(first.intent.id);
    await expect(submitter.submit(small, branchCreate('p-1'), { dedupe: { key: 'k2', ttlMs: 10_000 } })).rejects.toBeInstanceOf(IntentCapReachedError);
    await expect(submitter.submit(small, branchCreate('p-1'))).rejects.toBeInstanceOf(IntentCapReachedError);
    expect((await store.list('small')).items.map((i) => i.id)).toEqual([first.intent.id]);
  });

  it('checks the team’s rights first and stores nothing when refused', async () => {
    const payments = team({ id: 'payments', projects: ['p-1'] });
    const other = team({ id: 'other', projects: ['p-other'] });
    const admins = team({ id: 'admins', admin: true });
    const { submitter, store, rights, queue } = setup({ teams: [payments, other, admins] });
    const refusal = (t: Team, request: IntentRequest) =>
      submitter.submit(t, request, { dedupe: { key: `${t.id}:${request.kind}`, ttlMs: 10_000 } }).then(
        () => 'submitted',
        (error: unknown) => (error instanceof IntentRefusedError ? error.code : String(error)),
      );
    expect(await refusal(payments, { kind: 'api_key.create', params: { keyName: 'x' } } as IntentRequest)).toBe('kind_forbidden');
    expect(await refusal(payments, branchCreate('p-other'))).toBe('project_not_found');
    expect(await refusal(payments, branchCreate('p-unknown'))).toBe('project_not_found');
    expect(await refusal(payments, { kind: 'project.create', params: {} } as IntentRequest)).toBe('project_creation_forbidden');
    expect((await store.list('payments')).items).toEqual([]);
    expect(await queue.count()).toBe(0);

    // A project the team's own intent created is in its scope; one configured for another team never is.
    await rights.ownership.record('payments', 'p-made');
    await rights.ownership.record('payments', 'p-other');
    expect(await refusal(payments, branchCreate('p-made'))).toBe('submitted');
    expect(await refusal(payments, branchCreate('p-other'))).toBe('project_not_found');
    expect(await rights.projectsOf(payments)).toEqual(['p-1', 'p-made', 'p-other']);
    expect(await refusal(admins, { kind: 'api_key.create', params: { keyName: 'x' } } as IntentRequest)).toBe('submitted');
  });
});
