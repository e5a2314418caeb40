/**
 * Against the reference lab's real checkouts (skipped without them): every multi-node deployment
 * of InferenceX's master configs either builds its launch plan from the srt-slurm recipe its row
 * names, or is refused with a reason. BENCHFLEET_LAB_CHECKOUTS is a directory holding `InferenceX`
 * (SemiAnalysisAI/InferenceX) and `srt-slurm` (NVIDIA/srt-slurm) checkouts; the recipes are looked
 * up as the lab's runners do: srt-slurm's tree, then InferenceX's own, then its overlay of recipes; a
 * recipe not on srt-slurm main from the branch the runners pin (DIR@REF).
 * The census is printed; docs/srt-slurm.md records it.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gitTree, readSkuCatalog } from "@benchfleet/controller";
import { reasonKind, srtRecipeCensus, srtRecipeSource } from "@benchfleet/recipes";
import { buildPlan, loadMasterConfigs } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";

const LAB = process.env.BENCHFLEET_LAB_CHECKOUTS;
const IX = LAB ? join(LAB, "InferenceX") : "";
const PINNED_REF = "origin/sa-submission-q2-2026";

/** the fixed-seq-len rows of every master config (the agentic ones need the lab runners' hardware entries) */
function labPlan() {
  const files = readdirSync(join(IX, "configs"))
    .filter((f) => f.endsWith("master.yaml"))
    .map((f) => ({ file: join(IX, "configs", f), text: readFileSync(join(IX, "configs", f), "utf8") }));
  return buildPlan(loadMasterConfigs(files), {
    catalog: readSkuCatalog(),
    selection: { scenarioTypes: new Set(["fixed-seq-len"]) },
  });
}

describe.skipIf(!LAB || !existsSync(join(IX, "configs")))("srt-slurm recipes of the lab's master configs", () => {
  it("builds every multi-node deployment from its recipe or names why not", () => {
    const plan = labPlan();
    const source = srtRecipeSource([
      join(LAB!, "srt-slurm"),
      IX,
      join(IX, "benchmarks", "multi_node", "srt-slurm-recipes"),
    ]);
    const main = srtRecipeCensus(plan.deployments, source);
    // a recipe not on srt-slurm main is read from the ref the row's runner pins: for the rows of
    // today's configs, sa-submission-q2-2026 (launch_gb300-nv.sh's dynamo-trt + dsv4 branch), as
    // DIR@REF
    const pinned = srtRecipeSource(
      [`${join(LAB!, "srt-slurm")}@${PINNED_REF}`, IX, join(IX, "benchmarks", "multi_node", "srt-slurm-recipes")],
      gitTree,
    );
    // and a recipe whose main version has another shape than the row (dsr1-fp8-gb200-dynamo-sglang's
    // low-latency.yaml: main's is three zip variants of 7, 7 and 3 decode workers, the pinned branch's
    // the row's 1P1D, which the row's own comment links to)
    const notOnMain = new Set(
      main
        .filter((c) => c.reason?.includes("not found") || c.reason?.includes("no variant matches the row"))
        .map((c) => c.fingerprint),
    );
    const again = new Map(
      srtRecipeCensus(
        plan.deployments.filter((d) => notOnMain.has(d.fingerprint)),
        pinned,
      ).map((c) => [c.fingerprint, c]),
    );
    const census = main.map((c) => again.get(c.fingerprint) ?? c);
    const fromPin = [...again.values()].filter((c) => !c.reason).length;
    const built = census.filter((c) => !c.reason);
    const kinds = new Map<string, number>();
    for (const c of census) if (c.reason) kinds.set(reasonKind(c.reason), (kinds.get(reasonKind(c.reason)) ?? 0) + 1);
    const lines = [...kinds.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${String(n).padStart(4)}  ${k}`);
    if (process.env.BENCHFLEET_CENSUS_DUMP)
      for (const c of census) process.stdout.write(`${c.configKey}\t${c.configFile}\t${c.reason ?? "BUILDS"}\n`);
    process.stdout.write(
      `srt-slurm census: ${built.length} of ${census.length} multi-node deployments build (${fromPin} of ${notOnMain.size} not on main or not the row's there from ${PINNED_REF})\n${lines.join("\n")}\n`,
    );
    const warned = built.filter((c) => c.warning);
    process.stdout.write(
      `${warned.length} of them run the recipe's concurrencies instead of the row's (a warning each)\n`,
    );
    // each such warning names the recipe's field (file:line:col)
    for (const c of warned) expect(c.warning).toMatch(/:\d+:\d+: benchmark\.concurrencies: /);
    expect(census.length).toBe(plan.totals.multiNodeDeployments);
    // a refusal is a reason, never an internal error
    expect(census.filter((c) => c.reason?.startsWith("internal error"))).toEqual([]);
    // a recipe the row's file reads is located: file:line:col
    for (const c of census)
      if (c.reason && !c.reason.includes("not found")) expect(c.reason).toMatch(/:\d+:\d+: |CONFIG_FILE/);
  });

  it("vLLM DP rows build under the srtctl their runner pins, whose default DP launch is per GPU", () => {
    const plan = labPlan();
    // launch_gb200-nv.sh (dynamo-vllm + dsv4) and launch_b200-dgxc-slurm.sh (dynamo-vllm + kimik2.6 fp4)
    const pins: Array<[string, string]> = [
      ["dsv4-fp4-gb200-dynamo-vllm", "v1.0.31"],
      ["kimik2.6-fp4-b200-dynamo-vllm", "c180328b98c3793ca84a1e24a030f90545eb7d5d"],
    ];
    for (const [key, ref] of pins) {
      const source = srtRecipeSource(
        [`${join(LAB!, "srt-slurm")}@${ref}`, IX, join(IX, "benchmarks", "multi_node", "srt-slurm-recipes")],
        gitTree,
      );
      const rows = plan.deployments.filter((d) => d.configKey === key);
      const census = srtRecipeCensus(rows, source);
      process.stdout.write(
        `${key} @ ${ref}: ${census.filter((c) => !c.reason).length} of ${census.length} build (srtctl's DP default per GPU)\n`,
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(census.filter((c) => c.reason)).toEqual([]);
      const found = source(census[0]!.configFile!.split(":")[0]!);
      expect("srtctl" in found && found.srtctl?.dpLaunchMode).toBe("per_gpu");
    }
  });
});
