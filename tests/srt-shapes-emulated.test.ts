/**
 * End to end on the emulated engine, recipes we write in srt-slurm's format (configs/srt-slurm-recipes/
 * with fields added): SGLang 1P1D with `kv_events_config` and `gpus_per_node: 2` on 4-GPU nodes (each
 * TP2 worker on its own node, GPUs 0-1, publishing on its slot's KV-events port): the gang comes up
 * and serves a load point.
 */
import { readFileSync } from "node:fs";
import { makeDeployment } from "@benchfleet/recipes/test-support";
import type { Deployment } from "@benchfleet/shared";
import { afterAll, describe, expect, it } from "vitest";
import { EmulatedGangs, planOnFreePorts } from "./helpers/emulated-gang.js";

const gangs = new EmulatedGangs();
const recipe = (rel: string) => readFileSync(new URL(`../configs/srt-slurm-recipes/${rel}`, import.meta.url), "utf8");

function sglangRow(): Deployment {
  const configFile = "recipes/dsr1-fp4/gb200-disagg-1p1d.yaml";
  const text = recipe("dsr1-fp4/gb200-disagg-1p1d.yaml")
    .replace("gpus_per_node: 4", "gpus_per_node: 2")
    .replace("backend:\n  type: sglang\n", "backend:\n  type: sglang\n  kv_events_config: true\n");
  expect(text).toContain("kv_events_config: true");
  const d = makeDeployment({
    configKey: "dsr1-fp4-gb200-kv-events-e2e",
    sku: "gb200",
    framework: "dynamo-sglang",
    model: "nvidia/DeepSeek-R1-0528-FP4-V2",
    modelPrefix: "dsr1",
    precision: "fp4",
    image: "nvcr.io/nvidia/ai-dynamo/sglang-runtime:0.8.1",
    isl: 256,
    osl: 16,
    concs: [4],
    prefill: { numWorker: 1, tp: 2, additionalSettings: [`CONFIG_FILE=${configFile}`] },
    decode: { numWorker: 1, tp: 2, additionalSettings: [`CONFIG_FILE=${configFile}`] },
  });
  return { ...d, srtRecipe: { configFile, path: "srt/gb200-disagg-1p1d.yaml", text } };
}

describe("srt-slurm recipes with KV events and fewer GPUs a node on the emulated engine", () => {
  afterAll(() => gangs.stop());

  it("SGLang 1P1D TP2, gpus_per_node 2, kv_events_config: two nodes, GPUs 0-1 each; one load point", async () => {
    const d = sglangRow();
    const plan = await planOnFreePorts(d);
    const workers = plan.nodes.flatMap((n) => n.processes.filter((p) => p.role === "prefill" || p.role === "decode"));
    expect(workers.map((w) => [w.name, w.gpus])).toEqual([
      ["prefill-0-rank0", [0, 1]],
      ["decode-0-rank0", [0, 1]],
    ]);
    const perNode = plan.nodes.map((n) =>
      n.processes.filter((p) => p.role === "prefill" || p.role === "decode").map((p) => p.name),
    );
    expect(perNode).toEqual([["prefill-0-rank0"], ["decode-0-rank0"]]);
    for (const w of workers) expect(w.argv.join(" ")).toContain(`tcp://*:${w.ports.kvEvents}`);

    const { res, lines } = await gangs.launchAndLoad(plan, d, "e2e-kv-events-sglang");
    expect(res.status, lines.slice(-10).join("\n")).toBe("ok");
    expect(res.bench.completed).toBe(12);
    expect(res.bench.failed).toBe(0);
  }, 60_000);
});
