/**
 * For every client method: the request it sends matches Neon's OpenAPI
 * document (method + path template, declared query parameters, required
 * parameters, body schema), and it returns the documented example response.
 */
import { describe, expect, it } from 'vitest';
import { createConformanceChecker } from '../test/openapi-conformance.js';
import { scriptedFetch } from '../test/fake-fetch.js';
import { createNeonClient, type NeonClient } from './client.js';

const checker = createConformanceChecker();
/** Methods whose result is computed from the body rather than the body itself. */
const derived = new Set(['checkOperations']);

const P = 'shiny-wind-028834';
const B = 'br-aged-salad-637688';
const E = 'ep-young-art-646685';
const OP = 'a07f8772-1877-4da9-a939-3a3ae62d1d8d';

async function drain(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** [client method, expected `METHOD /template`, call]. */
const cases: [string, string, (neon: NeonClient) => Promise<unknown>][] = [
  // API keys
  ['listApiKeys', 'GET /api_keys', (n) => n.listApiKeys()],
  ['createApiKey', 'POST /api_keys', (n) => n.createApiKey({ key_name: 'ci-deployer' })],
  ['revokeApiKey', 'DELETE /api_keys/{key_id}', (n) => n.revokeApiKey(177630)],
  // Operations
  ['listOperations', 'GET /projects/{project_id}/operations', (n) => drain(n.listOperations(P, { limit: 10 }))],
  ['listOperationsPage', 'GET /projects/{project_id}/operations', (n) => n.listOperationsPage(P, { cursor: 'abc', limit: 5 })],
  ['getOperation', 'GET /projects/{project_id}/operations/{operation_id}', (n) => n.getOperation(P, OP)],
  // Projects
  ['listProjects', 'GET /projects', (n) => drain(n.listProjects({ limit: 50, search: 'shiny', org_id: 'org-a1b2c3' }))],
  ['listProjectsPage', 'GET /projects', (n) => n.listProjectsPage({ cursor: 'c', limit: 400, timeout: 1000, recoverable: false })],
  ['listSharedProjects', 'GET /projects/shared', (n) => drain(n.listSharedProjects({ limit: 20, search: 'x' }))],
  ['listSharedProjectsPage', 'GET /projects/shared', (n) => n.listSharedProjectsPage({ limit: 20 })],
  ['getProject', 'GET /projects/{project_id}', (n) => n.getProject(P)],
  [
    'createProject',
    'POST /projects',
    (n) =>
      n.createProject({
        project: { name: 'team-a', region_id: 'aws-us-east-2', pg_version: 17, branch: { name: 'main', database_name: 'app', role_name: 'app_owner' } },
      }),
  ],
  ['updateProject', 'PATCH /projects/{project_id}', (n) => n.updateProject(P, { project: { name: 'renamed', history_retention_seconds: 86400 } })],
  ['deleteProject', 'DELETE /projects/{project_id}', (n) => n.deleteProject(P)],
  [
    'getConnectionUri',
    'GET /projects/{project_id}/connection_uri',
    (n) => n.getConnectionUri(P, { database_name: 'neondb', role_name: 'neondb_owner', branch_id: B, endpoint_id: E, pooled: true }),
  ],
  ['listProjectPermissions', 'GET /projects/{project_id}/permissions', (n) => n.listProjectPermissions(P)],
  ['grantProjectPermission', 'POST /projects/{project_id}/permissions', (n) => n.grantProjectPermission(P, { email: 'dev@example.com' })],
  ['revokeProjectPermission', 'DELETE /projects/{project_id}/permissions/{permission_id}', (n) => n.revokeProjectPermission(P, 'perm-1')],
  // Branches
  [
    'listBranches',
    'GET /projects/{project_id}/branches',
    (n) => drain(n.listBranches(P, { limit: 100, sort_by: 'created_at', sort_order: 'asc', search: 'pr-', include_deleted: false })),
  ],
  ['listBranchesPage', 'GET /projects/{project_id}/branches', (n) => n.listBranchesPage(P, { cursor: 'opaque' })],
  ['getBranch', 'GET /projects/{project_id}/branches/{branch_id}', (n) => n.getBranch(P, B)],
  ['createBranch (no body)', 'POST /projects/{project_id}/branches', (n) => n.createBranch(P)],
  [
    'createBranch (endpoints + annotation)',
    'POST /projects/{project_id}/branches',
    (n) =>
      n.createBranch(P, {
        branch: { name: 'pr-42', parent_id: B, expires_at: '2026-01-15T00:00:00Z' },
        endpoints: [{ type: 'read_write', autoscaling_limit_min_cu: 0.25, autoscaling_limit_max_cu: 1 }],
        annotation_value: { 'neonops-intent': 'int_123' },
      }),
  ],
  [
    'updateBranch',
    'PATCH /projects/{project_id}/branches/{branch_id}',
    (n) => n.updateBranch(P, B, { branch: { name: 'pr-42-renamed', protected: false, expires_at: null } }),
  ],
  ['deleteBranch', 'DELETE /projects/{project_id}/branches/{branch_id}', (n) => n.deleteBranch(P, B)],
  ['listBranchEndpoints', 'GET /projects/{project_id}/branches/{branch_id}/endpoints', (n) => n.listBranchEndpoints(P, B)],
  [
    'restoreBranch',
    'POST /projects/{project_id}/branches/{branch_id}/restore',
    (n) => n.restoreBranch(P, B, { source_branch_id: B, source_timestamp: '2026-01-01T00:00:00Z', preserve_under_name: 'backup' }),
  ],
  ['setDefaultBranch', 'POST /projects/{project_id}/branches/{branch_id}/set_as_default', (n) => n.setDefaultBranch(P, B)],
  // Databases
  ['listDatabases', 'GET /projects/{project_id}/branches/{branch_id}/databases', (n) => n.listDatabases(P, B)],
  ['getDatabase', 'GET /projects/{project_id}/branches/{branch_id}/databases/{database_name}', (n) => n.getDatabase(P, B, 'neondb')],
  [
    'createDatabase',
    'POST /projects/{project_id}/branches/{branch_id}/databases',
    (n) => n.createDatabase(P, B, { database: { name: 'app', owner_name: 'casey' } }),
  ],
  [
    'updateDatabase',
    'PATCH /projects/{project_id}/branches/{branch_id}/databases/{database_name}',
    (n) => n.updateDatabase(P, B, 'app', { database: { name: 'app2', owner_name: 'casey' } }),
  ],
  ['deleteDatabase', 'DELETE /projects/{project_id}/branches/{branch_id}/databases/{database_name}', (n) => n.deleteDatabase(P, B, 'app')],
  // Roles
  ['listRoles', 'GET /projects/{project_id}/branches/{branch_id}/roles', (n) => n.listRoles(P, B)],
  ['getRole', 'GET /projects/{project_id}/branches/{branch_id}/roles/{role_name}', (n) => n.getRole(P, B, 'casey')],
  ['createRole', 'POST /projects/{project_id}/branches/{branch_id}/roles', (n) => n.createRole(P, B, { role: { name: 'app_user', no_login: false } })],
  ['deleteRole', 'DELETE /projects/{project_id}/branches/{branch_id}/roles/{role_name}', (n) => n.deleteRole(P, B, 'app_user')],
  [
    'revealRolePassword',
    'GET /projects/{project_id}/branches/{branch_id}/roles/{role_name}/reveal_password',
    (n) => n.revealRolePassword(P, B, 'casey'),
  ],
  [
    'resetRolePassword',
    'POST /projects/{project_id}/branches/{branch_id}/roles/{role_name}/reset_password',
    (n) => n.resetRolePassword(P, B, 'casey'),
  ],
  // Endpoints
  ['listEndpoints', 'GET /projects/{project_id}/endpoints', (n) => n.listEndpoints(P)],
  ['getEndpoint', 'GET /projects/{project_id}/endpoints/{endpoint_id}', (n) => n.getEndpoint(P, E)],
  [
    'createEndpoint',
    'POST /projects/{project_id}/endpoints',
    (n) =>
      n.createEndpoint(P, {
        endpoint: { branch_id: B, type: 'read_write', autoscaling_limit_min_cu: 0.25, autoscaling_limit_max_cu: 2, suspend_timeout_seconds: 300 },
      }),
  ],
  [
    'updateEndpoint',
    'PATCH /projects/{project_id}/endpoints/{endpoint_id}',
    (n) => n.updateEndpoint(P, E, { endpoint: { autoscaling_limit_max_cu: 4, suspend_timeout_seconds: 0 } }),
  ],
  ['deleteEndpoint', 'DELETE /projects/{project_id}/endpoints/{endpoint_id}', (n) => n.deleteEndpoint(P, E)],
  ['startEndpoint', 'POST /projects/{project_id}/endpoints/{endpoint_id}/start', (n) => n.startEndpoint(P, E)],
  ['suspendEndpoint', 'POST /projects/{project_id}/endpoints/{endpoint_id}/suspend', (n) => n.suspendEndpoint(P, E)],
  ['restartEndpoint', 'POST /projects/{project_id}/endpoints/{endpoint_id}/restart', (n) => n.restartEndpoint(P, E)],
  // Consumption and user
  [
    'getConsumptionHistoryPerProject',
    'GET /consumption_history/v2/projects',
    (n) =>
      n.getConsumptionHistoryPerProject({
        from: '2026-01-01T00:00:00Z',
        to: '2026-01-08T00:00:00Z',
        granularity: 'daily',
        org_id: 'org-a1b2c3',
        metrics: ['compute_unit_seconds', 'root_branch_bytes_month'],
        project_ids: [P],
        limit: 10,
      }),
  ],
  [
    'listConsumptionHistoryPerProject',
    'GET /consumption_history/v2/projects',
    (n) =>
      drain(
        n.listConsumptionHistoryPerProject({
          from: '2026-01-01T00:00:00Z',
          to: '2026-01-02T00:00:00Z',
          granularity: 'hourly',
          org_id: 'org-a1b2c3',
          metrics: ['compute_unit_seconds'],
        }),
      ),
  ],
  [
    'getConsumptionHistoryPerBranch',
    'GET /consumption_history/v2/branches',
    (n) =>
      n.getConsumptionHistoryPerBranch({
        from: '2026-01-01T00:00:00Z',
        to: '2026-01-02T00:00:00Z',
        granularity: 'hourly',
        org_id: 'org-a1b2c3',
        metrics: ['compute_unit_seconds', 'child_branch_bytes_month'],
        project_ids: [P],
        limit: 10,
      }),
  ],
  [
    'listConsumptionHistoryPerBranch',
    'GET /consumption_history/v2/branches',
    (n) =>
      drain(
        n.listConsumptionHistoryPerBranch({
          from: '2026-01-01T00:00:00Z',
          to: '2026-01-02T00:00:00Z',
          granularity: 'hourly',
          org_id: 'org-a1b2c3',
          metrics: ['compute_unit_seconds'],
          project_ids: [P],
        }),
      ),
  ],
  ['getCurrentUser', 'GET /users/me', (n) => n.getCurrentUser()],
  // Operation helpers go through getOperation
  ['checkOperations', 'GET /projects/{project_id}/operations/{operation_id}', (n) => n.checkOperations(P, [OP])],
];

describe('conformance with openapi/v2.json', () => {
  it.each(cases)('%s sends a documented request', async (_name, operation, run) => {
    const example = checker.exampleResponse(operation);
    const { fetch, requests } = scriptedFetch([
      { status: example?.status ?? 200, body: example?.body ?? { projects: [], operations: [], branches: [] } },
    ]);
    const neon = createNeonClient({ apiKey: 'napi_conformance', baseUrl: 'http://127.0.0.1:9/api/v2', fetch });
    const result = await run(neon);
    expect(requests.length).toBeGreaterThan(0);
    for (const req of requests) {
      const verdict = checker.check(req);
      expect(verdict.problems).toEqual([]);
      expect(verdict.operation).toBe(operation);
    }
    // Methods that return the body as is hand back the documented example untouched.
    if (example && !Array.isArray(result) && !derived.has(_name)) expect(result).toEqual(example.body);
  });

  it('covers every method of the client', () => {
    const neon = createNeonClient({ apiKey: 'k' });
    const helpers = new Set(['waitForOperations', 'call']);
    const methods = Object.keys(neon).filter((k) => !helpers.has(k));
    const tested = new Set(cases.map(([name]) => name.split(' ')[0]));
    expect(methods.filter((m) => !tested.has(m))).toEqual([]);
  });
});

describe('the conformance checker itself', () => {
  const req = (method: string, url: string, body?: unknown) => ({
    method,
    url: new URL(url),
    headers: (body === undefined ? {} : { 'content-type': 'application/json' }) as Record<string, string>,
    body,
    rawBody: body === undefined ? undefined : JSON.stringify(body),
    signal: undefined,
  });
  it('flags an unknown path or method', () => {
    expect(checker.check(req('GET', 'http://h/api/v2/nope')).problems[0]).toMatch(/no operation/);
    expect(checker.check(req('PUT', `http://h/api/v2/projects/${P}`)).problems[0]).toMatch(/no operation/);
  });
  it('flags an undeclared or malformed query parameter and a missing required one', () => {
    expect(checker.check(req('GET', `http://h/api/v2/projects/${P}/branches?page=2`)).problems).toEqual([
      'query parameter page is not declared for GET /projects/{project_id}/branches',
    ]);
    expect(checker.check(req('GET', `http://h/api/v2/projects?limit=lots`)).problems[0]).toMatch(/limit=lots does not match/);
    expect(checker.check(req('GET', `http://h/api/v2/projects/${P}/connection_uri?database_name=x`)).problems).toEqual([
      'required query parameter role_name missing',
    ]);
  });
  it('flags a body that does not match, a missing required body and an unexpected body', () => {
    expect(checker.check(req('POST', `http://h/api/v2/projects/${P}/branches`, { endpoints: [{ type: 'big' }] })).problems[0]).toMatch(
      /body does not match/,
    );
    expect(checker.check(req('POST', 'http://h/api/v2/api_keys')).problems).toEqual(['POST /api_keys requires a request body']);
    expect(checker.check(req('GET', 'http://h/api/v2/api_keys', { x: 1 })).problems[0]).toMatch(/takes no request body/);
  });
  it('flags a path parameter that does not match its pattern', () => {
    expect(checker.check(req('GET', 'http://h/api/v2/projects/NOT_VALID!')).problems[0]).toMatch(/project_id=NOT_VALID! does not match/);
  });
});
