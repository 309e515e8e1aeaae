import { describe, expect, it } from 'vitest';
import { RETRYABLE_STATUSES } from '../errors.js';
import { backoffDelay, isIdempotentMethod, isRetryableStatus, parseRetryAfter, provablyNotSent } from './retry.js';
import { buildUrl, fillPath } from './url.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter(' 7 ', NOW)).toBe(7000);
    expect(parseRetryAfter('1.5', NOW)).toBe(1500);
  });
  it('reads an HTTP date, never negative', () => {
    expect(parseRetryAfter(new Date(NOW + 12_000).toUTCString(), NOW)).toBe(12_000);
    expect(parseRetryAfter(new Date(NOW - 12_000).toUTCString(), NOW)).toBe(0);
  });
  it('ignores missing or garbage values', () => {
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(parseRetryAfter('', NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter('-5', NOW)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('is full jitter under a doubling ceiling capped at maxDelayMs', () => {
    const opts = { baseDelayMs: 100, maxDelayMs: 1_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, opts, () => 0.5))).toEqual([50, 100, 200, 400, 500, 500]);
    expect(backoffDelay(3, opts, () => 0)).toBe(0);
  });
});

describe('method and failure classification', () => {
  it('treats POST, PATCH and DELETE as not idempotent', () => {
    expect(['GET', 'PUT'].map(isIdempotentMethod)).toEqual([true, true]);
    expect(['POST', 'PATCH', 'DELETE'].map(isIdempotentMethod)).toEqual([false, false, false]);
  });
  it('retries a 500 only for idempotent calls; 423/429/502/503/504/524 always; other 4xx/5xx never', () => {
    expect(isRetryableStatus(500, RETRYABLE_STATUSES, true)).toBe(true);
    expect(isRetryableStatus(500, RETRYABLE_STATUSES, false)).toBe(false);
    for (const status of [423, 429, 502, 503, 504, 524]) expect(isRetryableStatus(status, RETRYABLE_STATUSES, false)).toBe(true);
    for (const status of [400, 404, 409, 422, 501, 505]) expect(isRetryableStatus(status, RETRYABLE_STATUSES, true)).toBe(false);
  });
  it('knows failures that prove nothing was sent', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) });
    const reset = new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) });
    expect(provablyNotSent(refused)).toBe(true);
    expect(provablyNotSent(reset)).toBe(false);
    expect(provablyNotSent('nope')).toBe(false);
  });
});

describe('URL building', () => {
  it('fills and encodes path parameters', () => {
    expect(fillPath('/projects/{project_id}/branches/{branch_id}', { project_id: 'p 1', branch_id: 'a/b' })).toBe(
      '/projects/p%201/branches/a%2Fb',
    );
    expect(() => fillPath('/projects/{project_id}', {})).toThrow(/project_id/);
  });
  it('joins base URL and query, skipping undefined values', () => {
    expect(buildUrl('http://127.0.0.1:1/api/v2/', '/projects', { limit: 5, cursor: undefined, pooled: true, ids: ['a', 'b'] })).toBe(
      'http://127.0.0.1:1/api/v2/projects?limit=5&pooled=true&ids=a&ids=b',
    );
    expect(buildUrl('http://127.0.0.1:1/api/v2', '/projects', {})).toBe('http://127.0.0.1:1/api/v2/projects');
  });
});
