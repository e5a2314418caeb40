/**
 * The CLI's list option parser (commander's argParser shape): `--x a,b --x c` gives
 * `["a", "b", "c"]`; items are trimmed, empty ones dropped.
 */
export function commaList(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}
