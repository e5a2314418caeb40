/**
 * Against the reference lab's real checkouts (skipped without them; BENCHFLEET_LAB_CHECKOUTS holds
 * `InferenceX` and `srt-slurm`): every multi-node agentic deployment that launches from its
 * srt-slurm recipe has each engine process's KV cache read from its launch
 * (agent/src/launchers/launch-kv-cache.ts) without error, the emulated engine's arguments carry
 * that cache, and a process has a host-DRAM tier exactly where its launch text names an offload
 * setting. The tally by role and kind is printed; docs/agentic.md records it.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { emulateArgs, launchKvCache } from "@benchfleet/agent";
import { checkRecipes, planFromFiles } from "@benchfleet/controller";
import { buildLaunchPlan, loadPresets } from "@benchfleet/recipes";
import { makePlacement } from "@benchfleet/recipes/test-support";
import type { Deployment } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";

const LAB = process.env.BENCHFLEET_LAB_CHECKOUTS;
const IX = LAB ? join(LAB, "InferenceX") : "";
const SRT = LAB ? join(LAB, "srt-slurm") : "";

function labAgenticPlan(extra: { keys?: string[]; srtSlurm?: string[] } = {}) {
  const config = readdirSync(join(IX, "configs"))
    .filter((f) => f.endsWith("master.yaml"))
    .map((f) => join(IX, "configs", f));
  return planFromFiles({
    config,
    runners: join(IX, "configs", "runners.yaml"),
    scenarios: ["agentic-coding"],
    ...extra,
  });
}

const namesConfigFile = (d: Deployment) =>
  [d.prefill, d.decode].some((p) => p?.additionalSettings.some((s) => s.startsWith("CONFIG_FILE=")));

/** an offload setting named anywhere in a process's launch (argv, environment, files) */
const OFFLOAD_TEXT =
  /enable-hierarchical-cache|kv[-_]offloading[-_]size|OffloadingConnector|OffloadConnector|LMCache|MooncakeStore|host_cache_size: [1-9]/;

describe.skipIf(!LAB || !existsSync(join(IX, "configs", "runners.yaml")) || !existsSync(SRT))(
  "the KV cache of the lab's recipe-launched agentic deployments",
  () => {
    it("is read from every engine process's launch, a DRAM tier exactly where the launch names one", () => {
      const dirs = [SRT, IX, join(IX, "benchmarks", "multi_node", "srt-slurm-recipes")];
      const keys = [
        ...new Set(
          labAgenticPlan()
            .deployments.filter((d) => d.multinode && namesConfigFile(d))
            .map((d) => d.configKey),
        ),
      ];
      const presets = loadPresets(join(REPO_ROOT, "configs", "recipes"));
      const tally = new Map<string, number>();
      let deployments = 0;
      let processes = 0;
      for (const key of keys) {
        let plan: ReturnType<typeof labAgenticPlan>;
        try {
          plan = labAgenticPlan({ keys: [key], srtSlurm: dirs });
        } catch {
          continue; // a recipe file not found: tests/lab/agentic-launch.test.ts counts those
        }
        const unlaunchable = new Set(checkRecipes(plan).map((u) => u.fingerprint));
        for (const d of plan.deployments.filter((x) => x.srtRecipe && !unlaunchable.has(x.fingerprint))) {
          deployments++;
          const launch = buildLaunchPlan(d, makePlacement(d), { presets });
          for (const node of launch.nodes)
            for (const spec of node.processes) {
              // a worker's rank 0 stands for it (its other ranks serve nothing on the emulated fleet)
              if (!["prefill", "decode", "worker"].includes(spec.role) || /-rank[1-9]\d*$/.test(spec.name)) continue;
              const kv = launchKvCache(spec, 1);
              const text = [...spec.argv, ...Object.entries(spec.env).flat(), ...spec.files.map((f) => f.content)].join(
                "\n",
              );
              expect(kv, `${key} ${spec.name}: an engine process`).toBeDefined();
              const offloads = OFFLOAD_TEXT.test(text);
              expect(kv!.dram.kind !== "none", `${key} ${spec.name}: ${kv!.dram.kind}`).toBe(offloads);
              const args = emulateArgs({ spec, deployment: d, plan: launch });
              expect(args.includes("--prefix-cache")).toBe(kv!.prefixCache);
              if (kv!.dram.kind !== "none")
                expect(args.some((a) => a === "--dram-offload-gb" || a === "--dram-offload-ratio")).toBe(true);
              processes++;
              const label = `${d.framework} ${spec.role}: ${kv!.dram.kind}${kv!.prefixCache ? "" : " (no prefix cache)"}`;
              tally.set(label, (tally.get(label) ?? 0) + 1);
            }
        }
      }
      const lines = [...tally.entries()].sort().map(([k, n]) => `${String(n).padStart(4)}  ${k}`);
      process.stdout.write(
        `KV cache of ${processes} engine processes of ${deployments} recipe-launched agentic deployments:\n${lines.join("\n")}\n`,
      );
      expect(deployments).toBeGreaterThan(0);
    }, 300_000);
  },
);
