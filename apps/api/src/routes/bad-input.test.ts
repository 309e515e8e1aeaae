import { describe, expect, it } from 'vitest';
import { buildTestApp, jobCount } from '../../test/helper.js';

type Case = { name: string; payload: string; headers?: Record<string, string>; status: number; code: string; field?: string };

const json = (value: unknown) => JSON.stringify(value);

const cases: Case[] = [
  { name: 'malformed JSON', payload: '{"kind": "branch.create", "params": {', status: 400, code: 'malformed_json' },
  { name: 'an empty JSON body', payload: '', status: 400, code: 'malformed_json' },
  { name: 'an unknown kind', payload: json({ kind: 'branch.explode', params: {} }), status: 400, code: 'validation_failed', field: 'kind' },
  { name: 'a missing kind', payload: json({ params: { projectId: 'p-alpha' } }), status: 400, code: 'validation_failed', field: 'kind' },
  { name: 'a wrong type', payload: json({ kind: 'branch.create', params: { projectId: 42 } }), status: 400, code: 'validation_failed', field: 'params.projectId' },
  {
    name: 'a wrong nested type',
    payload: json({ kind: 'branch.create', params: { projectId: 'p-alpha', endpoints: [{ type: 'huge' }] } }),
    status: 400,
    code: 'validation_failed',
    field: 'params.endpoints.0.type',
  },
  { name: 'a missing required param', payload: json({ kind: 'branch.create', params: {} }), status: 400, code: 'validation_failed', field: 'params.projectId' },
  {
    name: 'an unknown field in params',
    payload: json({ kind: 'branch.create', params: { projectId: 'p-alpha', colour: 'red' } }),
    status: 400,
    code: 'validation_failed',
    field: 'params.colour',
  },
  { name: 'an unknown top-level field', payload: json({ kind: 'branch.create', params: { projectId: 'p-alpha' }, extra: 1 }), status: 400, code: 'validation_failed', field: 'extra' },
  { name: 'an array body', payload: json([1, 2]), status: 400, code: 'validation_failed' },
  { name: 'a non-JSON content type', payload: 'kind=branch.create', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type' },
  { name: 'an empty Idempotency-Key', payload: json({ kind: 'branch.create', params: { projectId: 'p-alpha' } }), headers: { 'idempotency-key': '' }, status: 400, code: 'validation_failed', field: 'idempotency-key' },
];

describe('bad input on POST /v1/intents', () => {
  it.each(cases)('answers $status $code for $name, names the field, and enqueues nothing', async (c) => {
    const t = await buildTestApp();
    const res = await t.as('alpha', {
      method: 'POST',
      url: '/v1/intents',
      payload: c.payload,
      headers: { 'content-type': 'application/json', ...c.headers },
    });
    expect(res.statusCode).toBe(c.status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json();
    expect(problem).toMatchObject({ status: c.status, code: c.code, type: `urn:neonops:problem:${c.code}`, instance: '/v1/intents' });
    expect(typeof problem.title).toBe('string');
    if (c.field) expect(problem.errors.map((e: { path: string }) => e.path)).toContain(c.field);
    expect(await jobCount(t.queue)).toBe(0);
  });

  it('answers 413 for a body over the limit, and enqueues nothing', async () => {
    const t = await buildTestApp({ bodyLimit: 1024 });
    const res = await t.as('alpha', {
      method: 'POST',
      url: '/v1/intents',
      payload: json({ kind: 'branch.create', params: { projectId: 'p-alpha', name: 'x'.repeat(2000) } }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'body_too_large', status: 413 });
    expect(await jobCount(t.queue)).toBe(0);
  });

  it('validates query strings and path parameters too', async () => {
    const t = await buildTestApp();
    const badLimit = await t.as('alpha', { method: 'GET', url: '/v1/intents?limit=500' });
    expect(badLimit.statusCode).toBe(400);
    expect(badLimit.json().errors[0]).toMatchObject({ in: 'querystring', path: 'limit' });
    const badStatus = await t.as('alpha', { method: 'GET', url: '/v1/intents?status=sleeping' });
    expect(badStatus.json().errors[0]).toMatchObject({ in: 'querystring', path: 'status' });
    const unknownParam = await t.as('alpha', { method: 'GET', url: '/v1/intents?colour=red' });
    expect(unknownParam.json().errors[0]).toMatchObject({ in: 'querystring', path: 'colour' });
  });

  it('answers unknown routes with a 404 problem', async () => {
    const t = await buildTestApp();
    const res = await t.app.inject({ method: 'GET', url: '/v2/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'route_not_found' });
  });
});

describe('authentication', () => {
  it.each([
    ['no Authorization header', undefined],
    ['an unknown token', 'Bearer nope'],
    ['another scheme', 'Basic dG9rZW4tYWxwaGE6'],
    ['an empty bearer', 'Bearer '],
  ])('answers 401 for %s, before validation, and enqueues nothing', async (_name, authorization) => {
    const t = await buildTestApp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/intents',
      payload: '{not json',
      headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.json()).toMatchObject({ code: 'unauthorized', status: 401 });
    expect((await t.app.inject({ method: 'GET', url: '/v1/projects', headers: authorization ? { authorization } : {} })).statusCode).toBe(401);
    expect(await jobCount(t.queue)).toBe(0);
  });
});
