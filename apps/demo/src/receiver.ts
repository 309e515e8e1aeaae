import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A webhook that passed `standardwebhooks` verification. */
export interface VerifiedWebhook {
  id: string;
  signatures: number;
  /** When it arrived (ms since epoch). */
  receivedAt: number;
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
}

export interface VerifyingReceiver {
  url: string;
  /** Set once the subscription exists (the secret comes from its creation). */
  setSecret(secret: string): void;
  /** Resolves with the first verified webhook of `type`. */
  next(type: string, timeoutMs: number): Promise<VerifiedWebhook>;
  /** Requests that failed verification. */
  rejected: number;
  close(): Promise<void>;
}

/**
 * The team's side of a webhook: a receiver on 127.0.0.1 that verifies every request with the
 * official `standardwebhooks` package and answers 401 to anything that does not verify.
 */
export async function startVerifyingReceiver(): Promise<VerifyingReceiver> {
  let verifier: Webhook | undefined;
  const verified: VerifiedWebhook[] = [];
  const waiters = new Set<() => void>();
  const state = { rejected: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      try {
        if (!verifier) throw new Error('no secret yet');
        const payload = verifier.verify(body, headers) as VerifiedWebhook['payload'];
        verified.push({ id: headers['webhook-id'] ?? '', receivedAt: Date.now(), signatures: (headers['webhook-signature'] ?? '').split(' ').length, payload });
        res.writeHead(204).end();
        for (const w of waiters) w();
      } catch {
        state.rejected += 1;
        res.writeHead(401).end('signature does not verify');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/neon-webhooks`,
    setSecret(secret) {
      verifier = new Webhook(secret);
    },
    get rejected() {
      return state.rejected;
    },
    next(type, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = verified.find((v) => v.payload.type === type);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no verified ${type} webhook within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
