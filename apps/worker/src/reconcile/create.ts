import { NeonConflictError, type NeonClient, type Operation } from '@neonops/neon-client';
import { FailureCodes, IntentFailedError, outcomeUnknown } from '../errors.js';

export type LookupReason = 'resume' | 'unknown' | 'conflict';

/**
 * Ownership of a found resource that carries no mark of its creator (databases, roles): it
 * is ours when an earlier attempt or this one may have created it, and someone else's when
 * a clean first create was refused with 409.
 */
export const oursUnlessCleanConflict = (why: LookupReason, resumed: boolean): boolean => why !== 'conflict' || resumed;

/** A resource found by reconciliation, and whether it is provably ours. */
export interface Found<T> {
  value: T;
  /** False when it exists but was made by someone else (a real conflict). */
  ours: boolean;
}

export interface ReconciledCreate<T, R> {
  /** What the create returned, when this attempt created the resource. */
  created?: R;
  /** The resource found instead (an earlier attempt's create that did reach Neon). */
  found?: T;
}

/**
 * Get-or-create that never creates twice: when an earlier attempt may have sent the create
 * (`resumed`), look the resource up first; record "create started" in the checkpoint right
 * before the POST; after a lost response or a 409, look it up again. Only a resource that
 * is provably ours is adopted; a 409 for someone else's resource fails the intent.
 */
export async function reconcileThenCreate<T, R>(ctx: {
  resumed: boolean;
  beginMutation(): Promise<void>;
  /**
   * Looks the resource up. `why`: `resume` (an earlier attempt may have created it),
   * `unknown` (this attempt's create lost its answer), `conflict` (this attempt got a 409).
   */
  lookup(why: LookupReason): Promise<Found<T> | undefined>;
  create(): Promise<R>;
  what: string;
}): Promise<ReconciledCreate<T, R>> {
  if (ctx.resumed) {
    const found = await ctx.lookup('resume');
    if (found?.ours) return { found: found.value };
    if (found) throw conflict(ctx.what);
  }
  await ctx.beginMutation();
  try {
    return { created: await ctx.create() };
  } catch (err) {
    if (err instanceof NeonConflictError || outcomeUnknown(err)) {
      const found = await ctx.lookup(err instanceof NeonConflictError ? 'conflict' : 'unknown');
      if (found?.ours) return { found: found.value };
      if (found || err instanceof NeonConflictError) throw conflict(ctx.what, err instanceof NeonConflictError ? err : undefined);
    }
    // Still unknown (maybe not visible yet): the next attempt starts `resumed` and looks again.
    throw err;
  }
}

function conflict(what: string, err?: NeonConflictError): IntentFailedError {
  return new IntentFailedError({
    code: FailureCodes.conflict,
    message: `${what} already exists and was not created by this intent`,
    ...(err?.requestId ? { neonRequestId: err.requestId } : {}),
    neonStatus: 409,
  });
}

/**
 * Operations still running for a resource an earlier attempt created (its create response,
 * and so its operation ids, were lost): the most recent page of the project's operations,
 * filtered by branch or endpoint, not yet terminal.
 */
export async function pendingOperationsOf(
  neon: NeonClient,
  projectId: string,
  filter: { branchId?: string; endpointId?: string },
): Promise<Operation[]> {
  const page = await neon.listOperationsPage(projectId, { limit: 100 });
  const terminal = new Set(['finished', 'skipped', 'failed', 'error', 'cancelled']);
  return page.operations.filter(
    (op) =>
      !terminal.has(String(op.status)) &&
      (filter.branchId === undefined || op.branch_id === filter.branchId) &&
      (filter.endpointId === undefined || op.endpoint_id === filter.endpointId),
  );
}
