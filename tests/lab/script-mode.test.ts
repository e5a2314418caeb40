/**
 * Script mode against the reference lab's real checkout (skipped without it;
 * BENCHFLEET_LAB_CHECKOUTS is a directory holding an `InferenceX` checkout): every single-node
 * fixed-seq-len row, put in script mode, finds the script the lab's runners run for its key and
 * builds its launch; the rows no recipe launches are in script mode with their lab scripts and
 * build their launch on a Slurm login node.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { checkRecipes, labScriptResolver, planFromFiles } from "@benchfleet/controller";
import { buildLaunchPlan, placeGang } from "@benchfleet/recipes";
import { describe, expect, it } from "vitest";

const LAB = process.env.BENCHFLEET_LAB_CHECKOUTS;
const IX = LAB ? join(LAB, "InferenceX") : "";

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
        const env = built.nodes[0]!.processes[0]!.env;
        expect(env.CONC_LIST).toBe([...new Set(d.points.map((p) => p.concurrency))].sort((a, b) => a - b).join(" "));
        expect(env.IS_MULTINODE).toBe("true");
        expect(env.PREFILL_NODES ?? env.PREFILL_NUM_WORKERS).toBeDefined();
      }
    }, 300_000);
  },
);
