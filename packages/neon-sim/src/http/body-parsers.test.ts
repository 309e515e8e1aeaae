import { describe, expect, it } from 'vitest';
import { assertConforms } from '../test/conformance.js';
import { createReadyProject, startTestSim } from '../test/harness.js';
import { rawHttp } from '../test/raw-http.js';
import type { ResponseBody } from './types.js';

type EndpointOps = ResponseBody<'startProjectEndpoint', 200>;
type RoleOps = ResponseBody<'resetProjectBranchRolePassword', 200>;
type ErrorBody = { code: string; message: string; request_id: string };

/** What HTTP clients put on a request that has no body: axios, fetch, curl, multipart libraries, none. */
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'text/plain',
  'text/plain;charset=UTF-8',
  'application/json',
  'application/json; charset=utf-8',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  '', // an empty header
  'not-a-media-type',
  undefined,
];

describe('request bodies: an empty body is no body, whatever its Content-Type', () => {
  it('answers curl -X POST …/start with a form Content-Type and no body (no Content-Length either) with 200 and the operations', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const endpointId = p.endpoints[0]?.id ?? '';
    const path = `/projects/${p.project.id}/endpoints/${endpointId}`;
    expect((await t.api.post(`${path}/suspend`)).status).toBe(200);
    t.sim.control.fastForward();

    // Exactly what `curl -X POST -H 'Content-Type: application/x-www-form-urlencoded' URL` sends.
    const res = await rawHttp(t.sim.origin, [
      `POST /api/v2${path}/start HTTP/1.1`,
      'User-Agent: curl/8.5.0',
      'Accept: */*',
      `Authorization: Bearer ${t.sim.apiKey}`,
      'Content-Type: application/x-www-form-urlencoded',
    ]);
    expect(res.status).toBe(200);
    assertConforms('POST', `${path}/start`, res.status, res.body);
    const body = res.body as EndpointOps;
    expect(body.endpoint).toMatchObject({ id: endpointId, current_state: 'idle', pending_state: 'active' });
    expect(body.operations.map((o) => [o.action, o.endpoint_id])).toEqual([['start_compute', endpointId]]);
    t.sim.control.fastForward();
    expect((await t.api.get<ResponseBody<'getProjectEndpoint', 200>>(path)).body.endpoint.current_state).toBe('active');
  });

  it('accepts every body-less POST with any Content-Type (or none) and an empty body', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const endpoint = `/projects/${p.project.id}/endpoints/${p.endpoints[0]?.id}`;
    const role = `/projects/${p.project.id}/branches/${p.branch.id}/roles/${p.roles[0]?.name}`;
    const passwords = new Set<string>();
    for (const contentType of CONTENT_TYPES) {
      const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
      for (const action of ['suspend', 'start', 'restart']) {
        const res = await t.api.post<EndpointOps>(`${endpoint}/${action}`, undefined, { headers });
        expect(res.status, `${action} with ${contentType}`).toBe(200);
        expect(res.body.operations.length, `${action} with ${contentType}`).toBeGreaterThan(0);
        t.sim.control.fastForward();
      }
      const reset = await t.api.post<RoleOps>(`${role}/reset_password`, undefined, { headers });
      expect(reset.status, `reset_password with ${contentType}`).toBe(200);
      passwords.add(reset.body.role.password ?? '');
      t.sim.control.fastForward();
      const setDefault = await t.api.post(`/projects/${p.project.id}/branches/${p.branch.id}/set_as_default`, undefined, { headers });
      expect(setDefault.status, `set_as_default with ${contentType}`).toBe(200);
    }
    expect(passwords.size).toBe(CONTENT_TYPES.length);
    expect(t.sim.control.counters().byStatus['415']).toBeUndefined();
  });

  it('accepts a DELETE with a Content-Type and an empty body, announced by Content-Length: 0 or an empty chunked body', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const databases = `/projects/${p.project.id}/branches/${p.branch.id}/databases`;
    for (const name of ['one', 'two']) {
      expect((await t.api.post(databases, { database: { name, owner_name: 'neondb_owner' } })).status).toBe(201);
      t.sim.control.fastForward();
    }
    const auth = `Authorization: Bearer ${t.sim.apiKey}`;
    const one = await t.api.delete(`${databases}/one`, { headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' } });
    expect(one.status).toBe(200);
    t.sim.control.fastForward();
    const two = await rawHttp(t.sim.origin, [`DELETE /api/v2${databases}/two HTTP/1.1`, auth, 'Content-Type: text/plain', 'Transfer-Encoding: chunked'], '0\r\n\r\n');
    expect(two.status).toBe(200);
    assertConforms('DELETE', `${databases}/two`, two.status, two.body);
    t.sim.control.fastForward();
    expect((await t.api.get<ResponseBody<'listProjectBranchDatabases', 200>>(databases)).body.databases.map((d) => d.name)).toEqual(['neondb']);
  });
});

describe('request bodies: a non-empty body must be JSON', () => {
  it('refuses a form or text body with 415 in Neon error shape, and starts nothing', async () => {
    const t = await startTestSim();
    const p = await createReadyProject(t);
    const operationsBefore = t.sim.control.state().operations.length;
    const form = await t.api.request<ErrorBody>('POST', '/projects', {
      rawBody: 'project%5Bname%5D=demo',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect(form.body).toEqual({ code: '', message: expect.stringContaining('application/json'), request_id: form.headers.get('x-request-id') });
    const text = await t.api.request<ErrorBody>('POST', `/projects/${p.project.id}/endpoints/${p.endpoints[0]?.id}/suspend`, {
      rawBody: 'now please',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(text.body.message).toContain('text/plain');
    expect(t.sim.control.state().projects).toHaveLength(1);
    expect(t.sim.control.state().operations).toHaveLength(operationsBefore);
  });

  it('answers malformed JSON with 400 and parses JSON sent with a charset, a +json type or no Content-Type', async () => {
    const t = await startTestSim();
    const bad = await t.api.request<ErrorBody>('POST', '/projects', { rawBody: '{"project":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: '', message: 'request body is not valid JSON' });

    const charset = await t.api.request<ResponseBody<'createProject', 201>>('POST', '/projects', {
      body: { project: { name: 'with-charset' } },
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(charset.status).toBe(201);
    expect(charset.body.project.name).toBe('with-charset');
    const vendor = await t.api.request<ResponseBody<'createProject', 201>>('POST', '/projects', {
      body: { project: { name: 'vendor-json' } },
      headers: { 'content-type': 'application/vnd.neon+json' },
    });
    expect(vendor.body.project.name).toBe('vendor-json');

    const payload = JSON.stringify({ project: { name: 'untyped' } });
    const untyped = await rawHttp(t.sim.origin, ['POST /api/v2/projects HTTP/1.1', `Authorization: Bearer ${t.sim.apiKey}`, `Content-Length: ${payload.length}`], payload);
    expect(untyped.status).toBe(201);
    assertConforms('POST', '/projects', untyped.status, untyped.body);
    expect((untyped.body as ResponseBody<'createProject', 201>).project.name).toBe('untyped');
  });
});
