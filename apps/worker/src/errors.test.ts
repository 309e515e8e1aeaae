import {
  NeonApiError,
  NeonAuthError,
  NeonConflictError,
  NeonConnectionError,
  NeonLockedError,
  NeonNotFoundError,
  NeonRateLimitError,
  NeonServerError,
  NeonUnprocessableError,
} from '@neonops/neon-client';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { classify, FailureCodes, IntentFailedError, NotReadyError, outcomeUnknown } from './errors.js';

const init = (status: number, neonMessage = 'nope') => ({
  method: 'POST',
  path: '/projects/{project_id}/branches',
  status,
  neonCode: '',
  neonMessage,
  requestId: 'req-1',
});

describe('classify', () => {
  it('retries 423, 429, 5xx, network failures and "not ready"', () => {
    for (const err of [
      new NeonLockedError(init(423)),
      new NeonRateLimitError({ ...init(429), retryAfterMs: 1000 }),
      new NeonServerError(init(503)),
      new NeonServerError(init(524)),
      new NeonConnectionError({ method: 'GET', path: '/x', cause: new Error('reset'), outcomeUnknown: false }),
      new NeonUnprocessableError(init(422, 'branch not ready yet')),
      new NotReadyError('soon'),
    ]) {
      expect(classify(err).retryable, err.constructor.name).toBe(true);
    }
    expect(classify(new NeonServerError(init(503))).error).toMatchObject({ code: FailureCodes.unavailable, neonRequestId: 'req-1', neonStatus: 503 });
  });

  it('fails at once, with a stable code, on 4xx that cannot succeed', () => {
    const cases: Array<[Error, string]> = [
      [new NeonApiError(init(400)), FailureCodes.badRequest],
      [new NeonAuthError(init(401)), FailureCodes.unauthorized],
      [new NeonAuthError(init(403)), FailureCodes.forbidden],
      [new NeonNotFoundError(init(404)), FailureCodes.notFound],
      [new NeonConflictError(init(409)), FailureCodes.conflict],
      [new NeonUnprocessableError(init(422, 'invalid name')), FailureCodes.unprocessable],
      [new IntentFailedError({ code: FailureCodes.operationFailed, message: 'op failed' }), FailureCodes.operationFailed],
    ];
    for (const [err, code] of cases) expect(classify(err)).toMatchObject({ retryable: false, error: { code } });
    const zod = z.object({ a: z.string() }).safeParse({});
    expect(classify(zod.error)).toMatchObject({ retryable: false, error: { code: FailureCodes.invalidParams } });
  });

  it('knows when a create may have been applied', () => {
    expect(outcomeUnknown(new NeonConnectionError({ method: 'POST', path: '/x', cause: null, outcomeUnknown: true }))).toBe(true);
    expect(outcomeUnknown(new NeonServerError({ ...init(524), outcomeUnknown: true }))).toBe(true);
    expect(outcomeUnknown(new NeonServerError(init(503)))).toBe(false);
  });
});
