import { connect } from 'node:net';

export interface RawHttpResponse {
  status: number;
  headers: Record<string, string>;
  /** The parsed JSON body, or `undefined` when there is none. */
  body: unknown;
}

/**
 * Sends one HTTP/1.1 request byte for byte as given (fetch and node:http add or normalise
 * headers such as `Content-Length`; curl `-X POST` without `-d` sends neither
 * `Content-Length` nor `Transfer-Encoding`, and only a raw socket can do the same) and reads
 * the answer until the server closes the connection.
 *
 * `head` holds the request line and headers without `Host` and `Connection`, which are added.
 */
export async function rawHttp(origin: string, head: string[], payload = ''): Promise<RawHttpResponse> {
  const { hostname, port } = new URL(origin);
  const request = [...head, `Host: ${hostname}:${port}`, 'Connection: close', '', ''].join('\r\n') + payload;
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine = '', ...headerLines] = text.slice(0, split).split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  if (headers['transfer-encoding'] === 'chunked') throw new Error('chunked answers are not decoded by rawHttp');
  const raw = text.slice(split + 4);
  return { status, headers, body: raw === '' ? undefined : JSON.parse(raw) };
}
