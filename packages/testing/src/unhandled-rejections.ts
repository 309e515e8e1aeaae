import { onTestFinished } from 'vitest';

/**
 * Every unhandled rejection while the calling test runs, as messages (vitest would report one
 * after the fact, against whichever test ran then). For tests that a close cut short leaves
 * nothing behind (BullMQ's handshake, taskforcesh/bullmq#3546): wait until the connections have
 * ended, then expect `[]`.
 */
export function recordUnhandledRejections(): { messages(): string[] } {
  const seen: unknown[] = [];
  const record = (reason: unknown): void => void seen.push(reason);
  process.on('unhandledRejection', record);
  onTestFinished(() => void process.off('unhandledRejection', record));
  return { messages: () => seen.map((r) => (r instanceof Error ? r.message : String(r))) };
}
