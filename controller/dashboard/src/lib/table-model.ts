/**
 * Filtering, searching and sorting of table rows (the sweep's jobs, the fleet's nodes), kept apart
 * from rendering. Sorting is stable and numeric-aware; search matches any of the given text fields.
 */
export type SortDir = "asc" | "desc";

export interface TableQuery<T> {
  /** field → allowed value ("" or undefined: no filter) */
  filters?: Record<string, string | undefined>;
  search?: string;
  searchIn?: (row: T) => string;
  sortKey?: string;
  sortDir?: SortDir;
  get?: (row: T, key: string) => unknown;
}

const defaultGet = (row: unknown, key: string): unknown => (row as Record<string, unknown>)[key];

export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

export function queryRows<T>(rows: readonly T[], q: TableQuery<T>): T[] {
  const get = q.get ?? defaultGet;
  const filters = Object.entries(q.filters ?? {}).filter(([, v]) => v !== undefined && v !== "");
  const needle = (q.search ?? "").trim().toLowerCase();
  let out = rows.filter((r) => {
    for (const [k, v] of filters) if (String(get(r, k)) !== v) return false;
    if (needle && q.searchIn && !q.searchIn(r).toLowerCase().includes(needle)) return false;
    return true;
  });
  if (q.sortKey) {
    const key = q.sortKey;
    const dir = q.sortDir === "desc" ? -1 : 1;
    out = out
      .map((r, i) => ({ r, i, v: get(r, key) }))
      .sort((x, y) => dir * compareValues(x.v, y.v) || x.i - y.i)
      .map((x) => x.r);
  }
  return out;
}

/** Count of rows per value of a field (e.g. jobs by status). */
export function countBy<T>(rows: readonly T[], key: (r: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) {
    const k = key(r);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Distinct values of a field, sorted (for filter dropdowns). */
export function distinct<T>(rows: readonly T[], key: (r: T) => string | undefined): string[] {
  const s = new Set<string>();
  for (const r of rows) {
    const v = key(r);
    if (v) s.add(v);
  }
  return [...s].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}
