/**
 * Parses YAML text and validates it with a zod schema, turning every problem into a ConfigError
 * located at file:line:col of the offending node (or its parent when the key is missing).
 */
import { type Document, isMap, isNode, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";
import { ConfigError, type ConfigProblem, formatPath } from "./config-error.js";

export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** Position (1-based) of the node at `path`, or of the closest existing ancestor. */
  locate(path: ReadonlyArray<PropertyKey>): { line: number; col: number };
  /** Position of the key (not the value) at `path`, when it is a map entry. */
  locateKey(path: ReadonlyArray<PropertyKey>): { line: number; col: number };
}

/**
 * `merge`: `<<` merge keys as YAML 1.1 loaders (PyYAML's safe_load) read them, else a plain key.
 * `lastKeyWins`: a key repeated in one mapping is no error; its last value is the one read and
 * located, as PyYAML's safe_load keeps it.
 */
export function parseYamlSource(
  text: string,
  file: string,
  opts: { merge?: boolean; lastKeyWins?: boolean } = {},
): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: !opts.lastKeyWins,
    ...(opts.merge ? { merge: true } : {}),
  });
  const problems: ConfigProblem[] = [];
  for (const err of doc.errors) {
    const pos = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
    problems.push({
      file,
      line: pos.line,
      col: pos.col,
      path: "",
      message: `YAML syntax error: ${err.message.split("\n")[0]}`,
    });
  }
  if (problems.length) throw new ConfigError(problems);

  const at = (offset: number | undefined) => {
    if (offset === undefined) return { line: 1, col: 1 };
    const p = lines.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const walk = (path: ReadonlyArray<PropertyKey>, wantKey: boolean) => {
    let node: unknown = doc.contents;
    let last: unknown = node;
    let keyNode: unknown;
    for (const seg of path) {
      if (isMap(node)) {
        // the last of repeated keys is the one read (lastKeyWins); otherwise keys are unique
        const pair = node.items.findLast((it) => (isScalar(it.key) ? it.key.value : it.key) === seg);
        if (!pair) break;
        keyNode = pair.key;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === "number") {
        node = node.items[seg];
        keyNode = undefined;
      } else break;
      if (!node) break;
      last = node;
    }
    const target = wantKey && keyNode ? keyNode : last;
    return at(isNode(target) ? (target as Node).range?.[0] : undefined);
  };
  return {
    file,
    doc,
    lines,
    locate: (path) => walk(path, false),
    locateKey: (path) => walk(path, true),
  };
}

/** Turns zod issues into located problems. Unknown keys point at the key itself. */
export function zodProblems(src: YamlSource, issues: z.core.$ZodIssue[], prefix: PropertyKey[] = []): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    const base = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const p = src.locateKey([...base, key]);
        out.push({ file: src.file, ...p, path: formatPath([...base, key]), message: "unknown key" });
      }
      continue;
    }
    if (issue.code === "invalid_union" && "errors" in issue && issue.errors.length) {
      // report the branch that got furthest (most specific path)
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0]!;
      out.push(...zodProblems(src, best, base));
      continue;
    }
    const p = src.locate(base);
    out.push({ file: src.file, ...p, path: formatPath(base), message: issue.message });
  }
  return out;
}

function depth(issues: z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length * 10 - (i.code === "invalid_type" ? 1 : 0)));
}

/** parse + validate in one step; throws ConfigError. */
export function loadYaml<T extends z.ZodType>(
  text: string,
  file: string,
  schema: T,
): { value: z.infer<T>; src: YamlSource } {
  const src = parseYamlSource(text, file);
  const raw = src.doc.toJS({ maxAliasCount: 1000 });
  const res = schema.safeParse(raw);
  if (!res.success) throw new ConfigError(zodProblems(src, res.error.issues));
  return { value: res.data, src };
}
