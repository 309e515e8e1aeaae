import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { waitUntil } from '@neonops/testing';
import { closeWithGrace } from './shutdown.js';

/** A process stand-in: signals are events, `exit` records its code. */
function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  return { emitter, exits, proc: { on: emitter.on.bind(emitter), off: emitter.off.bind(emitter), exit: (code: number) => void exits.push(code) } };
}

const silent = { info: () => undefined, error: () => undefined };

describe('closeWithGrace', () => {
  it('closes on SIGTERM and exits 0 once closed', async () => {
    const p = fakeProcess();
    let closed = 0;
    closeWithGrace({ close: async () => void closed++, log: silent, timeoutMs: 10_000, process: p.proc });
    p.emitter.emit('SIGTERM', 'SIGTERM');
    await waitUntil(() => p.exits.length > 0);
    expect(closed).toBe(1);
    expect(p.exits).toEqual([0]);
  });

  it('a second signal exits 1 at once while close hangs; close is started only once', async () => {
    const p = fakeProcess();
    let started = 0;
    closeWithGrace({ close: () => (started++, new Promise<void>(() => undefined)), log: silent, timeoutMs: 60_000, process: p.proc });
    p.emitter.emit('SIGINT', 'SIGINT');
    p.emitter.emit('SIGTERM', 'SIGTERM');
    expect(started).toBe(1);
    expect(p.exits).toEqual([1]);
  });

  it('exits 1 when close fails, and when it outlasts the timeout', async () => {
    const failing = fakeProcess();
    closeWithGrace({ close: () => Promise.reject(new Error('quit failed')), log: silent, timeoutMs: 10_000, process: failing.proc });
    failing.emitter.emit('SIGTERM', 'SIGTERM');
    await waitUntil(() => failing.exits.length > 0);
    expect(failing.exits).toEqual([1]);

    const hanging = fakeProcess();
    closeWithGrace({ close: () => new Promise<void>(() => undefined), log: silent, timeoutMs: 1, process: hanging.proc });
    hanging.emitter.emit('SIGTERM', 'SIGTERM');
    await waitUntil(() => hanging.exits.length > 0);
    expect(hanging.exits).toEqual([1]);
  });

  it('an uncaught error is logged and closes with exit 1; the returned function removes the handlers', async () => {
    const p = fakeProcess();
    const errors: string[] = [];
    const remove = closeWithGrace({ close: async () => undefined, log: { info: () => undefined, error: (_o, msg) => void errors.push(msg) }, timeoutMs: 10_000, process: p.proc });
    p.emitter.emit('unhandledRejection', new Error('boom'));
    await waitUntil(() => p.exits.length > 0);
    expect(p.exits).toEqual([1]);
    expect(errors).toContain('uncaught error');
    remove();
    expect(p.emitter.listenerCount('SIGTERM')).toBe(0);
    expect(p.emitter.listenerCount('unhandledRejection')).toBe(0);
  });
});
