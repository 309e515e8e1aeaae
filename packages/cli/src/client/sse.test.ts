import { describe, expect, it } from 'vitest';
import { parseEventStream, type SseMessage } from './sse.js';

async function parse(chunks: (string | Uint8Array)[]): Promise<SseMessage[]> {
  async function* body(): AsyncGenerator<Uint8Array> {
    for (const c of chunks) yield typeof c === 'string' ? new TextEncoder().encode(c) : c;
  }
  const out: SseMessage[] = [];
  for await (const m of parseEventStream(body())) out.push(m);
  return out;
}

describe('parseEventStream', () => {
  it('reads what the API sends: retry, progress with id, heartbeat comments, end', async () => {
    const messages = await parse(['retry: 2000\n\n', 'id: 10\nevent: progress\ndata: {"a":1}\n\n', ': keep-alive\n\n', 'id: 12\nevent: end\ndata: {"a":2}\n\n']);
    expect(messages).toEqual([
      { event: 'progress', data: '{"a":1}', lastEventId: '10', retryMs: 2000 },
      { event: 'end', data: '{"a":2}', lastEventId: '12', retryMs: 2000 },
    ]);
  });

  it('handles lines split anywhere across chunks, CRLF split between chunks, CR alone, and a UTF-8 character split in two', async () => {
    const bytes = new TextEncoder().encode('data: ✓ done\r\n\r\n');
    const messages = await parse(['\uFEFFev', 'ent: progress\r', '\nid: 1\rdata: one\r\n', 'data: two\r', '\r', bytes.slice(0, 7), bytes.slice(7)]);
    expect(messages).toEqual([
      { event: 'progress', data: 'one\ntwo', lastEventId: '1', retryMs: undefined },
      { event: 'message', data: '✓ done', lastEventId: '1', retryMs: undefined },
    ]);
  });

  it('keeps the last id across events, ignores ids with NUL, unknown fields and events without data; drops an unfinished last event', async () => {
    const messages = await parse(['id: 5\nevent: progress\nfoo: bar\n\n', 'id: 6\n\n', 'data\n\n', 'id: 7\u0000x\ndata: x\n\n', 'event: progress\ndata: cut']);
    expect(messages).toEqual([
      { event: 'message', data: '', lastEventId: '6', retryMs: undefined },
      { event: 'message', data: 'x', lastEventId: '6', retryMs: undefined },
    ]);
  });

  it('takes the value after one optional space only, and a non-numeric retry not at all', async () => {
    const messages = await parse(['retry: soon\ndata:  two spaces\n\n', 'data:none\n\n']);
    expect(messages.map((m) => [m.data, m.retryMs])).toEqual([
      [' two spaces', undefined],
      ['none', undefined],
    ]);
  });
});
