import type { EndpointRecord } from './records.js';

/**
 * Which computes auto-suspend has to look at, so the per-request tick does not visit every
 * endpoint in the simulator. A compute is either `starting` (it has a start or other change
 * in flight: checked on every tick, and there are at most as many as pending operations) or
 * settled `active` and filed under its suspend deadline in a min-heap (checked when the
 * deadline comes). Heap entries are never removed early; an entry whose deadline no longer
 * matches `deadlines` is stale and skipped when it surfaces.
 */
export class SuspendWatch {
  /** Computes whose state may still change by an operation; rechecked every tick. */
  readonly starting = new Set<EndpointRecord>();
  private readonly deadlines = new Map<EndpointRecord, number>();
  private heap: Array<{ ep: EndpointRecord; at: number }> = [];

  /** Recheck `ep` from the next tick on (a start was scheduled or its timeout changed). */
  watch(ep: EndpointRecord): void {
    this.deadlines.delete(ep);
    this.starting.add(ep);
  }

  /** Files a settled active compute under its suspend deadline. */
  schedule(ep: EndpointRecord, at: number): void {
    this.starting.delete(ep);
    this.deadlines.set(ep, at);
    this.push({ ep, at });
  }

  /** Stops watching `ep` (deleted, idle, or never suspends) until `watch` is called again. */
  forget(ep: EndpointRecord): void {
    this.starting.delete(ep);
    this.deadlines.delete(ep);
  }

  /** Removes and returns the computes whose deadline is at or before `now`. */
  takeDue(now: number): EndpointRecord[] {
    const due: EndpointRecord[] = [];
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > now) break;
      this.pop();
      if (this.deadlines.get(top.ep) !== top.at) continue; // stale entry
      this.deadlines.delete(top.ep);
      due.push(top.ep);
    }
    return due;
  }

  /** Computes watched in any way (for tests). */
  size(): number {
    return this.starting.size + this.deadlines.size;
  }

  clear(): void {
    this.starting.clear();
    this.deadlines.clear();
    this.heap = [];
  }

  private push(entry: { ep: EndpointRecord; at: number }): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (!p || p.at <= entry.at) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (!last || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      let smallestAt = last.at;
      const l = heap[left];
      const r = heap[right];
      if (l && l.at < smallestAt) {
        smallest = left;
        smallestAt = l.at;
      }
      if (r && r.at < smallestAt) smallest = right;
      if (smallest === i) break;
      const child = heap[smallest];
      if (!child) break;
      heap[i] = child;
      i = smallest;
    }
    heap[i] = last;
  }
}
