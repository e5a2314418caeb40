/**
 * Script mode against the reference lab's real checkout (skipped without it;
 * BENCHFLEET_LAB_CHECKOUTS is a directory holding an `InferenceX` checkout): every single-node
 * fixed-seq-len row, put in script mode, finds the script the lab's runners run for its key and
 * builds its launch; the rows no recipe launches are in script mode with their lab scripts and
 * build their launch on a Slurm login node.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkRecipes, labScriptResolver, planFromFiles } from "@benchfleet/controller";
import { buildLaunchPlan, placeGang } from "@benchfleet/recipes";
import { labMultiNodeSiteEnv } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";

const LAB = process.env.BENCHFLEET_LAB_CHECKOUTS;
const IX = LAB ? join(LAB, "InferenceX") : "";

/**
 * The variables a multi-node script requires and does not set itself: its `check_env_vars` list,
 * and its submitter's (`cd …/multi_node/<dir>` + `bash ./submit.sh`, or `…/<dir>/submit.sh`)
 * `check_env NAME` lines and `${NAME:?…}` expansions.
 */
function requiredEnv(script: string): string[] {
  const text = readFileSync(join(IX, script), "utf8");
  // `export X=$X` passes X on; it does not set it
  const sets = new Set(
    [...text.matchAll(/^\s*export\s+([A-Z_][A-Z0-9_]*)=(\S*)/gm)]
      .filter((m) => m[2]!.replace(/["{}$]/g, "") !== m[1])
      .map((m) => m[1]!),
  );
  const need = new Set<string>();
  const list = /check_env_vars((?:\s*\\?\s*\n?\s*[A-Z_][A-Z0-9_]*)+)/.exec(text);
  for (const v of list?.[1]?.match(/[A-Z_][A-Z0-9_]*/g) ?? []) need.add(v);
  const dir = /multi_node\/([\w-]+)"? \|\|/.exec(text)?.[1] ?? /\/([\w-]+)\/submit\.sh"/.exec(text)?.[1];
  expect(dir, `${script}: its submitter`).toBeDefined();
  const submit = readFileSync(join(IX, "benchmarks", "multi_node", dir!, "submit.sh"), "utf8");
  for (const m of submit.matchAll(/^check_env ([A-Z_][A-Z0-9_]*)/gm)) need.add(m[1]!);
  for (const m of submit.matchAll(/\$\{([A-Z_][A-Z0-9_]*):\?/g)) need.add(m[1]!);
  return [...need].filter((v) => !sets.has(v)).sort();
}

describe.skipIf(!LAB || !existsSync(join(IX, "benchmarks", "single_node")))(
  "script mode with the lab's scripts",
  () => {
    it("every single-node row finds its script and builds; no-recipe rows are in script mode", () => {
      const plan = planFromFiles({ config: [join(IX, "configs")], scenarios: ["fixed-seq-len"], lab: IX });
      const resolve = labScriptResolver(IX);
      const single = plan.deployments.filter((d) => !d.multinode && !d.labScript);
      const scripted = single.map((d) => resolve({ ...d, mode: "script" }));
      const missing = scripted.filter((d) => !d.labScript).map((d) => d.configKey);
      expect(missing).toEqual([]);
      for (const d of scripted) {
        const node = { hostname: "n0", ip: "10.0.0.1", gpuCount: d.gpusPerNode, rdmaDevices: [] };
        const built = buildLaunchPlan(d, placeGang(d, [node], 20480, d.sku.startsWith("mi") ? "amd" : "nvidia"));
        expect(built.script).toEqual(d.labScript);
        expect(existsSync(join(IX, d.labScript!.path))).toBe(true);
      }
      const noRecipe = plan.deployments.filter((d) => d.mode === "script");
      process.stdout.write(
        `script mode: ${scripted.length} single-node deployments find their script; ${noRecipe.length} deployments have no recipe: ${[...new Set(noRecipe.map((d) => `${d.configKey} → ${d.labScript?.path}`))].join(", ")}\n`,
      );
      expect(noRecipe.every((d) => d.labScript)).toBe(true);
      // the no-recipe rows of today's configs are multi-node: each builds its login-node launch of the lab's script
      const refused = checkRecipes(plan).filter((u) => noRecipe.some((d) => d.fingerprint === u.fingerprint));
      expect(refused).toEqual([]);
      for (const d of noRecipe.filter((x) => x.multinode)) {
        // a Slurm login-node agent is the whole gang
        const login = { rank: 0, hostname: "login", ip: "10.0.0.1", gpuCount: d.gpusPerNode, rdmaDevices: [] };
        const vendor = d.sku.startsWith("mi") ? ("amd" as const) : ("nvidia" as const);
        const built = buildLaunchPlan(d, { nodes: [login], portBase: 20480, vendor });
        const env = {
          ...labMultiNodeSiteEnv(d, {
            workspace: "/ws",
            partition: "p",
            user: "u",
            gpusPerNode: d.gpusPerNode,
            vendor,
          }),
          ...built.nodes[0]!.processes[0]!.env,
        };
        expect(env.CONC_LIST).toBe([...new Set(d.points.map((p) => p.concurrency))].sort((a, b) => a - b).join(" "));
        expect(env.IS_MULTINODE).toBe("true");
        // every variable the script and its submitter require is set, or set by the script itself
        const required = requiredEnv(d.labScript!.path);
        expect(required).toEqual(expect.arrayContaining(["CONC_LIST", "MODEL_PATH", "RANDOM_RANGE_RATIO"]));
        if (d.framework !== "tilert")
          expect(required).toEqual(expect.arrayContaining(["SLURM_ACCOUNT", "RUNNER_NAME"]));
        else expect(required).toContain("PREFILL_IMAGE");
        const missing = required.filter((v) => !env[v]);
        expect(missing, `${d.configKey} → ${d.labScript!.path}`).toEqual([]);
      }
    }, 300_000);
  },
);
