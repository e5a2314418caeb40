/**
 * The package boundaries, as data, and the pure check of one file's imports against them.
 *
 * - shared: imports no other package (everyone may import it).
 * - recipes: pure launch plans: only shared, and no I/O modules. Reading launch definitions is the
 *   one exception: preset files (preset-loader.ts), the srt-slurm recipe files a row names
 *   (srt-slurm/recipe-dirs.ts) and the srt-slurm `configs/` files those recipes use
 *   (srt-slurm/recipe-configs.ts).
 * - agent: runs alone on a GPU node: shared and recipes, never the controller or the CLI.
 * - controller: shared and recipes, never the agent or the CLI.
 * - cli: the top; may import every package.
 * - the dashboard (controller/dashboard): a browser bundle: only `@benchfleet/shared/browser`.
 * Across packages only through a package's index (`@benchfleet/x`, or its `/test-support` in test
 * files); a relative path never leaves its package, except test files reaching the repo's
 * tests/helpers. tests/ and bench/ (no package) may also reach each other, and tests/ the
 * dashboard's pure lib/ (the dashboard is an app: it has no index). File URLs
 * (`new URL(…, import.meta.url)`) may point at data outside the packages (configs/) and, from the
 * CLI, tests and benches, at other packages' entries; never from one lower package into another.
 */
export type Area = "shared" | "recipes" | "agent" | "controller" | "cli" | "dashboard" | "tests" | "bench";

const PACKAGES = ["shared", "recipes", "agent", "controller", "cli"] as const;

/** which @benchfleet packages each area may import */
export const MAY_IMPORT: Record<Area, readonly string[]> = {
  shared: [],
  recipes: ["shared"],
  agent: ["shared", "recipes"],
  controller: ["shared", "recipes"],
  cli: ["shared", "recipes", "agent", "controller"],
  dashboard: ["shared"],
  tests: PACKAGES,
  bench: PACKAGES,
};

/** modules that do I/O beyond reading files: processes, network, databases */
const IO_MODULES = [
  "node:child_process",
  "node:net",
  "node:http",
  "node:https",
  "node:dgram",
  "node:worker_threads",
  "node:cluster",
  "ws",
  "undici",
  "execa",
  "ioredis",
  "bullmq",
  "better-sqlite3",
  "fastify",
  "systeminformation",
];

/** files of recipes allowed to read files */
const RECIPES_FILE_READERS = [
  "recipes/src/preset-loader.ts",
  "recipes/src/srt-slurm/recipe-dirs.ts",
  "recipes/src/srt-slurm/recipe-configs.ts",
];

export function areaOf(file: string): Area | undefined {
  if (file.startsWith("controller/dashboard/")) return "dashboard";
  const top = file.split("/")[0]!;
  return (["shared", "recipes", "agent", "controller", "cli", "tests", "bench"] as const).find((a) => a === top);
}

export interface Specifier {
  spec: string;
  line: number;
  /** `import`: a module imported or re-exported; `url`: a path resolved with `new URL(…, import.meta.url)` */
  kind: "import" | "url";
}

/** every module specifier a source file names (static and dynamic imports, re-exports) and its file URLs */
export function specifiersOf(source: string): Specifier[] {
  const out: Specifier[] = [];
  const lineOf = (index: number) => source.slice(0, index).split("\n").length;
  for (const m of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)"([^"]+)"/gm))
    out.push({ spec: m[1]!, line: lineOf(m.index), kind: "import" });
  for (const m of source.matchAll(/new URL\(\s*"(\.[^"]*)"\s*,\s*import\.meta\.url/g))
    out.push({ spec: m[1]!, line: lineOf(m.index), kind: "url" });
  return out;
}

const isTest = (file: string) => /\.test\.tsx?$/.test(file) || file.includes("/test-support/");

/** the rule a specifier breaks in `file` (repo-relative), or undefined */
export function violation(file: string, spec: string, kind: Specifier["kind"] = "import"): string | undefined {
  const area = areaOf(file);
  if (!area) return undefined;
  if (kind === "url") {
    if (area === "cli" || area === "tests" || area === "bench") return undefined;
    const target = resolveFrom(file, spec);
    const own = (a: Area | undefined) => (a === "dashboard" ? "controller" : a);
    const targetArea = own(areaOf(`${target}/x`));
    return targetArea && targetArea !== own(area) ? `a file URL leaves ${area} for ${target}` : undefined;
  }
  const pkg = /^@benchfleet\/([^/]+)(\/.*)?$/.exec(spec);
  if (pkg) {
    const [, name, sub] = pkg;
    if (area !== "tests" && area !== "bench" && name === area) return `${area} imports itself by package name`;
    if (!MAY_IMPORT[area].includes(name!)) return `${area} may not import @benchfleet/${name}`;
    if (area === "dashboard")
      return sub === "/browser" ? undefined : "the dashboard imports only @benchfleet/shared/browser";
    if (sub === "/test-support")
      return isTest(file) || area === "tests" || area === "bench" ? undefined : `${sub} outside tests`;
    if (sub) return `@benchfleet/${name}${sub}: import the package's index`;
    return undefined;
  }
  if (spec.startsWith(".")) {
    const target = resolveFrom(file, spec);
    const targetArea = areaOf(`${target}/x`);
    if (targetArea === area) return undefined;
    if (isTest(file) && target.startsWith("tests/helpers/")) return undefined;
    if ((area === "tests" || area === "bench") && (targetArea === "tests" || targetArea === "bench")) return undefined;
    if (area === "tests" && target.startsWith("controller/dashboard/src/lib/")) return undefined;
    return `relative import leaves ${area} for ${target}`;
  }
  if (area === "recipes" && !isTest(file)) {
    const mod = spec.startsWith("node:") ? spec : spec.split("/")[0]!;
    if (IO_MODULES.includes(mod)) return `recipes are pure: no ${spec}`;
    if ((mod === "node:fs" || mod === "node:fs/promises") && !RECIPES_FILE_READERS.includes(file))
      return `recipes read files only in ${RECIPES_FILE_READERS.join(", ")}`;
  }
  return undefined;
}

/** a relative path resolved against the directory of `file`, repo-relative */
function resolveFrom(file: string, spec: string): string {
  const parts = file.split("/").slice(0, -1);
  for (const seg of spec.split("/")) {
    if (seg === "..") parts.pop();
    else if (seg !== "." && seg !== "") parts.push(seg);
  }
  return parts.join("/");
}
