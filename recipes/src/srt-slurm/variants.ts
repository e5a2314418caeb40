/**
 * srtctl's `base` + `override_*` / `zip_override_*` recipe files (src/srtctl/core/config.py
 * generate_override_configs, deep_merge, expand_zip_override): a selector after the file name
 * (`file.yaml:override_x`, `file.yaml:zip_override_y[2]`) picks one variant. Without a selector
 * srtctl submits every variant; a master-config row is one deployment, so the variant whose
 * resources match the row's topology is taken (see read-srt-recipe.ts). Pure.
 */

export interface RecipeVariant {
  /** `base` for a plain file, else the selector (`override_x`, `zip_override_y[2]`) */
  selector: string;
  /** where the variant's own keys live in the file (for locating problems), most specific first */
  roots: Array<Array<string | number>>;
  /** zip index whose list leaves were taken, for locating a value inside a zip list */
  zipIndex?: number;
  value: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export function deepMergeSrt(base: Obj, override: Obj): Obj {
  const out: Obj = structuredClone(base);
  for (const [k, v] of Object.entries(override)) {
    if (v === null) delete out[k];
    else if (isObj(v) && isObj(out[k])) out[k] = deepMergeSrt(out[k] as Obj, v);
    else out[k] = structuredClone(v);
  }
  return out;
}

function listLengths(d: Obj): number[] {
  const out: number[] = [];
  for (const v of Object.values(d)) {
    if (Array.isArray(v)) out.push(v.length);
    else if (isObj(v)) out.push(...listLengths(v));
  }
  return out;
}

export function zipLength(zip: Obj): number {
  const lengths = listLengths(zip);
  if (!lengths.length) throw new Error("zip_override section contains no list values");
  if (lengths.some((n) => n === 0)) throw new Error("zip_override contains an empty list");
  const n = new Set(lengths.filter((l) => l !== 1));
  if (n.size > 1) throw new Error(`incompatible zip lengths ${[...n].sort((a, b) => a - b).join(", ")}`);
  return n.size ? [...n][0]! : 1;
}

function zipSlice(d: Obj, i: number): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(d)) {
    if (Array.isArray(v)) out[k] = v[v.length === 1 ? 0 : i];
    else if (isObj(v)) out[k] = zipSlice(v, i);
    else out[k] = v;
  }
  return out;
}

/** Every variant a recipe file defines (a plain file: one, `base`). */
export function recipeVariants(raw: Obj): RecipeVariant[] {
  if (!("base" in raw)) return [{ selector: "base", roots: [[]], value: raw }];
  const base = isObj(raw.base) ? raw.base : {};
  const out: RecipeVariant[] = [];
  const keys = Object.keys(raw).sort();
  for (const key of keys) {
    const v = raw[key];
    if (!isObj(v)) continue;
    if (key.startsWith("override_")) {
      const merged = deepMergeSrt(base, v);
      if (!("name" in v)) merged.name = `${String(base.name ?? "unnamed")}_${key.slice("override_".length)}`;
      out.push({ selector: key, roots: [[key], ["base"]], value: merged });
    }
  }
  for (const key of keys) {
    const v = raw[key];
    if (!isObj(v) || !key.startsWith("zip_override_")) continue;
    const group = key.slice("zip_override_".length);
    const n = zipLength(v);
    for (let i = 0; i < n; i++) {
      const merged = deepMergeSrt(base, zipSlice(v, i));
      if (!Array.isArray(v.name)) merged.name = `${String(base.name ?? "unnamed")}_${group}_${i}`;
      out.push({ selector: `${key}[${i}]`, roots: [[key], ["base"]], zipIndex: i, value: merged });
    }
  }
  if (!out.length) out.push({ selector: "base", roots: [["base"]], value: base });
  return out;
}

/** The variants a selector names (srtctl's grammar, without wildcards). */
export function selectVariants(raw: Obj, selector: string | undefined): RecipeVariant[] | { error: string } {
  const all = recipeVariants(raw);
  if (!selector) return all;
  const exact = all.filter((v) => v.selector === selector);
  if (exact.length) return exact;
  const group = all.filter((v) => v.selector.startsWith(`${selector}[`));
  if (group.length) return group;
  return { error: `selector ${selector} not in the file (it has: ${all.map((v) => v.selector).join(", ")})` };
}
