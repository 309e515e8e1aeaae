import { describe, expect, it } from 'vitest';
import { intentIdTime } from './ids.js';
import { intentRecordSchema, queuedIntentRecord } from './record.js';

describe('queuedIntentRecord', () => {
  it('makes a valid queued record with nothing run, its id and times from `at`', () => {
    const at = new Date('2026-11-30T12:00:00.000Z');
    const record = queuedIntentRecord({ teamId: 'team-a', kind: 'branch.delete', params: { projectId: 'p-1', branchId: 'br-1' }, at });
    expect(intentRecordSchema.parse(record)).toEqual(record);
    expect(record).toEqual({
      id: record.id,
      teamId: 'team-a',
      kind: 'branch.delete',
      params: { projectId: 'p-1', branchId: 'br-1' },
      status: 'queued',
      steps: [],
      operationIds: [],
      hasSecrets: false,
      cancelRequested: false,
      createdAt: '2026-11-30T12:00:00.000Z',
      updatedAt: '2026-11-30T12:00:00.000Z',
    });
    expect(intentIdTime(record.id)).toEqual(at);
    expect(Object.keys(record)).not.toContain('idempotencyKey');
    expect(Object.keys(record)).not.toContain('actor');
    // Given as undefined (a submit without either): still no such key.
    const plain = queuedIntentRecord({ teamId: 'team-a', kind: 'branch.delete', params: {}, idempotencyKey: undefined, actor: undefined });
    expect(Object.keys(plain)).not.toContain('idempotencyKey');
    expect(Object.keys(plain)).not.toContain('actor');
  });

  it('keeps a given id, Idempotency-Key and actor; each call gets fresh arrays', () => {
    const a = queuedIntentRecord({ id: 'int_given', teamId: 't', kind: 'project.delete', params: { projectId: 'p' }, idempotencyKey: 'k-1', actor: { type: 'token', id: 'tok_1' } });
    expect(a).toMatchObject({ id: 'int_given', idempotencyKey: 'k-1', actor: { type: 'token', id: 'tok_1' } });
    const b = queuedIntentRecord({ teamId: 't', kind: 'project.delete', params: { projectId: 'p' } });
    expect(b.id).not.toBe(a.id);
    expect(b.steps).not.toBe(a.steps);
    expect(b.operationIds).not.toBe(a.operationIds);
  });
});
