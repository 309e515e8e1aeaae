import { describe, expect, it } from 'vitest';
import { intentCatalog, intentKinds, intentRequestSchema, scopeOf, type IntentKind } from './catalog.js';

const minimal: Record<IntentKind, Record<string, unknown>> = {
  'project.create': {},
  'project.update': { projectId: 'p-1', name: 'renamed' },
  'project.delete': { projectId: 'p-1' },
  'branch.create': { projectId: 'p-1' },
  'branch.update': { projectId: 'p-1', branchId: 'br-1', expiresAt: null },
  'branch.delete': { projectId: 'p-1', branchId: 'br-1' },
  'branch.restore': { projectId: 'p-1', branchId: 'br-1', sourceBranchId: 'br-0' },
  'preview.ensure': { projectId: 'p-1', name: 'preview/pr-1-x', pullRequest: { sourceId: 'src_1', repositoryId: 1, number: 1, updatedAt: '2026-01-01T00:00:00Z' } },
  'preview.teardown': { projectId: 'p-1', name: 'preview/pr-1-x', pullRequest: { sourceId: 'src_1', repositoryId: 1, number: 1, updatedAt: '2026-01-01T00:00:00Z' } },
  'endpoint.create': { projectId: 'p-1', branchId: 'br-1' },
  'endpoint.update': { projectId: 'p-1', endpointId: 'ep-1', suspendTimeoutSeconds: 300 },
  'endpoint.delete': { projectId: 'p-1', endpointId: 'ep-1' },
  'endpoint.start': { projectId: 'p-1', endpointId: 'ep-1' },
  'endpoint.suspend': { projectId: 'p-1', endpointId: 'ep-1' },
  'endpoint.restart': { projectId: 'p-1', endpointId: 'ep-1' },
  'database.create': { projectId: 'p-1', branchId: 'br-1', name: 'app', ownerName: 'neondb_owner' },
  'database.update': { projectId: 'p-1', branchId: 'br-1', name: 'app', newName: 'app2' },
  'database.delete': { projectId: 'p-1', branchId: 'br-1', name: 'app' },
  'role.create': { projectId: 'p-1', branchId: 'br-1', name: 'app_user' },
  'role.delete': { projectId: 'p-1', branchId: 'br-1', name: 'app_user' },
  'role.reset_password': { projectId: 'p-1', branchId: 'br-1', name: 'app_user' },
  'api_key.create': { keyName: 'ci' },
  'api_key.revoke': { keyId: 42 },
};

describe('intent catalog', () => {
  it.each(intentKinds)('accepts a minimal %s request', (kind) => {
    const parsed = intentRequestSchema.parse({ kind, params: minimal[kind] });
    expect(parsed.kind).toBe(kind);
  });

  it('refuses an unknown kind, naming the field', () => {
    const result = intentRequestSchema.safeParse({ kind: 'branch.explode', params: {} });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['kind']);
  });

  it('refuses unknown fields in params and at the top level', () => {
    const inParams = intentRequestSchema.safeParse({ kind: 'branch.delete', params: { projectId: 'p', branchId: 'b', force: true } });
    expect(inParams.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', path: ['params'], keys: ['force'] });
    const topLevel = intentRequestSchema.safeParse({ kind: 'branch.delete', params: { projectId: 'p', branchId: 'b' }, extra: 1 });
    expect(topLevel.success).toBe(false);
  });

  it('names the field of a wrong type', () => {
    const result = intentRequestSchema.safeParse({ kind: 'api_key.revoke', params: { keyId: 'seven' } });
    expect(result.error?.issues[0]?.path).toEqual(['params', 'keyId']);
  });

  it('applies defaults and cross-field rules of branch.create', () => {
    const parsed = intentRequestSchema.parse({ kind: 'branch.create', params: { projectId: 'p', endpoints: [{}] } });
    expect(parsed.params).toMatchObject({ endpoints: [{ type: 'read_write' }] });
    const twoWriters = intentRequestSchema.safeParse({
      kind: 'branch.create',
      params: { projectId: 'p', endpoints: [{ type: 'read_write' }, { type: 'read_write' }] },
    });
    expect(twoWriters.error?.issues[0]?.path).toEqual(['params', 'endpoints']);
    const both = intentRequestSchema.safeParse({
      kind: 'branch.create',
      params: { projectId: 'p', parentLsn: '0/16B3748', parentTimestamp: '2026-11-01T00:00:00Z' },
    });
    expect(both.success).toBe(false);
    expect(intentRequestSchema.safeParse({ kind: 'branch.create', params: { projectId: 'p', expiresAt: 'tomorrow' } }).success).toBe(false);
  });

  it('gives the kinds that create resources onFailure, default delete', () => {
    const creating = intentKinds.filter((k) => intentRequestSchema.safeParse({ kind: k, params: { ...minimal[k], onFailure: 'keep' } }).success);
    expect(creating).toEqual(['project.create', 'branch.create', 'preview.ensure', 'endpoint.create', 'database.create', 'role.create', 'api_key.create']);
    expect(intentRequestSchema.parse({ kind: 'branch.create', params: { projectId: 'p' } }).params).toMatchObject({ onFailure: 'delete' });
    const wrong = intentRequestSchema.safeParse({ kind: 'branch.create', params: { projectId: 'p', onFailure: 'ignore' } });
    expect(wrong.error?.issues[0]?.path).toEqual(['params', 'onFailure']);
  });

  it('tells each request its scope and marks API keys admin-only', () => {
    expect(scopeOf({ kind: 'branch.delete', params: { projectId: 'p-9', branchId: 'b' } })).toEqual({ projectId: 'p-9' });
    expect(scopeOf(intentRequestSchema.parse({ kind: 'project.create', params: {} }))).toEqual({ newProject: true });
    expect(scopeOf({ kind: 'api_key.revoke', params: { keyId: 1 } })).toEqual({ account: true });
    expect(intentKinds.filter((k) => intentCatalog[k].adminOnly)).toEqual(['api_key.create', 'api_key.revoke']);
  });
});
