/** `*` wildcards as the reference changelog uses them: `dsr1-fp4-*` matches any run of characters. */
export function wildcardToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .split("*")
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${escaped}$`);
}

/** Keys matching any pattern, in the order of `keys`. */
export function expandPatterns(patterns: string[], keys: Iterable<string>): { matched: string[]; unmatched: string[] } {
  const all = [...keys];
  const res = patterns.map((p) => ({ p, re: wildcardToRegExp(p) }));
  const matched = all.filter((k) => res.some(({ re }) => re.test(k)));
  const unmatched = res.filter(({ re }) => !all.some((k) => re.test(k))).map(({ p }) => p);
  return { matched, unmatched };
}
