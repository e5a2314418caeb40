/**
 * Merges the stored lines of several log sources into one stream ordered by line time, reading
 * each source only as far as the merge needs. Each source's own order is kept; a line without a
 * time keeps the time of the line before it in its source. Pure (over async iterables).
 */
import { parseStoredLogLine } from "@benchfleet/shared";

interface Head {
  process: string;
  it: AsyncIterator<string>;
  line: string;
  at: string;
}

export async function* mergedByTime(
  sources: ReadonlyArray<{ process: string; lines: AsyncIterable<string> }>,
): AsyncGenerator<{ process: string; line: string }> {
  const heads: Head[] = [];
  const advance = async (h: Omit<Head, "line" | "at"> & { at?: string }): Promise<Head | undefined> => {
    const r = await h.it.next();
    if (r.done) return undefined;
    return { process: h.process, it: h.it, line: r.value, at: parseStoredLogLine(r.value).at ?? h.at ?? "" };
  };
  try {
    for (const s of sources) {
      const h = await advance({ process: s.process, it: s.lines[Symbol.asyncIterator]() });
      if (h) heads.push(h);
    }
    while (heads.length > 0) {
      let min = 0;
      for (let i = 1; i < heads.length; i++) if (heads[i]!.at < heads[min]!.at) min = i;
      const h = heads[min]!;
      yield { process: h.process, line: h.line };
      const next = await advance(h);
      if (next) heads[min] = next;
      else heads.splice(min, 1);
    }
  } finally {
    for (const h of heads) await h.it.return?.();
  }
}
