import { describe, expect, it } from 'vitest';
import { assertConforms, ConformanceError, templateFor } from './conformance.js';

describe('conformance helper', () => {
  it('maps concrete paths to the document templates, preferring literal segments', () => {
    expect(templateFor('GET', '/projects/shared')).toBe('/projects/shared');
    expect(templateFor('GET', '/projects/abc-123')).toBe('/projects/{project_id}');
    expect(templateFor('GET', '/projects/p/branches/br-x/endpoints?x=1')).toBe('/projects/{project_id}/branches/{branch_id}/endpoints');
  });

  it('names the operation and the field that is wrong', () => {
    const bad = { operation: { id: 'not-a-uuid', project_id: 'p', action: 'start_compute', status: 'finished', failures_count: 0, created_at: 'x', updated_at: '2024-01-01T00:00:00Z', total_duration_ms: 1 } };
    expect(() => assertConforms('GET', '/projects/p/operations/o', 200, bad)).toThrow(ConformanceError);
    try {
      assertConforms('GET', '/projects/p/operations/o', 200, bad);
    } catch (err) {
      expect(String(err)).toContain('GET /projects/{project_id}/operations/{operation_id}');
      expect(String(err)).toContain('/operation/id');
      expect(String(err)).toContain('/operation/created_at');
    }
  });

  it('checks error bodies against the default response and accepts OpenAPI nullable fields', () => {
    expect(() => assertConforms('GET', '/projects/p', 404, { code: '', message: 'project not found', request_id: 'r' })).not.toThrow();
    expect(() => assertConforms('GET', '/projects/p', 404, { message: 'no code' })).toThrow(/code/);
    const key = { id: 1, name: 'k', created_at: '2024-01-01T00:00:00Z', created_by: { id: '629982cc-de05-43db-ae16-28f2399c4910', name: 'n', image: '' }, last_used_at: null, last_used_from_addr: '' };
    expect(() => assertConforms('GET', '/api_keys', 200, [key])).not.toThrow();
  });
});
