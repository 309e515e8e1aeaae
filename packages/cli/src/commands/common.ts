import { UsageError } from '../exit-codes.js';
import { ExitCode } from '../exit-codes.js';
import type { OutputMode } from '../args.js';
import type { IntentView } from '../client/schemas.js';
import type { CliConfig } from '../config.js';
import type { CliContext } from '../context.js';
import { ProgressRenderer, type Output } from '../output/progress.js';

/** `--output github` needs `$GITHUB_OUTPUT`: checked before any request is sent. */
export function checkOutputTarget(mode: OutputMode, config: CliConfig, command: string): void {
  if (mode === 'github' && !config.githubOutput) {
    throw new UsageError('--output github needs $GITHUB_OUTPUT (GitHub Actions sets it in every step)', command);
  }
}

/** The exit code of a terminal intent, with its error on stderr when it did not succeed. */
export function intentExit(ctx: CliContext, view: IntentView): number {
  if (view.status === 'succeeded') return ExitCode.ok;
  const failedStep = view.steps.find((s) => s.status === 'failed');
  const error = view.error ?? failedStep?.error;
  ctx.stderr.write(
    `error: intent ${view.id} ${view.status}${failedStep ? ` at step ${failedStep.name}` : ''}${error ? `: ${error.code}: ${error.message}` : ''}\n`,
  );
  return ExitCode.failed;
}

/** Progress of one intent, then of the next when a preview's latest intent changes. */
export class IntentProgress {
  private renderer: ProgressRenderer | undefined;
  private intentId: string | undefined;

  constructor(
    private readonly out: Output | undefined,
    private readonly ctx: CliContext,
  ) {}

  update(view: IntentView): void {
    if (!this.out) return;
    if (this.intentId !== view.id) {
      this.renderer?.finish();
      this.renderer = new ProgressRenderer(this.out, this.ctx.clock ? { clock: this.ctx.clock } : {});
      this.intentId = view.id;
    }
    this.renderer?.update(view);
  }

  finish(): void {
    this.renderer?.finish();
  }
}

/** Whole seconds, for messages. */
export function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
