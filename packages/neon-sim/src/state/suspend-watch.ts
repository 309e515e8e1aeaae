import { DeadlineHeap } from './deadline-heap.js';
import type { EndpointRecord } from './records.js';

/**
 * Which computes auto-suspend has to look at, so the per-request tick does not visit every
 * endpoint in the simulator. A compute is either `starting` (it has a start or other change
 * in flight: checked on every tick, and there are at most as many as pending operations) or
 * settled `active` and filed under its suspend deadline (checked when the deadline comes).
 */
export class SuspendWatch {
  /** Computes whose state may still change by an operation; rechecked every tick. */
  readonly starting = new Set<EndpointRecord>();
  private readonly byDeadline = new DeadlineHeap<EndpointRecord>();

  /** Recheck `ep` from the next tick on (a start was scheduled or its timeout changed). */
  watch(ep: EndpointRecord): void {
    this.byDeadline.forget(ep);
    this.starting.add(ep);
  }

  /** Files a settled active compute under its suspend deadline. */
  schedule(ep: EndpointRecord, at: number): void {
    this.starting.delete(ep);
    this.byDeadline.schedule(ep, at);
  }

  /** Stops watching `ep` (deleted, idle, or never suspends) until `watch` is called again. */
  forget(ep: EndpointRecord): void {
    this.starting.delete(ep);
    this.byDeadline.forget(ep);
  }

  /** Removes and returns the computes whose deadline is at or before `now`. */
  takeDue(now: number): EndpointRecord[] {
    return this.byDeadline.takeDue(now);
  }

  /** Computes watched in any way (for tests). */
  size(): number {
    return this.starting.size + this.byDeadline.size;
  }

  clear(): void {
    this.starting.clear();
    this.byDeadline.clear();
  }
}
