/**
 * End to end on the emulated engine: rows launched from srt-slurm recipes we write here in srt-slurm's
 * format, with srtctl's non-Dynamo frontends:
 * - `frontend.type: vllm`: one aggregated `vllm serve` worker over two nodes, its leader serving the
 *   public port and its other rank headless, no etcd/NATS/frontend; readiness by /health and
 *   /v1/models, the canary and one load point straight to the worker;
 * - `frontend.type: sglang`: plain SGLang prefill and decode servers (decode over two nodes), etcd and
 *   NATS stand-ins, sglang routers on the worker nodes behind nginx; the routers' /workers counts
 *   what srtctl's readiness waits for, then the canary and one load point.
 */
import { readFileSync } from "node:fs";
import { makeDeployment } from "@benchfleet/recipes/test-support";
import type { Deployment } from "@benchfleet/shared";
import { afterAll, describe, expect, it, vi } from "vitest";
import { EmulatedGangs, planOnFreePorts } from "./helpers/emulated-gang.js";

const gangs = new EmulatedGangs();

const DIRECT_VLLM = `name: "dsr1-vllm-direct-h200-tp8pp2"
model: { path: "dsr1", container: "vllm/vllm-openai:v0.25.1", precision: "fp8" }
dynamo: { install: false }
resources: { gpu_type: "h200", gpus_per_node: 8, agg_nodes: 2, agg_workers: 1, gpus_per_agg: 16 }
frontend: { type: vllm, enable_multiple_frontends: false }
backend:
  type: vllm
  connector: null
  aggregated_environment: { VLLM_ENGINE_READY_TIMEOUT_S: "3600" }
  vllm_config:
    aggregated:
      served-model-name: "deepseek-ai/DeepSeek-R1-0528"
      tensor-parallel-size: 8
      pipeline-parallel-size: 2
      api-server-count: 2
benchmark: { type: "sa-bench", isl: 256, osl: 16, concurrencies: "4" }
`;

function directVllmRow(): Deployment {
  const configFile = "recipes/dsr1/h200-vllm-direct.yaml";
  const d = makeDeployment({
    configKey: "dsr1-fp8-h200-vllm-direct-e2e",
    sku: "h200",
    framework: "dynamo-vllm",
    model: "deepseek-ai/DeepSeek-R1-0528",
    modelPrefix: "dsr1",
    precision: "fp8",
    image: "vllm/vllm-openai:v0.25.1",
    isl: 256,
    osl: 16,
    concs: [4],
    prefill: { numWorker: 1, tp: 8, pp: 2, additionalSettings: [`CONFIG_FILE=${configFile}`] },
    decode: { numWorker: 0, tp: 8, pp: 2 },
  });
  return { ...d, disagg: false, srtRecipe: { configFile, path: "srt/dsr1/h200-vllm-direct.yaml", text: DIRECT_VLLM } };
}

function sglangRouterRow(): Deployment {
  const configFile = "recipes/dsr1-fp4/gb200-sglang-router-1p1d.yaml";
  const text = readFileSync(
    new URL("../configs/srt-slurm-recipes/dsr1-fp4/gb200-sglang-router-1p1d.yaml", import.meta.url),
    "utf8",
  );
  const d = makeDeployment({
    configKey: "dsr1-fp4-gb200-sglang-router-e2e",
    sku: "gb200",
    framework: "dynamo-sglang",
    model: "nvidia/DeepSeek-R1-0528-FP4-V2",
    modelPrefix: "dsr1",
    precision: "fp4",
    image: "lmsysorg/sglang:v0.5.17-cu130",
    isl: 256,
    osl: 16,
    concs: [4],
    prefill: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${configFile}`] },
    decode: { numWorker: 1, tp: 8, additionalSettings: [`CONFIG_FILE=${configFile}`] },
  });
  return { ...d, srtRecipe: { configFile, path: "srt/dsr1-fp4/gb200-sglang-router-1p1d.yaml", text } };
}

describe("srt-slurm recipes with srtctl's own frontends on the emulated engine", () => {
  afterAll(() => gangs.stop());

  it("frontend.type vllm: vllm serve on the public port, a headless rank, no infra; one load point", async () => {
    const d = directVllmRow();
    const plan = await planOnFreePorts(d);
    expect(plan.nodes.map((n) => n.processes.map((p) => p.name))).toEqual([["agg-0-rank0"], ["agg-0-rank1"]]);
    const leader = plan.nodes[0]!.processes[0]!;
    expect(plan.endpoint.baseUrl).toBe(`http://127.0.0.1:${leader.ports.http}`);

    const { res, lines } = await gangs.launchAndLoad(plan, d, "e2e-vllm-direct");
    expect(res.status, lines.slice(-10).join("\n")).toBe("ok");
    expect(res.bench.completed).toBe(12);
    expect(res.bench.failed).toBe(0);
    expect(res.bench.total_output_tokens).toBe(12 * d.osl);
    // the leader answered srtctl's readiness itself: /v1/models lists the served model
    const models = (await (await fetch(`${plan.endpoint.baseUrl}/v1/models`)).json()) as {
      data: Array<{ id: string }>;
    };
    expect(models.data.map((m) => m.id)).toContain("deepseek-ai/DeepSeek-R1-0528");
    await vi.waitFor(
      () => expect(lines).toContain("agg-0-rank1: headless rank: serves nothing; its worker's rank 0 serves"),
      { timeout: 20_000, interval: 100 },
    );
    expect(gangs.running.find((x) => x.proc.name === "agg-0-rank1")!.proc.exit).toBeUndefined();
  }, 60_000);

  it("frontend.type sglang: SGLang servers, routers behind nginx counting the workers; one load point", async () => {
    const d = sglangRouterRow();
    const plan = await planOnFreePorts(d);
    expect(plan.nodes.map((n) => n.processes.map((p) => p.name))).toEqual([
      ["infra-etcd", "infra-nats", "prefill-0-rank0", "nginx"],
      ["decode-0-rank0", "router-0"],
      ["decode-0-rank1", "router-1"],
    ]);

    const { res, lines } = await gangs.launchAndLoad(plan, d, "e2e-sglang-router");
    expect(res.status, lines.slice(-10).join("\n")).toBe("ok");
    expect(res.bench.completed).toBe(12);
    expect(res.bench.failed).toBe(0);
    expect(res.bench.total_output_tokens).toBe(12 * d.osl);
    // each router's /workers answers as sgl-router's: one healthy prefill and one decode worker
    for (const name of ["router-0", "router-1"]) {
      const node = plan.nodes.find((n) => n.processes.some((p) => p.name === name))!;
      const router = node.processes.find((p) => p.name === name)!;
      const body = (await (await fetch(`http://${node.ip}:${router.ports.http}/workers`)).json()) as {
        stats: Record<string, number>;
      };
      expect(body.stats).toEqual({ prefill_count: 1, decode_count: 1, regular_count: 0 });
    }
  }, 60_000);
});
