import { describe, expect, it } from 'vitest';
import { canonicalJson, idempotencyRedisKey, requestFingerprint } from './fingerprint.js';

// Stored idempotency records carry these values for a day: a change of the canonical form or
// the hashing would turn a retry after a deploy into a 422. The expected values were made by
// `createHash`, as the values stored today were.
describe('request fingerprint', () => {
  const body = { b: 1, a: { d: [1, { f: 2, e: undefined }, undefined], c: null }, é: 'x', Z: true, '': 0 };

  it('writes object keys sorted by UTF-16 code units at every level, leaves undefined members out and writes undefined array items as null', () => {
    expect(canonicalJson(body)).toBe('{"":0,"Z":true,"a":{"c":null,"d":[1,{"f":2},null]},"b":1,"é":"x"}');
    expect(canonicalJson({ params: { name: 'n', projectId: 'p' }, kind: 'k' })).toBe(canonicalJson({ kind: 'k', params: { projectId: 'p', name: 'n' } }));
    expect([canonicalJson([]), canonicalJson({}), canonicalJson('x'), canonicalJson(3), canonicalJson(null)]).toEqual(['[]', '{}', '"x"', '3', 'null']);
  });

  it('hashes method, path and canonical body as before', () => {
    expect(requestFingerprint('POST', '/v1/intents', body)).toBe('63ef828640a3b2b04bd6320ac8dffe3a309f22d4b6b7be61d24d90fc067a04aa');
    expect(requestFingerprint('post', '/v1/intents', body)).toBe(requestFingerprint('POST', '/v1/intents', body));
  });

  it('keeps the client key out of the Redis key, hashed as before', () => {
    expect(idempotencyRedisKey('p:', 't', 'k✓')).toBe('p:{core}:idempotency:t:722fa4c2aa3fa4b10ad8d9a766ff9b76f9a69ff20961901aba631eb453626328');
  });
});
