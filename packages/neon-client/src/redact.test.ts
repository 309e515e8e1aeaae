import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fakeClock, neonError, scriptedFetch, type Step } from '../test/fake-fetch.js';
import { createNeonClient } from './client.js';
import { createScrubber, redactConnectionUri } from './redact.js';

const KEY = 'napi_leakcheck_0123456789abcdef';

describe('redactConnectionUri', () => {
  it('masks the password', () => {
    expect(redactConnectionUri('postgresql://alex:AbC123dEf@ep-cool-darkness-123456.us-east-2.aws.neon.tech/dbname?sslmode=require')).toBe(
      'postgresql://alex:********@ep-cool-darkness-123456.us-east-2.aws.neon.tech/dbname?sslmode=require',
    );
  });
  it('masks passwords with special characters', () => {
    expect(redactConnectionUri('postgres://u:p%40ss%2Fw@h:5432/db')).toBe('postgres://u:********@h:5432/db');
  });
  it('leaves URIs without a password alone', () => {
    expect(redactConnectionUri('postgresql://alex@host/db')).toBe('postgresql://alex@host/db');
  });
  it('masks URIs inside text that is not a URI', () => {
    expect(redactConnectionUri('dsn is postgresql://a:secret@h/db ok')).toBe('dsn is postgresql://a:********@h/db ok');
  });
});

describe('createScrubber', () => {
  it('removes the key, bearer tokens and URI passwords', () => {
    const scrub = createScrubber(KEY);
    expect(scrub(`key=${KEY} Authorization: Bearer other-token postgres://u:pw@h/d`)).toBe(
      'key=[REDACTED] Authorization: Bearer [REDACTED] postgres://u:********@h/d',
    );
  });
});

/** Every way an error is commonly looked at. */
function renderings(err: unknown): string[] {
  const e = err as Error;
  return [String(e.message), String(e.stack), JSON.stringify(err), inspect(err, { depth: 10 }), String(err)];
}

async function caught(steps: Step[], run: (neon: ReturnType<typeof createNeonClient>) => Promise<unknown>, timeoutMs = 30_000) {
  const { fetch } = scriptedFetch(steps);
  const clock = fakeClock();
  const neon = createNeonClient({ apiKey: KEY, fetch, sleep: clock.sleep, now: clock.now, timeoutMs, retry: { maxAttempts: 2 } });
  try {
    await run(neon);
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('the API key never leaks', () => {
  const leaky = new Error(`request to https://console.neon.tech failed, headers {"Authorization":"Bearer ${KEY}"}`, {
    cause: Object.assign(new Error(`inner ${KEY}`), { code: 'ECONNRESET', key: KEY }),
  });
  const cases: [string, Step[], (neon: ReturnType<typeof createNeonClient>) => Promise<unknown>, number?][] = [
    ['fetch throws with the key in message and cause (GET)', [{ throw: leaky }], (n) => n.getProject('p-1')],
    ['fetch throws with the key (POST, outcome unknown)', [{ throw: leaky }], (n) => n.createBranch('p-1')],
    ['fetch throws a string with the key', [{ throw: `Bearer ${KEY}` }], (n) => n.getProject('p-1')],
    ['Neon echoes the key in its message', [{ status: 401, body: neonError(`invalid key ${KEY}`) }], (n) => n.listApiKeys()],
    ['429 exhausted', [{ status: 429, body: neonError('slow') }], (n) => n.getProject('p-1')],
    ['timeout', ['hang'], (n) => n.getProject('p-1'), 5],
    ['500', [{ status: 500, body: neonError('oops') }], (n) => n.deleteProject('p-1')],
  ];
  it.each(cases)('%s', async (_name, steps, run, timeoutMs) => {
    const err = await caught(steps, run, timeoutMs);
    for (const text of renderings(err)) expect(text).not.toContain(KEY);
  });

  it('is not visible on the client object', () => {
    const neon = createNeonClient({ apiKey: KEY });
    expect(inspect(neon, { depth: 5, showHidden: true })).not.toContain(KEY);
    expect(JSON.stringify(neon) ?? '').not.toContain(KEY);
  });
});
