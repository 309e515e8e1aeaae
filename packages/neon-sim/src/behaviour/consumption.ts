import type { Store } from '../state/store.js';

/** Bytes a running read_write compute is taken to write per second (WAL), for plausible growth. */
export const WRITTEN_BYTES_PER_ACTIVE_SECOND = 4096;
/** Bytes a running compute is taken to send to clients per second. */
export const TRANSFER_BYTES_PER_ACTIVE_SECOND = 2048;
/** Size of a new project's root timeline (an empty Postgres cluster). */
export const INITIAL_PROJECT_BYTES = 30 * 1024 * 1024;
/** Size added by `CREATE DATABASE` (template copy). */
export const NEW_DATABASE_BYTES = 7_700_000;

export interface Usage {
  activeSeconds: number;
  /** Compute-unit seconds: active time × the compute size. */
  computeUnitSeconds: number;
  writtenBytes: number;
  transferBytes: number;
}

export interface StorageAt {
  rootBytes: number;
  childBytes: number;
  branches: number;
}

function overlapSeconds(start: number, end: number, from: number, to: number): number {
  const ms = Math.min(end, to) - Math.max(start, from);
  return ms > 0 ? ms / 1000 : 0;
}

/**
 * Per-project usage derived from state: endpoint active intervals (compute, transfer and the
 * WAL they write) and explicit write events (project and database creation, `/_sim/writes`).
 */
export class ConsumptionMeter {
  constructor(private readonly store: Store) {}

  usage(projectId: string, from: number, to: number, now: number, branchId?: string): Usage {
    let activeSeconds = 0;
    let computeUnitSeconds = 0;
    let writtenBytes = 0;
    for (const ep of this.store.allEndpointsOf(projectId)) {
      if (branchId !== undefined && ep.branchId !== branchId) continue;
      for (const interval of ep.activeIntervals) {
        const s = overlapSeconds(interval.start, interval.end ?? now, from, Math.min(to, now));
        activeSeconds += s;
        computeUnitSeconds += s * interval.cu;
        if (ep.type === 'read_write') writtenBytes += s * WRITTEN_BYTES_PER_ACTIVE_SECOND;
      }
    }
    for (const w of this.store.writesOf(projectId)) if ((branchId === undefined || w.branchId === branchId) && w.at >= from && w.at < to) writtenBytes += w.bytes;
    return {
      activeSeconds: Math.round(activeSeconds),
      computeUnitSeconds: Math.round(computeUnitSeconds),
      writtenBytes: Math.round(writtenBytes),
      transferBytes: Math.round(activeSeconds * TRANSFER_BYTES_PER_ACTIVE_SECOND),
    };
  }

  /**
   * One branch's storage at time `at`: its written bytes (write events and WAL of its
   * read_write computes) and whether it is a root branch (no parent: billed as root storage).
   * The project's `storageAt` is the sum of these over its branches alive at `at`.
   */
  branchStorageAt(projectId: string, branchId: string, at: number, now: number): { bytes: number; root: boolean; alive: boolean } {
    const branch = [...this.store.allBranchesOf(projectId)].find((b) => b.id === branchId);
    if (branch === undefined) return { bytes: 0, root: false, alive: false };
    const alive = branch.createdAt <= at && (branch.deletedAt === undefined || branch.deletedAt > at);
    let bytes = 0;
    for (const w of this.store.writesOf(projectId)) if (w.branchId === branchId && w.at <= at) bytes += w.bytes;
    for (const ep of this.store.allEndpointsOf(projectId)) {
      if (ep.type !== 'read_write' || ep.branchId !== branchId) continue;
      for (const interval of ep.activeIntervals) {
        bytes += overlapSeconds(interval.start, interval.end ?? now, 0, Math.min(at, now)) * WRITTEN_BYTES_PER_ACTIVE_SECOND;
      }
    }
    return { bytes: Math.round(bytes), root: branch.parentId === undefined, alive };
  }

  /** Storage split by root (default/parentless) and child branches at time `at`. */
  storageAt(projectId: string, at: number, now: number): StorageAt {
    const rootIds = new Set<string>();
    let branches = 0;
    for (const b of this.store.allBranchesOf(projectId)) {
      if (b.createdAt > at) continue;
      if (b.deletedAt !== undefined && b.deletedAt <= at) continue;
      branches++;
      if (b.parentId === undefined) rootIds.add(b.id);
    }
    let rootBytes = 0;
    let childBytes = 0;
    const add = (branchId: string, bytes: number) => {
      if (rootIds.has(branchId)) rootBytes += bytes;
      else childBytes += bytes;
    };
    for (const w of this.store.writesOf(projectId)) if (w.at <= at) add(w.branchId, w.bytes);
    for (const ep of this.store.allEndpointsOf(projectId)) {
      if (ep.type !== 'read_write') continue;
      for (const interval of ep.activeIntervals) {
        add(ep.branchId, overlapSeconds(interval.start, interval.end ?? now, 0, Math.min(at, now)) * WRITTEN_BYTES_PER_ACTIVE_SECOND);
      }
    }
    return { rootBytes: Math.round(rootBytes), childBytes: Math.round(childBytes), branches };
  }
}
