/**
 * SGLang's `--nccl-port` as the srtctl of the checkout renders it: from srt-slurm #318 on, srtctl
 * derives one per worker and drops a recipe's own; before (every ref the lab's runners pin), it
 * passes none and leaves a recipe's `nccl-port` in the engine config. Trees written per test, and
 * our GB200 1P1D recipe (configs/srt-slurm-recipes/dsr1-fp4/gb200-disagg-1p1d.yaml).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Deployment, SrtRecipeRef } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";
import type { SrtTree } from "./srt-tree.js";
import { srtctlDefaults } from "./srtctl-defaults.js";

const REL = "dsr1-fp4/gb200-disagg-1p1d.yaml";
const TEXT = readFileSync(fileURLToPath(new URL(`../../../configs/srt-slurm-recipes/${REL}`, import.meta.url)), "utf8");

/** the recipe with an `nccl-port` of its own in the prefill config */
const OWN = TEXT.replace(
  "      disaggregation-transfer-backend: nixl\n      cuda-graph-bs: [1, 2, 4, 8]\n    decode:",
  "      disaggregation-transfer-backend: nixl\n      cuda-graph-bs: [1, 2, 4, 8]\n      nccl-port: 5000\n    decode:",
);

const tree = (files: Record<string, string>): SrtTree => ({ where: (rel) => `t/${rel}`, read: (rel) => files[rel] });
const VLLM = { "src/srtctl/backends/vllm.py": "cmd = ['--device-ids']\n" };

function row(text: string, srtctl?: SrtRecipeRef["srtctl"]): Deployment {
  const configFile = `recipes/${REL}`;
  const d = makeDeployment({
    configKey: "demo-dsr1-fp4-gb200-dynamo-sglang",
    sku: "gb200",
    framework: "dynamo-sglang",
    model: "nvidia/DeepSeek-R1-0528-FP4-V2",
    modelPrefix: "dsr1",
    precision: "fp4",
    image: "nvcr.io/nvidia/ai-dynamo/sglang-runtime:0.8.1",
    isl: 1024,
    concs: [4],
    prefill: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${configFile}`] },
    decode: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${configFile}`] },
  });
  return { ...d, srtRecipe: { configFile, path: `srt/${REL}`, text, ...(srtctl ? { srtctl } : {}) } };
}

/** the `--nccl-port` values of each worker's command */
const ncclPorts = (d: Deployment) =>
  buildLaunchPlan(d, makePlacement(d))
    .nodes.flatMap((n) => n.processes)
    .filter((p) => p.role === "prefill" || p.role === "decode")
    .map((p) => [...p.argv.join(" ").matchAll(/--nccl-port'? '?(\d+)/g)].map((m) => Number(m[1])));

describe("SGLang --nccl-port as the checkout's srtctl passes it", () => {
  it("is read from the checkout's SGLang backend", () => {
    const main = { ...VLLM, "src/srtctl/backends/sglang.py": 'cmd.extend(["--nccl-port", str(nccl_port)])\n' };
    const pinned = { ...VLLM, "src/srtctl/backends/sglang.py": 'cmd.extend(["--port", str(process.http_port)])\n' };
    expect(srtctlDefaults([tree(main)])?.sglangNcclPort).toBeUndefined();
    expect(srtctlDefaults([tree(pinned)])?.sglangNcclPort).toBe(false);
    // a recipes overlay without srtctl's sources says nothing
    expect(srtctlDefaults([tree(pinned), tree({ "recipes/x.yaml": "" })])?.sglangNcclPort).toBe(false);
  });

  it("main: one port per worker from the attempt's block, a recipe's own dropped", () => {
    expect(OWN).not.toBe(TEXT);
    const ports = ncclPorts(row(OWN));
    expect(ports).toHaveLength(2);
    for (const p of ports) {
      expect(p).toHaveLength(1);
      expect(p[0]).not.toBe(5000);
    }
  });

  it("before #318: none of srtctl's, a recipe's own passed as written", () => {
    expect(ncclPorts(row(TEXT, { sglangNcclPort: false }))).toEqual([[], []]);
    expect(ncclPorts(row(OWN, { sglangNcclPort: false }))).toEqual([[5000], []]);
  });
});
