import { describe, expect, it } from 'vitest';
import type { IntentView } from '../client/schemas.js';
import { duration, ProgressRenderer } from './progress.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

function view(status: string, steps: IntentView['steps'], extra: Partial<IntentView> = {}): IntentView {
  return { id: 'int_1', kind: 'branch.create', status, steps, createdAt: at(0), ...extra };
}

describe('ProgressRenderer (plain lines, as in CI)', () => {
  it('prints a line when a step starts, retries and ends, each once, and the intent’s end', () => {
    let out = '';
    const r = new ProgressRenderer({ write: (s: string) => (out += s) }, { tty: false });
    r.update(view('queued', [{ name: 'create_branch', status: 'pending', attempts: 0 }]));
    r.update(view('running', [{ name: 'create_branch', status: 'running', attempts: 1, startedAt: at(1) }]));
    r.update(view('waiting', [{ name: 'create_branch', status: 'waiting', attempts: 1, startedAt: at(1) }]));
    r.update(view('running', [{ name: 'create_branch', status: 'running', attempts: 2, startedAt: at(1), error: { code: 'neon_locked', message: 'locked' } }]));
    r.update(view('running', [{ name: 'create_branch', status: 'succeeded', attempts: 2, startedAt: at(1), finishedAt: at(4) }, { name: 'create_role', status: 'skipped', attempts: 0 }]));
    const end = view('succeeded', [{ name: 'create_branch', status: 'succeeded', attempts: 2, startedAt: at(1), finishedAt: at(4) }, { name: 'create_role', status: 'skipped', attempts: 0 }], {
      startedAt: at(1),
      finishedAt: at(5),
    });
    r.update(end);
    r.update(end);
    r.finish();
    expect(out).toBe(
      [
        'intent int_1 (branch.create): queued',
        '… create_branch started (attempt 1)',
        '↻ create_branch retrying (attempt 2) after neon_locked',
        '✓ create_branch 3.0s, 2 attempts',
        '- create_role skipped',
        '✓ intent int_1 succeeded in 4.0s',
        '',
      ].join('\n'),
    );
  });

  it('says which step failed and why', () => {
    let out = '';
    const r = new ProgressRenderer({ write: (s: string) => (out += s) }, { tty: false });
    r.update(
      view('failed', [{ name: 'create_branch', status: 'failed', attempts: 3, startedAt: at(0), finishedAt: at(75), error: { code: 'neon_operation_failed', message: 'boom' } }], {
        error: { code: 'neon_operation_failed', message: 'boom' },
        startedAt: at(0),
        finishedAt: at(75),
      }),
    );
    expect(out).toContain('✗ create_branch failed after 1m15s, 3 attempts: neon_operation_failed: boom\n');
    expect(out).toContain('✗ intent int_1 failed in 1m15s: neon_operation_failed: boom\n');
  });
});

describe('duration', () => {
  it('formats seconds with a tenth below a minute, minutes and seconds above, nothing without both ends', () => {
    expect(duration(at(0), at(0))).toBe('0.0s');
    expect(duration(at(0), at(59))).toBe('59.0s');
    expect(duration(at(0), at(125))).toBe('2m05s');
    expect(duration(undefined, at(1))).toBeUndefined();
    expect(duration(at(5), at(1))).toBe('0.0s');
  });
});
