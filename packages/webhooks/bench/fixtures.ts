import http from 'node:http';
import { queuedIntentRecord, type IntentRecord, type IntentStore } from '@neonops/intents';

/** What the webhooks benches share: the intent their deliveries carry, raw POSTs, and publishing as the relay does. */

/**
 * A `branch.create` intent of team `bench`, stored and finished (`succeeded`, with a branch
 * and an endpoint in its result), as the benches' deliveries carry it: the payload a receiver
 * gets is this record.
 */
export async function finishedIntent(intents: IntentStore): Promise<IntentRecord> {
  const record: IntentRecord = {
    ...queuedIntentRecord({ teamId: 'bench', kind: 'branch.create', params: { projectId: 'bench-project-123456', name: 'b' } }),
    steps: [{ name: 'create_branch', status: 'succeeded', attempts: 1 }],
    operationIds: ['op-1', 'op-2'],
  };
  await intents.create(record);
  await intents.finish(record.id, 'succeeded', { result: { branch: { id: 'br-x', name: 'b' }, endpoints: [{ id: 'ep-x', host: 'ep-x.neon.tech' }] } });
  const finished = await intents.get(record.id);
  if (!finished) throw new Error(`the bench intent ${record.id} is gone`);
  return finished;
}

/** One raw POST of `body` to `url` through `agent`: no queue, signature or log; resolves when the answer has been read. */
export function postOnce(url: string, agent: http.Agent, body: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** `count` raw POSTs, `concurrency` at a time (the peer of the dispatcher's deliveries). */
export async function postMany(url: string, agent: http.Agent, body: string, count: number, concurrency: number): Promise<void> {
  let sent = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < count) {
        sent += 1;
        await postOnce(url, agent, body);
      }
    }),
  );
}

/** Publishes the end of each finished intent as the outbox relay does: the events of one read (up to 50) at once. */
export async function publishAsRelay(
  publisher: { publishIntentEnd(event: { teamId: string; intentId: string; status: 'succeeded'; at: Date }): Promise<unknown> },
  records: readonly IntentRecord[],
): Promise<void> {
  for (let i = 0; i < records.length; i += 50) {
    await Promise.all(records.slice(i, i + 50).map((r) => publisher.publishIntentEnd({ teamId: r.teamId, intentId: r.id, status: 'succeeded', at: new Date(r.finishedAt as string) })));
  }
}
