/**
 * Against the reference lab's real checkout (skipped without it): every agentic-coding deployment of
 * InferenceX's master configs, planned with its runners file as `benchfleet plan --scenario
 * agentic-coding` plans them, builds its launch plan with benchfleet's recipes, but for the shapes
 * named below, which are refused with their reason. BENCHFLEET_LAB_CHECKOUTS is a directory holding
 * an `InferenceX` checkout. The count is printed; docs/agentic.md records it.
 *
 * With an `srt-slurm` checkout beside it, the multi-node agentic rows' srt-slurm recipes
 * (CONFIG_FILE=) go through the srt census as fixed-seq-len rows' do: which recipes could be read
 * and launched for their row, and why the others cannot. The planner does not launch agentic rows
 * from their recipes (it warns); the census is what stands between them. docs/agentic.md records it.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { checkRecipes, planFromFiles } from "@benchfleet/controller";
import { reasonKind, srtRecipeCensus, srtRecipeSource } from "@benchfleet/recipes";
import { type Deployment, unlaunchableByReason } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";

const LAB = process.env.BENCHFLEET_LAB_CHECKOUTS;
const IX = LAB ? join(LAB, "InferenceX") : "";

const namesConfigFile = (d: Deployment) =>
  [d.prefill, d.decode].some((p) => p?.additionalSettings.some((s) => s.startsWith("CONFIG_FILE=")));

function labAgenticPlan(extra: { keys?: string[]; srtSlurm?: string[]; lab?: string } = {}) {
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

describe.skipIf(!LAB || !existsSync(join(IX, "configs", "runners.yaml")))(
  "agentic deployments of the lab's master configs",
  () => {
    it("every one launches from benchfleet's recipes but the rows the checkout has no script for", () => {
      // planned with the checkout, as `plan --lab`: single-node rows without a lab script are unlaunchable
      const plan = labAgenticPlan({ lab: IX });
      const refused = checkRecipes(plan);
      const byReason = unlaunchableByReason(refused);
      const noScript = plan.deployments.filter((d) => d.labScriptMissing !== undefined);
      console.log(
        `agentic: ${plan.deployments.length - refused.length} of ${plan.deployments.length} deployments launch; ` +
          `${noScript.length} (${noScript.reduce((n, d) => n + d.points.length, 0)} points) have no lab script; refused:\n` +
          byReason.map((r) => `  ${r.reason}: ${r.configKeys.join(", ")}`).join("\n"),
      );
      expect(plan.deployments.length).toBeGreaterThan(0);
      // the lab removed the script of this key (InferenceX edcc6032f) and kept its config rows
      expect([...new Set(noScript.map((d) => d.configKey))]).toEqual(["qwen3.5-fp8-h100-sglang-agentic"]);
      expect(refused.map((u) => u.fingerprint).sort()).toEqual(noScript.map((d) => d.fingerprint).sort());
      // with the checkout the rows of scripts whose preset says script-mode run the lab's script (its
      // path and hash in their fingerprint); without it nothing is looked for: the same deployments
      // from the presets, all launch
      const scripted = new Set(plan.deployments.filter((d) => d.labScript).map((d) => d.configKey));
      expect(scripted.size).toBeGreaterThan(0);
      const bare = labAgenticPlan();
      const fingerprints = (p: typeof plan) =>
        p.deployments.filter((d) => !scripted.has(d.configKey)).map((d) => d.fingerprint);
      expect(fingerprints(bare)).toEqual(fingerprints(plan));
      expect(bare.deployments.filter((d) => d.labScript)).toEqual([]);
      expect(checkRecipes(bare)).toEqual([]);
    }, 120_000);

    it.skipIf(!existsSync(join(LAB ?? "", "srt-slurm")))(
      "the multi-node rows' srt-slurm recipes are read or refused with a located reason",
      () => {
        const plan = labAgenticPlan();
        const named = plan.deployments.filter((d) => d.multinode && namesConfigFile(d));
        // every entry whose rows name a recipe says that it is planned from benchfleet's own recipe
        const keys = [...new Set(named.map((d) => d.configKey))];
        for (const k of keys)
          expect(
            plan.warnings?.filter((w) => w.includes(`: ${k}: its agentic-coding rows name srt-slurm`)),
          ).toHaveLength(1);
        const source = srtRecipeSource([
          join(LAB!, "srt-slurm"),
          IX,
          join(IX, "benchmarks", "multi_node", "srt-slurm-recipes"),
        ]);
        const census = srtRecipeCensus(named, source);
        const kinds = new Map<string, number>();
        for (const c of census)
          if (c.reason) kinds.set(reasonKind(c.reason), (kinds.get(reasonKind(c.reason)) ?? 0) + 1);
        const lines = [...kinds.entries()]
          .sort((a, b) => b[1] - a[1])
          .map(([k, n]) => `${String(n).padStart(4)}  ${k}`);
        if (process.env.BENCHFLEET_CENSUS_DUMP)
          for (const c of census) process.stdout.write(`${c.configKey}\t${c.configFile}\t${c.reason ?? "BUILDS"}\n`);
        process.stdout.write(
          `agentic srt-slurm census: ${census.filter((c) => !c.reason).length} of ${census.length} deployments (${keys.length} keys) read and launch from their recipe\n${lines.join("\n")}\n`,
        );
        expect(census).toHaveLength(named.length);
        expect(census.filter((c) => c.reason?.startsWith("internal error"))).toEqual([]);
        for (const c of census) if (c.reason && !c.reason.includes("not found")) expect(c.reason).toMatch(/:\d+:\d+: /);

        // planned as `plan --srt-slurm` plans them, key by key (a recipe file not found leaves its
        // deployments planned and unlaunchable, naming the row and the paths searched): the same
        // deployments launch from their recipe, each key with the warning that its recipe's
        // benchmark is not run
        const dirs = [join(LAB!, "srt-slurm"), IX, join(IX, "benchmarks", "multi_node", "srt-slurm-recipes")];
        let launched = 0;
        let refused = 0;
        for (const key of keys) {
          const ofKey = named.filter((d) => d.configKey === key).length;
          const plan = labAgenticPlan({ keys: [key], srtSlurm: dirs });
          const withRecipe = plan.deployments.filter((d) => d.srtRecipe);
          expect(withRecipe).toHaveLength(ofKey);
          const reasons = new Map(checkRecipes(plan).map((u) => [u.fingerprint, u.reason]));
          for (const d of withRecipe.filter((x) => x.srtRecipe!.notFound !== undefined)) {
            expect(reasons.get(d.fingerprint)).toMatch(/:\d+:\d+: .*not found; searched /);
            refused++;
          }
          const unlaunchable = new Set(reasons.keys());
          const ok = withRecipe.filter((d) => !unlaunchable.has(d.fingerprint));
          launched += ok.length;
          if (ok.length)
            expect(plan.warnings?.some((w) => w.includes("benchmark.type: benchmark custom") && w.includes(key))).toBe(
              true,
            );
        }
        process.stdout.write(
          `planned with --srt-slurm: ${launched} of ${named.length} launch from their recipe; ${refused} planned unlaunchable (recipe not found)\n`,
        );
        expect(launched).toBe(census.filter((c) => !c.reason).length);
      },
      120_000,
    );
  },
);
