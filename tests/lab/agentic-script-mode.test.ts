/**
 * Agentic script mode against the reference lab's real checkout (skipped without it;
 * BENCHFLEET_LAB_CHECKOUTS is a directory holding an `InferenceX` checkout): every single-node
 * agentic row of the lab's master configs, put in script mode, finds the script the lab's runners
 * run for its key in `benchmarks/single_node/agentic/` (a key the lab has no script for is named)
 * and builds its launch, whose env holds every variable the script requires (its `check_env_vars`
 * list and `${X:?}` expansions) at each point. Rows whose preset says `script-mode` are in script
 * mode without asking.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { labScriptResolver, planFromFiles, scriptPresetsOf } from "@benchfleet/controller";
import { buildLaunchPlan, placeGang } from "@benchfleet/recipes";
import { labScriptEnv } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";

const LAB = process.env.BENCHFLEET_LAB_CHECKOUTS;
const IX = LAB ? join(LAB, "InferenceX") : "";

/** the variables an agentic script requires: its `check_env_vars` list and its `${X:?}` expansions */
function requiredEnv(script: string): string[] {
  const text = readFileSync(join(IX, script), "utf8");
  const need = new Set<string>();
  for (const m of text.matchAll(/^\s*check_env_vars((?:[ \t]+[A-Z_][A-Z0-9_]*|[ \t]*\\\n)+)/gm))
    for (const v of m[1]!.match(/[A-Z_][A-Z0-9_]*/g) ?? []) need.add(v);
  for (const m of text.matchAll(/\$\{([A-Z_][A-Z0-9_]*):\?/g)) need.add(m[1]!);
  return [...need].sort();
}

describe.skipIf(!LAB || !existsSync(join(IX, "benchmarks", "single_node", "agentic")))(
  "agentic script mode with the lab's scripts",
  () => {
    it("every single-node agentic row finds its script and has the env it requires", () => {
      const plan = planFromFiles({
        config: [join(IX, "configs")],
        runners: join(IX, "configs", "runners.yaml"),
        scenarios: ["agentic-coding"],
        lab: IX,
      });
      const single = plan.deployments.filter((d) => !d.multinode);
      expect(single.length).toBeGreaterThan(0);
      const resolve = labScriptResolver(IX);
      const scripted = single.map((d) => (d.labScript ? d : resolve({ ...d, mode: "script" })));
      const missing = [...new Set(scripted.filter((d) => !d.labScript).map((d) => d.configKey))];
      const found = scripted.filter((d) => d.labScript);
      const scripts = new Set(found.map((d) => d.labScript!.path));
      const lacking: string[] = [];
      let points = 0;
      for (const d of found) {
        expect(d.labScript!.path.startsWith("benchmarks/single_node/agentic/")).toBe(true);
        const node = { hostname: "n0", ip: "10.0.0.1", gpuCount: d.gpusPerNode, rdmaDevices: [] };
        const built = buildLaunchPlan(d, placeGang(d, [node], 20480, d.sku.startsWith("mi") ? "amd" : "nvidia"));
        expect(built.script).toEqual(d.labScript);
        const base = built.nodes[0]!.processes[0]!.env;
        const required = requiredEnv(d.labScript!.path);
        expect(required.length, d.labScript!.path).toBeGreaterThan(0);
        for (const p of d.points) {
          points++;
          const env = { ...base, ...labScriptEnv(d, p.concurrency, { runnerName: base.RUNNER_NAME! }) };
          expect(env.IS_AGENTIC).toBe("1");
          expect(env.CONC).toBe(String(p.concurrency));
          const unset = required.filter((v) => env[v] === undefined || env[v] === "");
          if (unset.length)
            lacking.push(`${d.configKey} c=${p.concurrency} → ${d.labScript!.path}: ${unset.join(", ")}`);
        }
      }
      // rows a preset puts in script mode (script-mode:) are so without asking
      const presetScripted = plan.deployments.filter((d) => d.mode === "script" && d.labScript);
      const withKey = scriptPresetsOf().filter((s) => s["script-mode"]);
      expect(withKey.length).toBeGreaterThan(0);
      for (const s of withKey) {
        // every row of the script is planned in script mode, none left to its preset
        const rows = single.filter((_, i) => scripted[i]!.labScript?.path === s.script);
        expect(rows.length, s.script).toBeGreaterThan(0);
        expect(
          rows.filter((d) => d.mode !== "script" || d.labScript?.path !== s.script).map((d) => d.configKey),
          `${s.script}: its preset says script-mode`,
        ).toEqual([]);
      }
      process.stdout.write(
        `agentic script mode: ${found.length} of ${single.length} single-node deployments (${points} points) find one of ${scripts.size} scripts; ` +
          `${presetScripted.length} in script mode by their preset (${withKey.length} presets); no script for: ${missing.join(", ") || "none"}\n`,
      );
      expect(lacking).toEqual([]);
      // the one key the lab's runners find no agentic script for (its workflow job would fail)
      expect(missing).toEqual(["qwen3.5-fp8-h100-sglang-agentic"]);
    }, 300_000);
  },
);
