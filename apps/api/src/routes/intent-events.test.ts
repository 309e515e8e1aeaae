import { IntentStore, secretContext } from '@neonops/intents';
import { spawnRedisServer, waitUntil } from '@neonops/testing';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import { branchCreate, buildTestApp, type TestApp } from '../../test/helper.js';

/** Listens on loopback (SSE and a client that hangs up need a real socket). */
async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

async function submit(t: TestApp): Promise<string> {
  const res = await t.as('alpha', { method: 'POST', url: '/v1/intents', payload: branchCreate() });
  expect(res.statusCode).toBe(202);
  return res.json<{ id: string }>().id;
}

/** The worker's side of an intent, done by hand: a step starts, then the intent ends. */
function worker(t: TestApp) {
  return new IntentStore(t.redis.connect(), { prefix: t.redis.prefix });
}

/** Reads an SSE stream into parsed messages until it closes. */
async function readEvents(url: string, headers: Record<string, string>, onMessage?: (m: SseMessage) => void): Promise<SseMessage[]> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const messages: SseMessage[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const message: SseMessage = { comment: [] };
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) message.comment.push(line.slice(1).trim());
        else if (line.startsWith('id: ')) message.id = line.slice(4);
        else if (line.startsWith('event: ')) message.event = line.slice(7);
        else if (line.startsWith('data: ')) message.data = JSON.parse(line.slice(6)) as SseMessage['data'];
      }
      messages.push(message);
      onMessage?.(message);
    }
  }
  return messages;
}

interface SseMessage {
  id?: string;
  event?: string;
  data?: { id: string; status: string; steps: { name: string; status: string }[]; secrets?: unknown };
  comment: string[];
}

describe('GET /v1/intents/:id?wait=', () => {
  it('answers as soon as the intent finishes, woken by its change notice', async () => {
    const t = await buildTestApp();
    const id = await submit(t);
    const waiting = t.as('alpha', { method: 'GET', url: `/v1/intents/${id}?wait=60` });
    await waitUntil(() => t.app.intentWatch.size === 1, { what: 'the long-poll follows the intent' });
    const store = worker(t);
    await store.update(id, { status: 'running' }); // a change that is not the end: the wait goes on
    await store.finish(id, 'succeeded', { result: { branch: { id: 'br-1' } } });
    const res = await waiting;
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, status: 'succeeded', result: { branch: { id: 'br-1' } } });
    expect(t.app.intentWatch.size).toBe(0);
  });

  it('answers with the current state when the wait ends, and at once for a finished intent', async () => {
    const t = await buildTestApp();
    const id = await submit(t);
    const started = Date.now();
    const res = await t.as('alpha', { method: 'GET', url: `/v1/intents/${id}?wait=1` });
    expect(res.json()).toMatchObject({ id, status: 'queued' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await worker(t).finish(id, 'cancelled');
    expect((await t.as('alpha', { method: 'GET', url: `/v1/intents/${id}?wait=60` })).json()).toMatchObject({ status: 'cancelled' });
  });

  it('refuses a wait over 60 s, and another team’s intent is 404 without waiting', async () => {
    const t = await buildTestApp();
    const id = await submit(t);
    const tooLong = await t.as('alpha', { method: 'GET', url: `/v1/intents/${id}?wait=61` });
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toMatchObject({ code: 'validation_failed' });
    expect((await t.as('beta', { method: 'GET', url: `/v1/intents/${id}?wait=60` })).statusCode).toBe(404);
    expect(t.app.intentWatch.size).toBe(0);
  });

  it('a client that hangs up frees its wait at once', async () => {
    const t = await buildTestApp();
    const id = await submit(t);
    const base = await listen(t);
    const abort = new AbortController();
    const request = fetch(`${base}/v1/intents/${id}?wait=60`, { headers: { authorization: 'Bearer token-alpha' }, signal: abort.signal });
    await waitUntil(() => t.app.intentWatch.size === 1, { what: 'the long-poll follows the intent' });
    abort.abort();
    await expect(request).rejects.toThrow();
    await waitUntil(() => t.app.intentWatch.size === 0, { what: 'the follower released' });
  });
});

describe('GET /v1/intents/:id/events', () => {
  it('streams the state at once, each change, heartbeats, and ends with the finished intent; no secrets', async () => {
    const t = await buildTestApp({ sseHeartbeatMs: 50 });
    const id = await submit(t);
    const base = await listen(t);
    const store = worker(t);
    let heartbeats = 0;
    const done = readEvents(`${base}/v1/intents/${id}/events`, { authorization: 'Bearer token-alpha' }, async (m) => {
      if (m.comment.includes('keep-alive')) heartbeats++;
    });
    await waitUntil(() => t.app.intentWatch.size === 1, { what: 'the stream follows the intent' });
    await store.update(id, { status: 'running', steps: [{ name: 'create_branch', status: 'running', attempts: 1 }] });
    await waitUntil(() => heartbeats >= 2, { what: 'heartbeats' });
    await store.update(id, { status: 'waiting', steps: [{ name: 'create_branch', status: 'waiting', attempts: 1 }] });
    await store.putSecrets(id, t.secretBox.seal({ connectionUris: [{ uri: 'postgresql://u:pw@h/db' }] }, secretContext.intent(id)));
    await store.finish(id, 'succeeded', { result: { branch: { id: 'br-1' } } });
    const messages = (await done).filter((m) => m.event);
    const events = messages.map((m) => `${m.event} ${m.data?.status}`);
    expect(events[0]).toBe('progress queued');
    expect(events.at(-1)).toBe('end succeeded');
    expect(events).toContain('progress running');
    expect(events).toContain('progress waiting');
    expect(messages.every((m) => m.data?.secrets === undefined)).toBe(true);
    const ids = messages.map((m) => Number(m.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(t.app.intentWatch.size).toBe(0);
  });

  it('resumes after Last-Event-ID without repeating what the client saw; a finished intent ends at once', async () => {
    const t = await buildTestApp();
    const id = await submit(t);
    const base = await listen(t);
    const store = worker(t);
    const first: SseMessage[] = [];
    const abort = new AbortController();
    const firstStream = fetch(`${base}/v1/intents/${id}/events`, { headers: { authorization: 'Bearer token-alpha' }, signal: abort.signal });
    const res = await firstStream;
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const text = new TextDecoder().decode((await reader.read()).value);
    for (const block of text.split('\n\n')) {
      const id = /^id: (\d+)$/m.exec(block)?.[1];
      if (id) first.push({ id, comment: [] });
    }
    abort.abort();
    const lastSeen = first.at(-1)?.id;
    expect(lastSeen).toBeDefined();
    await waitUntil(() => t.app.intentWatch.size === 0, { what: 'the first stream released' });

    const resumed = readEvents(`${base}/v1/intents/${id}/events`, { authorization: 'Bearer token-alpha', 'last-event-id': lastSeen! });
    await waitUntil(() => t.app.intentWatch.size === 1, { what: 'the resumed stream follows the intent' });
    await store.finish(id, 'failed', { error: { code: 'neon_conflict', message: 'x' } });
    const events = (await resumed).filter((m) => m.event).map((m) => `${m.event} ${m.data?.status}`);
    expect(events).toEqual(['end failed']); // the queued state it had seen is not sent again

    const after = (await readEvents(`${base}/v1/intents/${id}/events`, { authorization: 'Bearer token-alpha' })).filter((m) => m.event);
    expect(after.map((m) => m.event)).toEqual(['end']);
  });

  it('another team’s intent is 404 problem+json, not a stream', async () => {
    const t = await buildTestApp();
    const id = await submit(t);
    const res = await t.as('beta', { method: 'GET', url: `/v1/intents/${id}/events` });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(t.app.intentWatch.size).toBe(0);
  });
});

describe('many long-polls of one intent', () => {
  it('200 clients cost Redis nothing while they wait, and all get the end as soon as it happens', { timeout: 60_000 }, async () => {
    // A Redis of its own: its command counter then counts this test's commands only.
    const redis = await spawnRedisServer();
    onTestFinished(() => redis.stop());
    // The managed teams' change check (one GET a second) is the API's only periodic command:
    // pushed out of the measured second, so that the count is the 200 clients' alone.
    const t = await buildTestApp({ redis: { url: redis.url }, teamsRefreshMs: 600_000 });
    const id = await submit(t);
    const admin = new Redis(redis.url);
    onTestFinished(() => void admin.quit());
    const processed = async () => Number(/total_commands_processed:(\d+)/.exec(await admin.info('stats'))?.[1]);

    const polls = Array.from({ length: 200 }, () => t.as('alpha', { method: 'GET', url: `/v1/intents/${id}?wait=60` }));
    await waitUntil(() => t.app.intentWatch.followersOf(id) === 200, { what: '200 long-polls follow the intent' });
    const before = await processed();
    await new Promise((resolve) => setTimeout(resolve, 1000)); // a second of 200 clients waiting
    const during = (await processed()) - before - 1; // less the INFO that reads the counter
    expect(during).toBeLessThanOrEqual(2); // not one per client: 200 clients would make 200 or more

    const atEnd = await processed();
    const ended = Date.now();
    await new IntentStore(admin, { prefix: t.redis.prefix }).finish(id, 'succeeded', { result: { branch: { id: 'br-1' } } });
    const answers = await Promise.all(polls);
    const lastAnswerMs = Date.now() - ended;
    // The finish (a read, its script and the commands inside it) and one shared re-read for all 200, not one per client.
    expect((await processed()) - atEnd - 1).toBeLessThanOrEqual(20);
    expect(answers.every((a) => a.statusCode === 200 && a.json<{ status: string }>().status === 'succeeded')).toBe(true);
    expect(t.app.intentWatch.followersOf(id)).toBe(0);
    // A figure, not a pass/fail on time (the machine is shared): printed for the record.
    console.info(`200 long-polls answered ${lastAnswerMs} ms after the intent ended; ${during} Redis commands while they waited 1 s`);
  });
});
