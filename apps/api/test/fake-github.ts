import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call the fake received. */
export interface GitHubCall {
  method: string;
  /** Path without the API base and query. */
  path: string;
  body: Record<string, unknown> | undefined;
  status: number;
}

export interface FakeGitHub {
  /** The API base, GitHub Enterprise style (`http://127.0.0.1:<port>/api/v3`). */
  url: string;
  calls: GitHubCall[];
  /** Every comment per `owner/repo#n`, as it stands. */
  comments: Map<string, Array<{ id: number; body: string }>>;
  /** The latest status per `sha` and context. */
  statuses: Map<string, { state: string; description: string }>;
  /** Pull requests `GET /repositories/{id}/pulls/{n}` answers, by `<id>#<n>` (others: 404). */
  pulls: Map<string, { state: 'open' | 'closed'; updated_at: string }>;
  /** The next `count` calls answer `status` (e.g. 502, 401). */
  failNext(count: number, status: number): void;
  close(): Promise<void>;
}

/**
 * A local stand-in for GitHub's REST API (statuses, issue comments, pulls) on loopback: it
 * records every call, answers 401 to any request without `Authorization: Bearer <token>`,
 * and can fail the next calls on demand.
 */
export async function startFakeGitHub(token: string): Promise<FakeGitHub> {
  const calls: GitHubCall[] = [];
  const comments = new Map<string, Array<{ id: number; body: string }>>();
  const statuses = new Map<string, { state: string; description: string }>();
  const pulls = new Map<string, { state: 'open' | 'closed'; updated_at: string }>();
  let failures: { count: number; status: number } = { count: 0, status: 500 };
  let nextId = 1000;

  const route = (method: string, path: string, query: URLSearchParams, body: Record<string, unknown> | undefined): [number, unknown] => {
    let m = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([0-9a-f]+)$/.exec(path);
    if (m && method === 'POST') {
      statuses.set(`${m[3]}:${String(body?.context)}`, { state: String(body?.state), description: String(body?.description) });
      return [201, { id: nextId++ }];
    }
    m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path);
    if (m) {
      const key = `${m[1]}/${m[2]}#${m[3]}`.toLowerCase();
      const list = comments.get(key) ?? [];
      if (method === 'GET') {
        const page = Number(query.get('page') ?? '1');
        const per = Number(query.get('per_page') ?? '30');
        return [200, list.slice((page - 1) * per, page * per)];
      }
      if (method === 'POST') {
        const comment = { id: nextId++, body: String(body?.body) };
        comments.set(key, [...list, comment]);
        return [201, comment];
      }
    }
    m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(path);
    if (m && method === 'PATCH') {
      for (const list of comments.values()) {
        const found = list.find((c) => c.id === Number(m![3]));
        if (found) {
          found.body = String(body?.body);
          return [200, found];
        }
      }
      return [404, { message: 'Not Found' }];
    }
    m = /^\/repositories\/(\d+)\/pulls\/(\d+)$/.exec(path);
    if (m && method === 'GET') {
      const pull = pulls.get(`${m[1]}#${m[2]}`);
      return pull ? [200, { number: Number(m[2]), ...pull }] : [404, { message: 'Not Found' }];
    }
    return [404, { message: 'Not Found' }];
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const path = url.pathname.replace(/^\/api\/v3/, '');
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      const method = req.method ?? 'GET';
      let status: number;
      let answer: unknown;
      if (req.headers.authorization !== `Bearer ${token}`) [status, answer] = [401, { message: 'Bad credentials' }];
      else if (failures.count > 0) {
        failures.count--;
        [status, answer] = [failures.status, { message: 'injected' }];
      } else [status, answer] = route(method, path, url.searchParams, body);
      calls.push({ method, path, body, status });
      res.writeHead(status, { 'content-type': 'application/json', 'x-github-request-id': `req-${calls.length}` });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v3`,
    calls,
    comments,
    statuses,
    pulls,
    failNext(count, status) {
      failures = { count, status };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
