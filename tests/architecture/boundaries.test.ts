/**
 * The package boundaries hold (tests/architecture/import-rules.ts): every source file's imports and
 * file URLs, and every package.json's workspace dependencies. A forbidden import fails here with
 * its file:line and the rule it breaks.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { MAY_IMPORT, specifiersOf, violation } from "./import-rules.js";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

function sourceFiles(): string[] {
  const out = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return out.split("\n").filter((f) => /\.(ts|tsx|mts|mjs|js)$/.test(f) && !f.includes("node_modules"));
}

describe("package boundaries", () => {
  it("no source file imports across a boundary", () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(300);
    const broken: string[] = [];
    for (const f of files) {
      let text: string;
      try {
        text = readFileSync(join(ROOT, f), "utf8");
      } catch {
        continue; // listed by git but deleted in the work tree
      }
      for (const s of specifiersOf(text)) {
        const why = violation(f, s.spec, s.kind);
        if (why) broken.push(`${f}:${s.line}: "${s.spec}": ${why}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("no package.json lists a workspace package its sources may not import", () => {
    for (const pkg of ["shared", "recipes", "agent", "controller", "cli"] as const) {
      const json = JSON.parse(readFileSync(join(ROOT, pkg, "package.json"), "utf8"));
      const listed = Object.keys({ ...json.dependencies, ...json.devDependencies })
        .filter((d) => d.startsWith("@benchfleet/"))
        .map((d) => d.slice("@benchfleet/".length));
      expect({ pkg, forbidden: listed.filter((d) => !MAY_IMPORT[pkg].includes(d)) }).toEqual({ pkg, forbidden: [] });
    }
  });

  it("the rules catch what they forbid", () => {
    expect(violation("controller/src/server.ts", "@benchfleet/agent")).toBe(
      "controller may not import @benchfleet/agent",
    );
    expect(violation("controller/src/server.ts", "@benchfleet/cli")).toBe("controller may not import @benchfleet/cli");
    expect(violation("agent/src/agent.ts", "@benchfleet/controller")).toBe(
      "agent may not import @benchfleet/controller",
    );
    expect(violation("agent/src/agent.ts", "../../cli/src/main.js")).toBe(
      "relative import leaves agent for cli/src/main.js",
    );
    expect(violation("agent/src/launchers/emulated.ts", "../../../cli/src/main.ts", "url")).toBe(
      "a file URL leaves agent for cli/src/main.ts",
    );
    expect(violation("recipes/src/vllm.ts", "node:child_process")).toBe("recipes are pure: no node:child_process");
    expect(violation("recipes/src/vllm.ts", "node:fs")).toMatch(/recipes read files only in/);
    expect(violation("recipes/src/vllm.ts", "@benchfleet/agent")).toBe("recipes may not import @benchfleet/agent");
    expect(violation("shared/src/planner.ts", "@benchfleet/recipes")).toBe("shared may not import @benchfleet/recipes");
    expect(violation("cli/src/main.ts", "@benchfleet/agent/agent")).toMatch(/import the package's index/);
    expect(violation("controller/dashboard/src/app.tsx", "@benchfleet/shared")).toMatch(
      /only @benchfleet\/shared\/browser/,
    );
    expect(violation("agent/src/agent.ts", "@benchfleet/shared/test-support")).toMatch(/outside tests/);
    // allowed
    expect(violation("cli/src/main.ts", "@benchfleet/controller")).toBeUndefined();
    expect(violation("recipes/src/preset-loader.ts", "node:fs")).toBeUndefined();
    expect(violation("agent/src/agent.test.ts", "@benchfleet/shared/test-support")).toBeUndefined();
    expect(violation("agent/src/eval/thresholds.ts", "../../../configs/eval-thresholds.yaml", "url")).toBeUndefined();
    expect(
      violation("controller/src/results/results-db.test.ts", "../../../tests/helpers/deployments.js"),
    ).toBeUndefined();
  });

  it("finds static, dynamic and re-exported specifiers and file URLs with their lines", () => {
    const src = [
      'import { a } from "@benchfleet/agent";',
      'export { b } from "./b.js";',
      'const m = await import("../c.js");',
      'import "./side-effect.js";',
      'const u = new URL("../../x/", import.meta.url);',
    ].join("\n");
    expect(specifiersOf(src)).toEqual([
      { spec: "@benchfleet/agent", line: 1, kind: "import" },
      { spec: "./b.js", line: 2, kind: "import" },
      { spec: "../c.js", line: 3, kind: "import" },
      { spec: "./side-effect.js", line: 4, kind: "import" },
      { spec: "../../x/", line: 5, kind: "url" },
    ]);
  });
});
