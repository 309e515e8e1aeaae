import type { Logger } from 'pino';
import { ProjectLock, ProjectLockLostError, type LockAttempt } from '../project-lock.js';
import type { NeonGuard } from './neon-guard.js';

export interface RunLockOptions {
  lock: ProjectLock;
  projectId: string;
  intentId: string;
  /** The token the intent's checkpoint names: the lock an earlier run held when it saved. */
  previous: string | undefined;
  /** Clock in ms (for "the lock must have expired by now" when Redis does not answer). */
  now: () => number;
  log: Logger;
}

/**
 * The project lock as one job run of an intent holds it. The intent is the holder; this run
 * has a token of its own (`ProjectLock.newToken`), and takes the lock over from the token
 * its checkpoint names, because that is the lock the intent held when its last run saved.
 * A run that was not checkpointed with the lock is not trusted with it: a process that
 * stalled (its job was given to another run) keeps its old token, which the new run
 * replaced, so it can no longer renew, release or pass {@link assertHeld}.
 *
 * The token does not survive into the next run on purpose: if it did, a stale process and
 * the run that replaced it would share it and both pass every check.
 */
export class RunLock {
  /** This run's fencing token. */
  readonly token: string;
  /** The token the checkpoint must carry: this run's while it holds the lock, else an earlier run's not yet taken over, or none. */
  checkpointToken: string | undefined;
  private held = false;

  constructor(private readonly options: RunLockOptions) {
    this.token = ProjectLock.newToken(options.intentId);
    this.checkpointToken = options.previous;
  }

  /** Whether this run holds the lock (as far as it knows). */
  get holds(): boolean {
    return this.held;
  }

  /** Takes the lock (or renews it); `changed` when the checkpoint now has to carry a new token. */
  async acquire(): Promise<{ attempt: LockAttempt; changed: boolean }> {
    const { lock, projectId } = this.options;
    const attempt = await lock.acquire(projectId, this.token, { previous: this.checkpointToken });
    if (!attempt.acquired) return { attempt, changed: false };
    const changed = this.checkpointToken !== this.token;
    this.held = true;
    this.checkpointToken = this.token;
    return { attempt, changed };
  }

  /**
   * Renews the lock for `ttlMs` (default the lock's TTL) when this run holds it or the
   * checkpoint names an earlier run's token (taken over). Never takes a free lock: used
   * while waiting on operations, which needs no exclusivity, only to keep it.
   */
  async renew(ttlMs?: number): Promise<boolean> {
    if (!this.checkpointToken) return false;
    const { lock, projectId } = this.options;
    this.held = await lock.extend(projectId, this.token, { previous: this.checkpointToken, ...(ttlMs === undefined ? {} : { ttlMs }) });
    this.checkpointToken = this.held ? this.token : undefined;
    return this.held;
  }

  /** Throws `ProjectLockLostError` unless this run holds the lock right now. */
  async assertHeld(): Promise<void> {
    const { lock, projectId } = this.options;
    try {
      await lock.assertHeld(projectId, this.token);
    } catch (err) {
      if (err instanceof ProjectLockLostError) this.lost();
      throw err;
    }
  }

  /**
   * Releases the lock (this run's, or the earlier run's its checkpoint names, which is the
   * intent's as well) and returns the longest waiter to wake, if it was released.
   */
  async release(): Promise<string | undefined> {
    const token = this.held ? this.token : this.checkpointToken;
    this.held = false;
    this.checkpointToken = undefined;
    if (!token) return undefined;
    const { next } = await this.options.lock.release(this.options.projectId, token);
    return next;
  }

  /**
   * Runs `work` (a mutating step) while renewing the lock every TTL/3, including time the
   * step's Neon calls spend in the shared rate budget. When a renewal finds the lock gone
   * (expired or taken) — or Redis has not confirmed it for a whole TTL — the guard's signal
   * aborts: the step's calls stop (a wait in the budget, a backoff, a request in flight) and
   * `hold` throws `ProjectLockLostError`, whatever the step returned or threw.
   */
  async hold<T>(work: (guard: NeonGuard) => Promise<T>): Promise<T> {
    const { lock, projectId, now, log } = this.options;
    const controller = new AbortController();
    const lose = (): void => {
      if (!controller.signal.aborted) controller.abort(new ProjectLockLostError(projectId, this.token));
      this.lost();
    };
    let renewedAt = now();
    let renewing = false;
    let running = true;
    const beat = (): void => {
      if (controller.signal.aborted) return;
      // Unconfirmed for a whole TTL (Redis failing, or so slow that a renewal hangs): it may have expired.
      if (now() - renewedAt >= lock.ttlMs) return lose();
      if (renewing) return;
      renewing = true;
      // The renewed TTL runs from when Redis ran the script, at or after this moment.
      const sentAt = now();
      lock
        .extend(projectId, this.token)
        .then(
          // A late answer after the step ended changes nothing (the run may hold the lock for its next step).
          (held) => running && (held ? void (renewedAt = sentAt) : lose()),
          (err: unknown) => {
            log.warn({ err: { message: err instanceof Error ? err.message : String(err) }, projectId }, 'project lock renewal failed');
          },
        )
        .finally(() => {
          renewing = false;
        });
    };
    const timer = setInterval(beat, Math.max(10, Math.floor(lock.ttlMs / 3)));
    const guard: NeonGuard = {
      signal: controller.signal,
      beforeWrite: () => this.assertHeld().catch((err: unknown) => {
        if (err instanceof ProjectLockLostError) lose();
        throw err;
      }),
    };
    try {
      const result = await work(guard);
      controller.signal.throwIfAborted();
      return result;
    } catch (err) {
      // The step's own error (often the abort itself) matters less than the lost lock: nothing of it is recorded.
      if (controller.signal.aborted) throw controller.signal.reason;
      throw err;
    } finally {
      running = false;
      clearInterval(timer);
    }
  }

  private lost(): void {
    this.held = false;
    this.checkpointToken = undefined;
  }
}
