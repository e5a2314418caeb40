/**
 * The reference lab's `perf-changelog.yaml` trigger: an append-only list of entries. Given the
 * head text and the unified diff base→head of that file, only added entries count; deleted or
 * modified lines are errors naming the line; wildcard keys expand against the loaded configs.
 */
import { isSeq } from "yaml";
import { z } from "zod";
import { ConfigError, type ConfigProblem } from "./config-error.js";
import { expandPatterns } from "./wildcard.js";
import { parseYamlSource, zodProblems } from "./yaml-source.js";

export const ChangelogEntry = z
  .object({
    "config-keys": z.array(z.string().min(1)).min(1),
    description: z.array(z.string()).min(1),
    "pr-link": z.string().min(1),
    "evals-only": z.boolean().optional(),
    "all-evals": z.boolean().optional(),
    "append-only": z.boolean().optional(),
    "eval-min-prefill-ep": z.number().int().positive().optional(),
    "scenario-type": z
      .array(z.enum(["fixed-seq-len", "agentic-coding"]))
      .min(1)
      .optional(),
  })
  .strict()
  // the reference: an append-only entry is a throughput delta, never an eval request
  .refine((e) => !e["append-only"] || !(e["evals-only"] || e["all-evals"] || e["eval-min-prefill-ep"] !== undefined), {
    message: "append-only cannot be combined with evals-only, all-evals or eval-min-prefill-ep",
    path: ["append-only"],
  });
export type ChangelogEntry = z.infer<typeof ChangelogEntry>;

export interface DiffLines {
  /** 1-based head line numbers of added lines */
  added: Set<number>;
  /** deleted lines with their base line numbers and text */
  deleted: Array<{ line: number; text: string }>;
}

/** Reads a unified diff (`git diff base head -- file`) of one file. */
export function parseUnifiedDiff(diff: string): DiffLines {
  const added = new Set<number>();
  const deleted: Array<{ line: number; text: string }> = [];
  let oldLine = 0;
  let newLine = 0;
  let inHunk = false;
  for (const l of diff.split("\n")) {
    const h = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
    if (h) {
      oldLine = Number(h[1]);
      newLine = Number(h[2]);
      inHunk = true;
      continue;
    }
    if (!inHunk || l.startsWith("\\")) continue;
    if (l.startsWith("+")) added.add(newLine++);
    else if (l.startsWith("-")) deleted.push({ line: oldLine++, text: l.slice(1) });
    else if (l.startsWith(" ") || l === "") {
      oldLine++;
      newLine++;
    } else if (l.startsWith("diff ") || l.startsWith("index ")) inHunk = false;
  }
  return { added, deleted };
}

export interface ChangelogSelection {
  entries: Array<{ entry: ChangelogEntry; line: number; keys: string[] }>;
  /** all keys selected for throughput runs */
  keys: string[];
  /** keys selected only for evals */
  evalsOnlyKeys: string[];
  /** keys of `all-evals` entries: every eligible point evaluates (their throughput is not run) */
  allEvalsKeys: string[];
  /** the entries are `append-only`: only the points added since the base revision run, no evals */
  appendOnly: boolean;
  scenarioTypes?: Array<"fixed-seq-len" | "agentic-coding">;
}

export function selectFromChangelog(args: {
  file: string;
  /** base file name for deleted-line errors */
  baseLabel?: string;
  headText: string;
  diff: DiffLines;
  configKeys: Iterable<string>;
}): ChangelogSelection {
  const { file, headText, diff } = args;
  const problems: ConfigProblem[] = [];
  const headLines = headText.split("\n");
  // the reference's validator accepts corrections of an old entry's pr-link line (an XXX
  // placeholder replaced by the PR's link): such an entry is not selected again
  const deletedLinks = diff.deleted.filter((d) => PR_LINK_LINE.test(d.text)).length;
  const addedLinks = [...diff.added].filter((ln) => PR_LINK_LINE.test(headLines[ln - 1] ?? "")).length;
  const linkCorrections = deletedLinks > 0 && deletedLinks === addedLinks;
  for (const d of diff.deleted) {
    if (d.text.trim() === "") continue; // whitespace-only deletions are allowed (reference #623)
    if (linkCorrections && PR_LINK_LINE.test(d.text)) continue;
    problems.push({
      file: args.baseLabel ?? file,
      line: d.line,
      col: 1,
      path: "",
      message: `deleted or modified line "${d.text.trim().slice(0, 60)}": the changelog is append-only (add a new entry instead)`,
    });
  }
  const src = parseYamlSource(headText, file);
  const root = src.doc.contents;
  if (root !== null && !isSeq(root)) {
    problems.push({ file, line: 1, col: 1, path: "", message: "expected a YAML list of changelog entries" });
  }
  const keys = [...args.configKeys];
  const entries: ChangelogSelection["entries"] = [];
  const items = isSeq(root) ? root.items : [];
  items.forEach((item, i) => {
    const range = (item as { range?: [number, number, number] }).range;
    if (!range) return;
    const start = src.lines.linePos(range[0]).line;
    const endPos = src.lines.linePos(Math.max(range[0], range[1] - 1));
    const end = endPos.line;
    let addedCount = 0;
    let total = 0;
    for (let ln = start; ln <= end; ln++) {
      total++;
      if (diff.added.has(ln)) addedCount++;
    }
    if (addedCount === 0) return;
    const lineOfItem = start;
    if (linkCorrections && addedCount < total && onlyLinkLinesAdded(headLines, start, end, diff.added)) return;
    // an entry of which only some lines were added was modified (a deletion is reported above)
    if (addedCount < total && !entryLinesAllAddedExceptBlank(headText, start, end, diff.added)) {
      problems.push({
        file,
        line: lineOfItem,
        col: 1,
        path: `[${i}]`,
        message: "modified changelog entry: existing entries must not change (add a new entry instead)",
      });
      return;
    }
    const raw = (item as { toJS: (d: unknown) => unknown }).toJS(src.doc);
    const res = ChangelogEntry.safeParse(raw);
    if (!res.success) {
      problems.push(...zodProblems(src, res.error.issues, [i]));
      return;
    }
    const { matched, unmatched } = expandPatterns(res.data["config-keys"], keys);
    for (const u of unmatched) {
      const idx = res.data["config-keys"].indexOf(u);
      const pos = src.locate([i, "config-keys", idx]);
      problems.push({
        file,
        ...pos,
        path: `[${i}].config-keys[${idx}]`,
        message: `"${u}" matches no config key in the loaded master configs`,
      });
    }
    entries.push({ entry: res.data, line: lineOfItem, keys: matched });
  });
  // the reference: an append-only sweep is a delta against the base revision, so it runs alone
  const appendOnly = entries.filter((e) => e.entry["append-only"]);
  if (appendOnly.length && appendOnly.length < entries.length) {
    for (const e of appendOnly)
      problems.push({
        file,
        line: e.line,
        col: 1,
        path: "",
        message: "append-only entries cannot share a sweep with regular changelog entries",
      });
  }
  if (problems.length) throw new ConfigError(problems);
  const throughput = new Set<string>();
  const evalsOnly = new Set<string>();
  const allEvals = new Set<string>();
  for (const e of entries) {
    // the reference suppresses the throughput of an all-evals entry as of an evals-only one
    const noThroughput = e.entry["evals-only"] || e.entry["all-evals"];
    for (const k of e.keys) {
      (noThroughput ? evalsOnly : throughput).add(k);
      if (e.entry["all-evals"]) allEvals.add(k);
    }
  }
  for (const k of throughput) evalsOnly.delete(k);
  const types = new Set(entries.flatMap((e) => e.entry["scenario-type"] ?? ["fixed-seq-len", "agentic-coding"]));
  return {
    entries,
    keys: [...throughput, ...evalsOnly],
    evalsOnlyKeys: [...evalsOnly],
    allEvalsKeys: [...allEvals],
    appendOnly: appendOnly.length > 0,
    ...(types.size < 2 ? { scenarioTypes: [...types] as Array<"fixed-seq-len" | "agentic-coding"> } : {}),
  };
}

const PR_LINK_LINE = /^\s*pr-link:/;

function onlyLinkLinesAdded(lines: string[], start: number, end: number, added: Set<number>): boolean {
  for (let ln = start; ln <= end; ln++) if (added.has(ln) && !PR_LINK_LINE.test(lines[ln - 1] ?? "")) return false;
  return true;
}

function entryLinesAllAddedExceptBlank(text: string, start: number, end: number, added: Set<number>): boolean {
  const lines = text.split("\n");
  for (let ln = start; ln <= end; ln++) {
    if (!added.has(ln) && (lines[ln - 1] ?? "").trim() !== "") return false;
  }
  return true;
}
