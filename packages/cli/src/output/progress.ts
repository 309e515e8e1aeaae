import type { IntentStep, IntentView } from '../client/schemas.js';
import { isTerminal } from '../client/schemas.js';
import { systemClock, type Clock } from '../clock.js';

/** Where text goes: `process.stdout`/`process.stderr`, or a test's collector. */
export interface Output {
  write(chunk: string): unknown;
  /** A terminal: a spinner line is redrawn in place; otherwise (CI logs) plain lines only. */
  isTTY?: boolean;
  columns?: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\x1b[2K';

export interface ProgressOptions {
  /** Redraw a spinner line (default: `out.isTTY`). */
  tty?: boolean;
  /** Spinner frame interval in ms. Default 100. */
  frameMs?: number;
  clock?: Clock;
}

/**
 * Shows an intent's progress from successive views: one line per step when it starts,
 * retries and ends (✓ succeeded, ✗ failed, - skipped, with attempts and durations), and,
 * on a terminal, a spinner line for the step Neon is working on, redrawn in place. Plain
 * lines only when the output is not a terminal (CI logs).
 */
export class ProgressRenderer {
  private readonly tty: boolean;
  private readonly clock: Clock;
  private readonly steps = new Map<string, { status: string; attempts: number }>();
  private view: IntentView | undefined;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;
  private statusShown = false;
  private ended = false;

  constructor(
    private readonly out: Output,
    options: ProgressOptions = {},
  ) {
    this.tty = options.tty ?? out.isTTY === true;
    this.clock = options.clock ?? systemClock;
    if (this.tty) {
      this.timer = setInterval(() => this.drawStatus(), options.frameMs ?? 100);
      this.timer.unref();
    }
  }

  update(view: IntentView): void {
    const first = this.view === undefined;
    this.view = view;
    if (first) this.line(`intent ${view.id} (${view.kind}): ${view.status}`);
    for (const step of view.steps) this.stepChanged(step);
    if (isTerminal(view)) this.finish();
    else this.drawStatus();
  }

  /** Stops the spinner and prints the intent's end (once), when it ended. */
  finish(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clearStatus();
    const view = this.view;
    if (!view || !isTerminal(view) || this.ended) return;
    this.ended = true;
    const took = duration(view.startedAt ?? view.createdAt, view.finishedAt);
    const mark = view.status === 'succeeded' ? '✓' : '✗';
    const why = view.error ? `: ${view.error.code}: ${view.error.message}` : '';
    this.out.write(`${mark} intent ${view.id} ${view.status}${took ? ` in ${took}` : ''}${why}\n`);
  }

  private stepChanged(step: IntentStep): void {
    const before = this.steps.get(step.name);
    if (before && before.status === step.status && before.attempts === step.attempts) return;
    this.steps.set(step.name, { status: step.status, attempts: step.attempts });
    const attempts = step.attempts > 1 ? `, ${step.attempts} attempts` : '';
    const took = duration(step.startedAt, step.finishedAt);
    switch (step.status) {
      case 'succeeded':
        this.line(`✓ ${step.name}${took ? ` ${took}` : ''}${attempts}`);
        return;
      case 'failed':
        this.line(`✗ ${step.name} failed${took ? ` after ${took}` : ''}${attempts}${step.error ? `: ${step.error.code}: ${step.error.message}` : ''}`);
        return;
      case 'skipped':
        this.line(`- ${step.name} skipped`);
        return;
      case 'pending':
        return;
      default: {
        const active = before !== undefined && before.status !== 'pending';
        if (active && before.attempts === step.attempts) return; // running ⇄ waiting: the spinner shows it
        if (this.tty && !(active && step.attempts > before.attempts)) return;
        const retry = active && step.attempts > before.attempts;
        const lastError = retry && step.error ? ` after ${step.error.code}` : '';
        this.line(`${retry ? '↻' : '…'} ${step.name} ${retry ? 'retrying' : 'started'} (attempt ${Math.max(1, step.attempts)})${lastError}`);
      }
    }
  }

  /** A permanent line; on a terminal the spinner line is cleared first and redrawn after. */
  private line(text: string): void {
    this.clearStatus();
    this.out.write(`${text}\n`);
    this.drawStatus();
  }

  private clearStatus(): void {
    if (this.tty && this.statusShown) this.out.write(CLEAR_LINE);
    this.statusShown = false;
  }

  private drawStatus(): void {
    const view = this.view;
    if (!this.tty || !this.timer || !view || isTerminal(view)) return;
    const active = view.steps.find((s) => s.status === 'running' || s.status === 'waiting');
    const spinner = SPINNER[this.frame++ % SPINNER.length] ?? '';
    let text: string;
    if (active) {
      const what = active.status === 'waiting' ? 'waiting for Neon' : 'running';
      const since = active.startedAt ? duration(active.startedAt, new Date(this.clock.now()).toISOString()) : undefined;
      text = `${spinner} ${active.name} ${what} (attempt ${Math.max(1, active.attempts)}${since ? `, ${since}` : ''})`;
    } else {
      text = `${spinner} ${view.status}`;
    }
    const width = this.out.columns ?? 80;
    this.out.write(`${CLEAR_LINE}${text.slice(0, Math.max(10, width - 1))}`);
    this.statusShown = true;
  }
}

/** `0.4s`, `12.3s`, `2m05s` between two timestamps; undefined when one is missing. */
export function duration(from: string | undefined, to: string | undefined): string | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  if (!Number.isFinite(ms)) return undefined;
  const clamped = Math.max(0, ms);
  if (clamped < 60_000) return `${(clamped / 1000).toFixed(1)}s`;
  const s = Math.round(clamped / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
