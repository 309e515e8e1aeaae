/** What {@link closeWithGrace} needs of the process (injectable for tests). */
export interface ProcessLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  exit(code: number): void;
}

export interface CloseWithGraceOptions {
  /** Stops the process's work and releases its connections. */
  close: () => Promise<void>;
  /** Where the shutdown is told. */
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Longest wait for `close`, in ms; then the process exits 1 anyway. */
  timeoutMs: number;
  /** Signals that start a graceful stop. Default `['SIGTERM', 'SIGINT']`. */
  signals?: readonly string[];
  /** Default the real `process`. */
  process?: ProcessLike;
}

/**
 * Graceful shutdown for a process (like `close-with-grace`): the first SIGTERM/SIGINT runs
 * `close` and exits 0 when it is done (1 if it failed); a second signal, or `close` taking
 * longer than `timeoutMs`, exits 1 at once, so an orchestrator's stop never hangs on a
 * connection that will not close. An uncaught exception or unhandled rejection is logged and
 * closes the same way with exit code 1. Returns a function that removes the handlers.
 */
export function closeWithGrace(options: CloseWithGraceOptions): () => void {
  const proc = options.process ?? (process as unknown as ProcessLike);
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let closing = false;
  const stop = (reason: Record<string, unknown>, code: 0 | 1): void => {
    if (closing) {
      options.log.error(reason, 'second stop request: exiting now');
      proc.exit(1);
      return;
    }
    closing = true;
    options.log.info({ ...reason, timeoutMs: options.timeoutMs }, 'shutting down');
    const timer = setTimeout(() => {
      options.log.error({ timeoutMs: options.timeoutMs }, 'shutdown took too long: exiting now');
      proc.exit(1);
    }, options.timeoutMs);
    timer.unref();
    options.close().then(
      () => {
        clearTimeout(timer);
        proc.exit(code);
      },
      (err: unknown) => {
        clearTimeout(timer);
        options.log.error({ err: { message: err instanceof Error ? err.message : String(err) } }, 'shutdown failed');
        proc.exit(1);
      },
    );
  };
  const onSignal = (signal: unknown): void => stop({ signal: String(signal) }, 0);
  const onCrash = (err: unknown): void => {
    options.log.error({ err: { message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined } }, 'uncaught error');
    stop({ crash: true }, 1);
  };
  for (const signal of signals) proc.on(signal, onSignal);
  proc.on('uncaughtException', onCrash);
  proc.on('unhandledRejection', onCrash);
  return () => {
    for (const signal of signals) proc.off(signal, onSignal);
    proc.off('uncaughtException', onCrash);
    proc.off('unhandledRejection', onCrash);
  };
}
