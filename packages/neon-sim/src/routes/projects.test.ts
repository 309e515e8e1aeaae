import { describe, expect, it } from 'vitest';
import type { ResponseBody } from '../http/types.js';
import { LOCKED_MESSAGE } from '../http/errors.js';
import { createReadyProject, startTestSim } from '../test/harness.js';

type Created = ResponseBody<'createProject', 201>;
type ErrorBody = { code: string; message: string; request_id: string };

describe('projects', () => {
  it('creates a project with a default branch main, a read_write endpoint, neondb_owner and neondb', async () => {
    const t = await startTestSim();
    const res = await t.api.post<Created>('/projects', { project: { name: 'demo' } });
    expect(res.status).toBe(201);
    const body = res.body;
    expect(body.project.id).toMatch(/^[a-z]+-[a-z]+-\d{8}$/);
    expect(body.branch).toMatchObject({ name: 'main', default: true, current_state: 'init' });
    expect(body.branch.id).toMatch(/^br-[a-z]+-[a-z]+-[a-z0-9]{8}$/);
    expect(body.endpoints).toHaveLength(1);
    expect(body.endpoints[0]).toMatchObject({ type: 'read_write', current_state: 'init', pending_state: 'active' });
    expect(body.endpoints[0]?.id).toMatch(/^ep-[a-z]+-[a-z]+-[a-z0-9]{8}$/);
    expect(body.roles.map((r) => r.name)).toEqual(['neondb_owner']);
    expect(body.roles[0]?.password).toMatch(/^npg_/);
    expect(body.databases.map((d) => d.name)).toEqual(['neondb']);
    expect(body.operations.map((o) => [o.action, o.status])).toEqual([
      ['create_timeline', 'scheduling'],
      ['start_compute', 'scheduling'],
    ]);
    const epId = body.endpoints[0]?.id ?? '';
    const uri = body.connection_uris[0]?.connection_uri ?? '';
    expect(uri).toMatch(new RegExp(`^postgresql://neondb_owner:npg_\\w+@${epId}\\.us-east-2\\.aws\\.neon\\.tech/neondb\\?sslmode=require$`));
    expect(body.connection_uris[0]?.connection_parameters.pooler_host).toBe(`${epId}-pooler.us-east-2.aws.neon.tech`);

    t.sim.control.fastForward();
    const ep = await t.api.get<ResponseBody<'getProjectEndpoint', 200>>(`/projects/${body.project.id}/endpoints/${epId}`);
    expect(ep.body.endpoint.current_state).toBe('active');
    expect(ep.body.endpoint.pending_state).toBeUndefined();
  });

  it('gives the same ids under the same seed', async () => {
    const a = await startTestSim({ seed: 42 });
    const b = await startTestSim({ seed: 42 });
    const pa = await a.api.post<Created>('/projects', { project: {} });
    const pb = await b.api.post<Created>('/projects', { project: {} });
    expect(pa.body.project.id).toBe(pb.body.project.id);
    expect(pa.body.branch.id).toBe(pb.body.branch.id);
    expect(pa.body.project.name).toBe(pa.body.project.id);
  });

  it('lists projects newest first with cursor pagination that ends on an empty page', async () => {
    const t = await startTestSim();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await createReadyProject(t, `p${i}`)).project.id);
    const first = await t.api.get<ResponseBody<'listProjects', 200>>('/projects?limit=2');
    expect(first.body.projects.map((p) => p.id)).toEqual([ids[2], ids[1]]);
    const cursor = first.body.pagination?.cursor ?? '';
    const second = await t.api.get<ResponseBody<'listProjects', 200>>(`/projects?limit=2&cursor=${cursor}`);
    expect(second.body.projects.map((p) => p.id)).toEqual([ids[0]]);
    const third = await t.api.get<ResponseBody<'listProjects', 200>>(`/projects?limit=2&cursor=${second.body.pagination?.cursor ?? ''}`);
    expect(third.body.projects).toEqual([]);
    const search = await t.api.get<ResponseBody<'listProjects', 200>>('/projects?search=p1');
    expect(search.body.projects.map((p) => p.name)).toEqual(['p1']);
    const bad = await t.api.get('/projects?limit=0');
    expect(bad.status).toBe(400);
    const shared = await t.api.get<ResponseBody<'listSharedProjects', 200>>('/projects/shared');
    expect(shared.body.projects).toEqual([]);
  });

  it('gets, updates and deletes a project; 423 while its operations run', async () => {
    const t = await startTestSim();
    const created = await t.api.post<Created>('/projects', { project: { name: 'x' } });
    const id = created.body.project.id;
    const lockedRes = await t.api.patch<ErrorBody>(`/projects/${id}`, { project: { name: 'y' } });
    expect(lockedRes.status).toBe(423);
    expect(lockedRes.body).toMatchObject({ code: '', message: LOCKED_MESSAGE });
    t.sim.control.fastForward();
    const updated = await t.api.patch<ResponseBody<'updateProject', 200>>(`/projects/${id}`, { project: { name: 'y' } });
    expect(updated.status).toBe(200);
    expect(updated.body.project.name).toBe('y');
    expect((await t.api.get<ResponseBody<'getProject', 200>>(`/projects/${id}`)).body.project.name).toBe('y');
    expect((await t.api.delete(`/projects/${id}`)).status).toBe(200);
    expect((await t.api.get(`/projects/${id}`)).status).toBe(404);
    expect((await t.api.delete(`/projects/${id}`)).status).toBe(404);
  });

  it('serves connection URIs, pooled or direct, for a role and database', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const id = p.project.id;
    const ep = p.endpoints[0]?.id ?? '';
    const direct = await t.api.get<ResponseBody<'getConnectionURI', 200>>(`/projects/${id}/connection_uri?database_name=neondb&role_name=neondb_owner`);
    expect(direct.body.uri).toBe(p.connection_uris[0]?.connection_uri);
    const pooled = await t.api.get<ResponseBody<'getConnectionURI', 200>>(
      `/projects/${id}/connection_uri?database_name=neondb&role_name=neondb_owner&pooled=true&branch_id=${p.branch.id}&endpoint_id=${ep}`,
    );
    expect(pooled.body.uri).toContain(`@${ep}-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require`);
    expect((await t.api.get(`/projects/${id}/connection_uri?database_name=nope&role_name=neondb_owner`)).status).toBe(404);
    expect((await t.api.get(`/projects/${id}/connection_uri?role_name=neondb_owner`)).status).toBe(400);
  });
});

describe('request handling', () => {
  it('answers 401 without a key or with an unknown key, as { code, message, request_id }', async () => {
    const t = await startTestSim();
    const none = await t.api.get<ErrorBody>('/projects', { apiKey: null });
    expect(none.status).toBe(401);
    expect(none.body.request_id).toBe(none.headers.get('x-request-id'));
    const wrong = await t.api.get<ErrorBody>('/projects', { apiKey: 'not-a-key' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).not.toContain('not-a-key');
  });

  it('echoes X-Request-ID and puts it in error bodies', async () => {
    const t = await startTestSim();
    const ok = await t.api.get('/projects', { headers: { 'x-request-id': 'req-123' } });
    expect(ok.headers.get('x-request-id')).toBe('req-123');
    const missing = await t.api.get<ErrorBody>('/projects/nope-nope-123', { headers: { 'x-request-id': 'req-456' } });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ code: '', message: 'project not found', request_id: 'req-456' });
  });

  it('answers 400 for malformed JSON and for bodies that break the schema', async () => {
    const t = await startTestSim();
    const malformed = await t.api.request<ErrorBody>('POST', '/projects', { rawBody: '{"project":' });
    expect(malformed.status).toBe(400);
    const wrongType = await t.api.post<ErrorBody>('/projects', { project: { name: 42 } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.message).toContain('project.name');
    const missing = await t.api.post<ErrorBody>('/projects', {});
    expect(missing.status).toBe(400);
  });
});

describe('bodies', () => {
  it('accepts a JSON content type with an empty body on bodiless POSTs', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const res = await t.api.request('POST', `/projects/${p.project.id}/endpoints/${p.endpoints[0]?.id}/suspend`, { rawBody: '' });
    expect(res.status).toBe(200);
  });
});
