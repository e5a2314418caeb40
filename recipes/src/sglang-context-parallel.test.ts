/**
 * SGLang prefill context parallelism: a `tp: 1, pcp-size: 8` prefill pool is one 8-GPU TP group
 * with attention CP 8, as the reference lab's recipe writes it
 * (srt-slurm-recipes/sglang/glm5.2/agentic/disagg-h200-2p2d-pcp8-tp8-dp8-mtp.yaml); decode CP and
 * CP under DP attention, which the reference material gives no flags for, are refused.
 */
import type { LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "./index.js";
import { makeDeployment, makePlacement } from "./test-support/deployments.js";
import { goldenCases } from "./test-support/golden-cases.js";

const golden = (name: string) => {
  const c = goldenCases().find((x) => x.name === name)!;
  return buildLaunchPlan(c.deployment, c.placement);
};
const engines = (p: LaunchPlan): ProcessSpec[] => p.nodes.flatMap((n) => n.processes).filter((x) => x.gpus.length);
function flag(a: string[], name: string): string | undefined {
  const i = a.indexOf(name);
  if (i < 0) return undefined;
  return a[i + 1] === undefined || a[i + 1]!.startsWith("--") ? "" : a[i + 1];
}
const base = {
  configKey: "glm-h200-dynamo-sglang",
  sku: "h200" as const,
  framework: "dynamo-sglang",
  model: "zai-org/GLM-5.2-FP8",
  modelPrefix: "glm5.2",
  precision: "fp8",
  image: "img",
  concs: [8],
  kvP2pTransfer: "mooncake",
};

describe("SGLang prefill context parallelism", () => {
  it("pcp-size 8 over tp 1: one 8-GPU TP group with attention CP on each prefill worker, decode untouched", () => {
    const p = golden("dynamo-sglang-h200-2p2d-pcp8-agentic-mtp");
    const prefill = engines(p).filter((x) => x.role === "prefill");
    const decode = engines(p).filter((x) => x.role === "decode");
    expect(prefill).toHaveLength(2);
    for (const w of prefill) {
      expect(w.gpus).toHaveLength(8);
      expect(flag(w.argv, "--tensor-parallel-size")).toBe("8");
      expect(flag(w.argv, "--attn-cp-size")).toBe("8");
      expect(flag(w.argv, "--enable-prefill-cp")).toBe("");
      expect(flag(w.argv, "--cp-strategy")).toBe("interleave");
      expect(flag(w.argv, "--data-parallel-size")).toBe("1");
    }
    expect(decode).toHaveLength(2);
    for (const w of decode) {
      expect(flag(w.argv, "--attn-cp-size")).toBeUndefined();
      expect(flag(w.argv, "--enable-prefill-cp")).toBeUndefined();
      expect(flag(w.argv, "--tensor-parallel-size")).toBe("8");
    }
  });

  it("refuses decode CP and CP under DP attention, naming the row", () => {
    const dcp = makeDeployment({
      ...base,
      prefill: { numWorker: 1, tp: 8 },
      decode: { numWorker: 1, tp: 4, dcpSize: 2 },
    });
    expect(() => buildLaunchPlan(dcp, makePlacement(dcp))).toThrow(
      /glm-h200-dynamo-sglang: SGLang recipe has no decode context parallelism \(dcp-size 2\)/,
    );
    const dpa = makeDeployment({
      ...base,
      prefill: { numWorker: 1, tp: 2, pcpSize: 4, dpAttn: true },
      decode: { numWorker: 1, tp: 8 },
    });
    expect(() => buildLaunchPlan(dpa, makePlacement(dpa))).toThrow(
      /glm-h200-dynamo-sglang: prefill: SGLang prefill context parallelism \(pcp-size 4\) with DP attention/,
    );
  });
});
