import type { FastifyReply } from 'fastify';

/**
 * Runs `wait` with a signal that aborts when the client hangs up (the response's socket
 * closes before an answer), so a long-poll frees what it holds at once.
 */
export async function untilClientGone<T>(reply: FastifyReply, wait: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const gone = new AbortController();
  const onClose = (): void => gone.abort();
  reply.raw.once('close', onClose);
  try {
    return await wait(gone.signal);
  } finally {
    reply.raw.off('close', onClose);
  }
}
