/**
 * The KV cache of benchfleet's own agentic launches (the recipes' golden agentic cases), read back
 * from each engine process as the emulated launcher reads it: a host-DRAM tier wherever the
 * deployment offloads KV to DRAM and none where it does not; the budget stands in only for a store
 * outside the process (Mooncake, LMCache servers).
 */
import { fileURLToPath } from "node:url";
import { buildLaunchPlan, loadPresets } from "@benchfleet/recipes";
import { goldenCases } from "@benchfleet/recipes/test-support";
import { describe, expect, it } from "vitest";
import { emulateArgs, emulatedRole, flagValue } from "./emulated-args.js";
import { launchKvCache } from "./launch-kv-cache.js";

const presets = loadPresets(fileURLToPath(new URL("../../../configs/recipes/", import.meta.url)));

describe("the KV cache of benchfleet's own agentic launches", () => {
  const cases = goldenCases().filter((g) => g.deployment.agentic);

  it("gives the emulated engine a host tier exactly where the deployment offloads to DRAM", () => {
    expect(cases.length).toBeGreaterThan(5);
    const kinds = new Set<string>();
    for (const c of cases) {
      const d = c.deployment;
      const plan = buildLaunchPlan(d, c.placement, { presets });
      const engines = plan.nodes.flatMap((n) =>
        n.processes.filter((p) => ["both", "prefill", "decode"].includes(emulatedRole(p))),
      );
      expect(engines.length, c.name).toBeGreaterThan(0);
      for (const p of engines) {
        const where = `${c.name} ${p.name}`;
        const kv = launchKvCache(p, 1);
        expect(kv, where).toBeDefined();
        expect(kv!.prefixCache, where).toBe(true);
        kinds.add(kv!.dram.kind);
        const args = emulateArgs({ spec: p, deployment: d, plan });
        const gb = flagValue(args, ["--dram-offload-gb"]);
        expect(gb !== undefined || args.includes("--dram-offload-ratio"), where).toBe(
          d.agentic!.kvOffloading === "dram",
        );
        // a store outside the process: the deployment's budget
        if (kv!.dram.kind === "external") expect(Number(gb), where).toBe(d.agentic!.dramOffloadGb);
      }
    }
    expect([...kinds].sort()).toEqual(["external", "gb", "none"]);
  });
});
