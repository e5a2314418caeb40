import { describe, expect, it } from "vitest";
import { findUnlaunchable, formatUnlaunchable } from "./launchable.js";
import { type DeploymentInput, DSR1_H200_SGLANG, makeDeployment } from "./test-support/deployments.js";

const base: DeploymentInput = DSR1_H200_SGLANG;

describe("findUnlaunchable", () => {
  const ok = makeDeployment(base);
  it("lists the deployments a recipe refuses with the recipe's reason (config key prefix dropped); launchable ones are not listed", () => {
    const tilert = makeDeployment({ ...base, configKey: "glm5-fp8-b200-tilert", framework: "tilert" });
    const atom = makeDeployment({ ...base, configKey: "dsr1-fp8-h200-atom", framework: "atom-disagg" });
    const found = findUnlaunchable([ok, tilert, atom]);
    expect(found.map((u) => [u.fingerprint, u.reason])).toEqual([
      [tilert.fingerprint, "no recipe for framework tilert"],
      [atom.fingerprint, expect.stringMatching(/^framework atom-disagg: disaggregated ATOM is not supported yet/)],
    ]);
    expect(findUnlaunchable([ok])).toEqual([]);
  });

  it("formats one line per reason with the config keys it affects, nothing when all are launchable", () => {
    const u = (configKey: string, reason: string) => ({
      fingerprint: configKey,
      configKey,
      framework: "x",
      sku: "h100",
      reason,
    });
    expect(formatUnlaunchable([u("a", "r1"), u("b", "r1"), u("a", "r2")], 10)).toBe(
      "3 of 10 deployments cannot be launched by any recipe (their jobs would fail at launch):\n" +
        "  - r1\n      a, b\n" +
        "  - r2\n      a\n",
    );
    expect(formatUnlaunchable([], 10)).toBe("");
  });
});
