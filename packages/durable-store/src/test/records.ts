import { newIntentId, type IntentRecord } from '@neonops/intents';

/** An ended intent record with every optional field set, as the worker leaves one. */
export function endedRecord(teamId: string, overrides: Partial<IntentRecord> = {}, at = new Date()): IntentRecord {
  const iso = (ms: number) => new Date(at.getTime() + ms).toISOString();
  return {
    id: newIntentId(at),
    teamId,
    kind: 'branch.create',
    params: { projectId: 'p-1', name: 'feature', endpoints: [{ type: 'read_write' }], onFailure: 'delete' },
    status: 'succeeded',
    steps: [{ name: 'create_branch', status: 'succeeded', attempts: 2, startedAt: iso(10), finishedAt: iso(20), error: { code: 'neon_locked', message: '423', neonStatus: 423 } }],
    operationIds: ['op-1', 'op-2'],
    resources: [{ type: 'branch', projectId: 'p-1', branchId: 'br-1' }],
    result: { branch: { id: 'br-1' } },
    hasSecrets: true,
    cancelRequested: false,
    idempotencyKey: 'pr-42',
    createdAt: iso(0),
    startedAt: iso(5),
    updatedAt: iso(30),
    finishedAt: iso(30),
    ...overrides,
  };
}
