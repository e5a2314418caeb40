/**
 * Against the reference lab's real checkout (skipped without it): every agentic-coding deployment of
 * InferenceX's master configs, planned with its runners file as `benchfleet plan --scenario
 * agentic-coding` plans them, builds its launch plan with benchfleet's recipes, but for the shapes
 * named below, which are refused with their reason. BENCHFLEET_LAB_CHECKOUTS is a directory holding
 * an `InferenceX` checkout. The count is printed; docs/agentic.md records it.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { checkRecipes, planFromFiles } from "@benchfleet/controller";
import { unlaunchableByReason } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";

const LAB = process.env.BENCHFLEET_LAB_CHECKOUTS;
const IX = LAB ? join(LAB, "InferenceX") : "";

describe.skipIf(!LAB || !existsSync(join(IX, "configs", "runners.yaml")))(
  "agentic deployments of the lab's master configs",
  () => {
    it("every one launches from benchfleet's recipes", () => {
      const config = readdirSync(join(IX, "configs"))
        .filter((f) => f.endsWith("master.yaml"))
        .map((f) => join(IX, "configs", f));
      const plan = planFromFiles({
        config,
        runners: join(IX, "configs", "runners.yaml"),
        scenarios: ["agentic-coding"],
      });
      const refused = checkRecipes(plan);
      const byReason = unlaunchableByReason(refused);
      console.log(
        `agentic: ${plan.deployments.length - refused.length} of ${plan.deployments.length} deployments launch; refused:\n` +
          byReason.map((r) => `  ${r.reason}: ${r.configKeys.join(", ")}`).join("\n"),
      );
      expect(plan.deployments.length).toBeGreaterThan(0);
      expect(byReason.map((r) => `${r.reason}: ${r.configKeys.join(", ")}`)).toEqual([]);
    }, 120_000);
  },
);
