import { newIntentId, type IntentRecord, type IntentStore } from '@neonops/intents';

/**
 * A `branch.create` intent of team `bench`, stored and finished (`succeeded`, with a branch
 * and an endpoint in its result), as the benches' deliveries carry it: the payload a receiver
 * gets is this record.
 */
export async function finishedIntent(intents: IntentStore): Promise<IntentRecord> {
  const now = new Date();
  const record: IntentRecord = {
    id: newIntentId(now),
    teamId: 'bench',
    kind: 'branch.create',
    params: { projectId: 'bench-project-123456', name: 'b' },
    status: 'queued',
    steps: [{ name: 'create_branch', status: 'succeeded', attempts: 1 }],
    operationIds: ['op-1', 'op-2'],
    hasSecrets: false,
    cancelRequested: false,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  await intents.create(record);
  await intents.finish(record.id, 'succeeded', { result: { branch: { id: 'br-x', name: 'b' }, endpoints: [{ id: 'ep-x', host: 'ep-x.neon.tech' }] } });
  const finished = await intents.get(record.id);
  if (!finished) throw new Error(`the bench intent ${record.id} is gone`);
  return finished;
}
