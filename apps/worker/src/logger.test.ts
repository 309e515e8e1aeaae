import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('createLogger', () => {
  it('redacts secrets and params wherever they appear', () => {
    const lines: string[] = [];
    const log = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _e, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    log.info({ params: { name: 'x' }, result: { password: 'hunter2', uri: 'postgresql://u:pw@h/db' }, secrets: { key: 'napi_x' } }, 'm');
    const out = lines.join('');
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('postgresql://');
    expect(out).not.toContain('napi_x');
    expect(out).toContain('[redacted]');
  });
});
