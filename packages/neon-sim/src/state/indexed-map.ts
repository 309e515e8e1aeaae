/**
 * A `Map` that also groups its values by one or more derived keys (a record's project, its
 * branch), so "the records of project X" costs the size of X's group rather than a scan of
 * every record in the simulator. Groups are kept up to date by `set`, `delete` and `clear`;
 * a caller that changes a record's grouping field in place (moving an endpoint to another
 * branch) calls `regroup(key)` afterwards.
 *
 * Each group iterates in the order of the main map (first insertion of the key, as `Map`
 * does), so a filtered scan of the whole map and a group give the same sequence.
 */
export class IndexedMap<K, V, I extends string> extends Map<K, V> {
  private readonly groupers: Record<I, (value: V) => string>;
  private readonly groups = new Map<I, Map<string, Group<K, V>>>();
  /** Where each group key of each map key was filed, to find it again after an in-place move. */
  private readonly filedUnder = new Map<K, Map<I, string>>();
  /** Insertion position of each key in the main map. */
  private readonly positions = new Map<K, number>();
  private nextPosition = 0;
  /** Values read through `group()`; lets tests show a lookup visits only its own records. */
  visited = 0;

  constructor(groupers: Record<I, (value: V) => string>) {
    super();
    this.groupers = groupers;
    for (const index of Object.keys(groupers) as I[]) this.groups.set(index, new Map());
  }

  override set(key: K, value: V): this {
    // Map's constructor calls set() before our fields exist when given entries; we never pass any.
    if (!this.has(key)) this.positions.set(key, this.nextPosition++);
    super.set(key, value);
    this.file(key, value);
    return this;
  }

  override delete(key: K): boolean {
    if (!this.has(key)) return false;
    this.unfile(key);
    this.positions.delete(key);
    return super.delete(key);
  }

  override clear(): void {
    super.clear();
    for (const byKey of this.groups.values()) byKey.clear();
    this.filedUnder.clear();
    this.positions.clear();
    this.nextPosition = 0;
  }

  /** Re-files `key` after its value's grouping fields changed in place. */
  regroup(key: K): void {
    const value = this.get(key);
    if (value !== undefined) this.file(key, value);
  }

  /** The values whose `index` key is `groupKey`, in main-map order (tombstones included). */
  *group(index: I, groupKey: string): IterableIterator<V> {
    const group = this.groups.get(index)?.get(groupKey);
    if (!group) return;
    for (const value of group.values.values()) {
      this.visited++;
      yield value;
    }
  }

  /** Number of values filed under `groupKey` (tombstones included). */
  groupSize(index: I, groupKey: string): number {
    return this.groups.get(index)?.get(groupKey)?.values.size ?? 0;
  }

  /** The main-map position of `key` (for ordering candidates taken from elsewhere). */
  positionOf(key: K): number {
    return this.positions.get(key) ?? Number.POSITIVE_INFINITY;
  }

  private file(key: K, value: V): void {
    let filed = this.filedUnder.get(key);
    if (!filed) {
      filed = new Map();
      this.filedUnder.set(key, filed);
    }
    for (const index of Object.keys(this.groupers) as I[]) {
      const groupKey = this.groupers[index](value);
      const previous = filed.get(index);
      if (previous !== undefined && previous !== groupKey) this.removeFrom(index, previous, key);
      filed.set(index, groupKey);
      this.addTo(index, groupKey, key, value);
    }
  }

  private unfile(key: K): void {
    const filed = this.filedUnder.get(key);
    if (!filed) return;
    for (const [index, groupKey] of filed) this.removeFrom(index, groupKey, key);
    this.filedUnder.delete(key);
  }

  private addTo(index: I, groupKey: string, key: K, value: V): void {
    const byKey = this.groups.get(index);
    if (!byKey) return;
    let group = byKey.get(groupKey);
    if (!group) {
      group = { values: new Map(), lastPosition: -1 };
      byKey.set(groupKey, group);
    }
    if (group.values.has(key)) {
      group.values.set(key, value); // keeps its place, like Map
      return;
    }
    const position = this.positionOf(key);
    group.values.set(key, value);
    if (position > group.lastPosition) {
      group.lastPosition = position;
      return;
    }
    // A moved record joins a group out of order: re-sort this one group by main-map position.
    const sorted = [...group.values].sort(([a], [b]) => this.positionOf(a) - this.positionOf(b));
    group.values = new Map(sorted);
  }

  private removeFrom(index: I, groupKey: string, key: K): void {
    const byKey = this.groups.get(index);
    const group = byKey?.get(groupKey);
    if (!group) return;
    group.values.delete(key);
    if (group.values.size === 0) byKey?.delete(groupKey);
  }
}

interface Group<K, V> {
  values: Map<K, V>;
  /** Highest main-map position in the group: appends beyond it keep the order for free. */
  lastPosition: number;
}
