/** Plain-text table for CLI output: columns sized to content, header underlined. */
export function renderTable(rows: Array<Record<string, string>>): string {
  if (!rows.length) return "(none)\n";
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]) =>
    `${cells
      .map((c, i) => c.padEnd(width[i]!))
      .join("  ")
      .trimEnd()}\n`;
  return (
    line(cols) + line(width.map((w) => "-".repeat(w))) + rows.map((r) => line(cols.map((c) => r[c] ?? ""))).join("")
  );
}
