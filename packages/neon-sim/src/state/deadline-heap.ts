/**
 * Items filed under a deadline, taken out when it comes: a binary min-heap with lazy
 * removal. Re-filing or forgetting an item leaves its old heap entry behind; an entry whose
 * deadline no longer matches `deadlines` is stale and skipped when it surfaces.
 */
export class DeadlineHeap<T> {
  private readonly deadlines = new Map<T, number>();
  private heap: Array<{ item: T; at: number }> = [];

  /** Files `item` under `at`, replacing an earlier deadline. */
  schedule(item: T, at: number): void {
    this.deadlines.set(item, at);
    this.push({ item, at });
  }

  forget(item: T): void {
    this.deadlines.delete(item);
  }

  has(item: T): boolean {
    return this.deadlines.has(item);
  }

  get size(): number {
    return this.deadlines.size;
  }

  /** Removes and returns the items whose deadline is at or before `now`, earliest first. */
  takeDue(now: number): T[] {
    const due: T[] = [];
    for (;;) {
      const top = this.heap[0];
      if (!top || top.at > now) break;
      this.pop();
      if (this.deadlines.get(top.item) !== top.at) continue; // stale entry
      this.deadlines.delete(top.item);
      due.push(top.item);
    }
    return due;
  }

  clear(): void {
    this.deadlines.clear();
    this.heap = [];
  }

  private push(entry: { item: T; at: number }): void {
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
