/**
 * Keys repeated in one YAML mapping of a recipe (pure). srtctl loads recipes with PyYAML's
 * safe_load, which keeps the last value of a repeated key and drops the others without a word; the
 * reader does the same (parseYamlSource `lastKeyWins`) and names each repeat here, so the plan can
 * warn at both places. `<<` merge keys are not repeats: a key beside them overrides the merged one.
 */
import type { YamlSource } from "@benchfleet/shared";
import { isMap, isScalar, isSeq, type Node } from "yaml";

export interface DuplicateKey {
  /** the key's path, dotted (`backend.vllm_config.aggregated.compilation-config`) */
  path: string;
  /** where the key first appears (dropped) and where it last appears (kept) */
  dropped: Array<{ line: number; col: number }>;
  kept: { line: number; col: number };
}

export function duplicateKeys(src: YamlSource): DuplicateKey[] {
  const out: DuplicateKey[] = [];
  const at = (n: unknown) => {
    const offset = (n as Node | undefined)?.range?.[0];
    if (offset === undefined) return { line: 1, col: 1 };
    const p = src.lines.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const walk = (node: unknown, path: string[]) => {
    if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, String(i)]));
      return;
    }
    if (!isMap(node)) return;
    const byKey = new Map<string, unknown[]>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined || key === "<<") continue;
      byKey.set(key, [...(byKey.get(key) ?? []), pair.key]);
    }
    for (const [key, keys] of byKey)
      if (keys.length > 1)
        out.push({ path: [...path, key].join("."), dropped: keys.slice(0, -1).map(at), kept: at(keys.at(-1)) });
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key !== undefined && key !== "<<") walk(pair.value, [...path, key]);
    }
  };
  walk(src.doc.contents, []);
  return out;
}
