/** One line of the final table: a part, what was measured, the figure and what it is compared with. */
export interface Row {
  part: string;
  metric: string;
  value: string;
  note?: string;
}

/** Prints rows as an aligned plain-text table (readable in a terminal and in a README). */
export function printTable(title: string, rows: readonly Row[]): void {
  const header: Row = { part: 'part', metric: 'metric', value: 'value', note: 'aim / note' };
  const all = [header, ...rows];
  const width = (key: keyof Row) => Math.max(...all.map((r) => (r[key] ?? '').length));
  const [wp, wm, wv] = [width('part'), width('metric'), width('value')];
  const line = (r: Row) => `${r.part.padEnd(wp)}  ${r.metric.padEnd(wm)}  ${r.value.padStart(wv)}  ${r.note ?? ''}`.trimEnd();
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(`${'-'.repeat(wp)}  ${'-'.repeat(wm)}  ${'-'.repeat(wv)}  ${'-'.repeat(10)}`);
  for (const r of rows) console.log(line(r));
}
