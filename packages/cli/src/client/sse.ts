/** One dispatched Server-Sent Event. */
export interface SseMessage {
  /** `event:` field; `message` when absent. */
  event: string;
  /** `data:` lines joined with `\n`. */
  data: string;
  /** The stream's last event id after this message (`id:` of this message or an earlier one). */
  lastEventId: string | undefined;
  /** `retry:` asked for this reconnection delay, in ms (the last one seen). */
  retryMs: number | undefined;
}

/**
 * Parses a `text/event-stream` body as the HTML standard's event stream interpretation does:
 * LF, CR or CRLF line ends (also split across chunks), a leading BOM, comments (`:`), `data`
 * lines joined with LF, `id` without NUL, numeric `retry`; an event is dispatched at a blank
 * line, and an unfinished one at the end of the stream is dropped.
 */
export async function* parseEventStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let first = true;
  let event = '';
  let data: string[] = [];
  let hasData = false;
  let lastEventId: string | undefined;
  let retryMs: number | undefined;

  function* takeLines(final: boolean): Generator<string> {
    for (;;) {
      const match = /\r\n|\r|\n/.exec(buffer);
      if (!match) break;
      // A CR at the very end may be the first half of a CRLF split across chunks.
      if (match[0] === '\r' && match.index === buffer.length - 1 && !final) break;
      yield buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
    }
  }

  function* handle(line: string): Generator<SseMessage> {
    if (line === '') {
      if (hasData) yield { event: event || 'message', data: data.join('\n'), lastEventId, retryMs };
      event = '';
      data = [];
      hasData = false;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        event = value;
        break;
      case 'data':
        data.push(value);
        hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) retryMs = Number(value);
        break;
      default:
        break;
    }
  }

  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    if (first && buffer.length > 0) {
      if (buffer.startsWith('\uFEFF')) buffer = buffer.slice(1);
      first = false;
    }
    for (const line of takeLines(false)) yield* handle(line);
  }
  buffer += decoder.decode();
  for (const line of takeLines(true)) yield* handle(line);
}
