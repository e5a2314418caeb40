/**
 * vLLM workers wider than a node (dynamo-vllm and vllm): the shapes the recipes refused before
 * ("dynamo-vllm with a prefill worker spanning N nodes", "multi-node tensor parallelism (Ray) is not
 * supported yet") now build, one process per node, rank 0 serving and the others headless.
 * The gb200/gb300 shapes are those of the reference lab's dsv4-fp4-gb200/gb300-dynamo-vllm* entries.
 */
import { fileURLToPath } from "node:url";
import type { LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "./index.js";
import { findUnlaunchable } from "./launchable.js";
import { slotPorts } from "./ports.js";
import { loadPresets } from "./preset-loader.js";
import { type DeploymentInput, makeDeployment, makePlacement } from "./test-support/deployments.js";

const presets = loadPresets(fileURLToPath(new URL("../../configs/recipes/", import.meta.url)));

const DSV4: Omit<DeploymentInput, "configKey" | "sku"> = {
  framework: "dynamo-vllm",
  model: "deepseek-ai/DeepSeek-V4-Pro",
  modelPrefix: "dsv4",
  precision: "fp4",
  image: "vllm/vllm-openai:v0.25.1",
  isl: 8192,
  concs: [256, 512],
  kvP2pTransfer: "nixl",
};

function plan(i: DeploymentInput): LaunchPlan {
  const d = makeDeployment(i);
  return buildLaunchPlan(d, makePlacement(d), { presets });
}
const all = (p: LaunchPlan) => p.nodes.flatMap((n) => n.processes.map((pr) => ({ node: n, pr })));
const workers = (p: LaunchPlan, role: string) => all(p).filter((x) => x.pr.role === role);
function flag(argv: string[], name: string): string | true | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  return argv[i + 1] === undefined || argv[i + 1]!.startsWith("--") ? true : argv[i + 1];
}
const headless = (pr: ProcessSpec) => pr.argv.includes("--headless");

describe("vLLM workers spanning nodes (formerly refused)", () => {
  it("gb200 DEP8 prefill + DEP8 decode: each worker is a head and a headless rank with start rank 4", () => {
    const p = plan({
      ...DSV4,
      configKey: "dsv4-fp4-gb200-dynamo-vllm",
      sku: "gb200",
      prefill: { numWorker: 2, tp: 8, ep: 8, dpAttn: true },
      decode: { numWorker: 1, tp: 8, ep: 8, dpAttn: true },
    });
    expect(p.nodes).toHaveLength(6);
    for (const role of ["prefill", "decode"]) {
      const ranks = workers(p, role);
      expect(ranks.map((x) => x.pr.name)).toEqual(
        role === "prefill"
          ? ["prefill-0-rank0", "prefill-0-rank1", "prefill-1-rank0", "prefill-1-rank1"]
          : ["decode-0-rank0", "decode-0-rank1"],
      );
      for (const { pr, node } of ranks) {
        const rank = Number(pr.name.slice(-1));
        expect(headless(pr)).toBe(rank > 0);
        expect(flag(pr.argv, "--data-parallel-start-rank")).toBe(rank > 0 ? "4" : undefined);
        expect(flag(pr.argv, "--data-parallel-size-local")).toBe("4");
        expect(pr.env.VLLM_NIXL_SIDE_CHANNEL_HOST).toBe(node.ip);
        expect("system" in pr.ports).toBe(rank === 0);
      }
    }
    // each prefill worker's ranks point at their own head, not at the other worker's
    const addr = (name: string) => flag(all(p).find((x) => x.pr.name === name)!.pr.argv, "--data-parallel-address");
    expect([addr("prefill-0-rank1"), addr("prefill-1-rank1")]).toEqual(["10.0.0.1", "10.0.0.3"]);
    expect(p.nodes[0]!.processes.find((x) => x.role === "frontend")!.health[0]!.expectInstances).toEqual([
      { components: ["prefill"], endpoint: "generate", count: 2 },
      { components: ["decode", "tensorrt_llm", "backend"], endpoint: "generate", count: 1 },
    ]);
  });

  it("gb300 DEP16 decode over 4 nodes: start ranks 4, 8, 12, all NIXL side-channel ports (+dp rank) inside the slot", () => {
    const p = plan({
      ...DSV4,
      configKey: "dsv4-fp4-gb300-dynamo-vllm",
      sku: "gb300",
      concs: [3072],
      prefill: { numWorker: 7, tp: 4, ep: 4, dpAttn: true },
      decode: { numWorker: 2, tp: 16, ep: 16, dpAttn: true },
    });
    expect(p.nodes).toHaveLength(15);
    const d0 = workers(p, "decode").filter((x) => x.pr.name.startsWith("decode-0-"));
    expect(d0.map((x) => flag(x.pr.argv, "--data-parallel-start-rank"))).toEqual([undefined, "4", "8", "12"]);
    expect(d0.map((x) => headless(x.pr))).toEqual([false, true, true, true]);
    const slot = slotPorts(20480, 0);
    for (const { pr } of d0) {
      const base = Number(pr.env.VLLM_NIXL_SIDE_CHANNEL_PORT);
      expect(base).toBe(slot.nixlSideChannel);
      expect(base + 15).toBeLessThan(slotPorts(20480, 1).http); // vLLM listens on base + dp rank
    }
    // the 4-GPU DEP4 prefill workers fit a node: no rank flags at all
    for (const { pr } of workers(p, "prefill")) {
      expect(flag(pr.argv, "--data-parallel-size-local")).toBeUndefined();
      expect(headless(pr)).toBe(false);
    }
  });

  it("gb200 TP8 prefill without dp-attn + 4 TP8 decode: multi-node TP through --master-addr/--master-port/--nnodes/--node-rank", () => {
    const p = plan({
      ...DSV4,
      configKey: "dsv4-fp4-gb200-dynamo-vllm",
      sku: "gb200",
      prefill: { numWorker: 1, tp: 8, ep: 1, dpAttn: false },
      decode: { numWorker: 4, tp: 8, ep: 1, dpAttn: false },
    });
    expect(p.nodes).toHaveLength(10);
    for (const role of ["prefill", "decode"]) {
      for (const { pr } of workers(p, role)) {
        const rank = Number(pr.name.slice(-1));
        expect(flag(pr.argv, "--nnodes")).toBe("2");
        expect(flag(pr.argv, "--node-rank")).toBe(String(rank));
        expect(headless(pr)).toBe(rank === 1);
        expect(flag(pr.argv, "--distributed-executor-backend")).toBeUndefined(); // no Ray
      }
    }
    const master = (name: string) => flag(all(p).find((x) => x.pr.name === name)!.pr.argv, "--master-addr");
    expect(["decode-0-rank1", "decode-3-rank1"].map(master)).toEqual(["10.0.0.3", "10.0.0.9"]);
  });

  it("decode num-worker 0 (the 'Aggregate low latency: TP=8' entries): dynamo-vllm serves aggregated on the prefill pool", () => {
    const p = plan({
      ...DSV4,
      configKey: "dsv4-fp4-gb200-dynamo-vllm-mtp2",
      sku: "gb200",
      concs: [1],
      specDecoding: "mtp",
      prefill: { numWorker: 1, tp: 8, ep: 1, dpAttn: false },
      decode: { numWorker: 0, tp: 8, ep: 1, dpAttn: false },
    });
    expect(p.nodes).toHaveLength(2);
    const ranks = workers(p, "worker");
    expect(ranks.map((x) => [x.pr.name, headless(x.pr)])).toEqual([
      ["prefill-0-rank0", false],
      ["prefill-0-rank1", true],
    ]);
    for (const { pr } of ranks) {
      expect(flag(pr.argv, "--disaggregation-mode")).toBeUndefined();
      expect(flag(pr.argv, "--kv-transfer-config")).toBeUndefined();
      expect(pr.env.VLLM_NIXL_SIDE_CHANNEL_PORT).toBeUndefined();
      expect(flag(pr.argv, "--max-num-seqs")).toBe("1");
    }
    expect(p.nodes[0]!.processes.find((x) => x.role === "frontend")!.health[0]!.expectInstances).toEqual([
      { components: ["decode", "tensorrt_llm", "backend"], endpoint: "generate", count: 1 },
    ]);
  });

  it("vllm serve TP16 over two 8-GPU nodes (PD): only rank 0 has --host/--port and a health check", () => {
    const p = plan({
      configKey: "gptoss-fp4-b200-vllm-disagg",
      sku: "b200",
      framework: "vllm",
      model: "openai/gpt-oss-120b",
      modelPrefix: "gptoss",
      precision: "fp4",
      image: "vllm/vllm-openai:v0.11.2",
      concs: [64],
      kvP2pTransfer: "nixl",
      prefill: { numWorker: 1, tp: 16 },
      decode: { numWorker: 1, tp: 8 },
    });
    const [r0, r1] = workers(p, "prefill").map((x) => x.pr) as [ProcessSpec, ProcessSpec];
    expect(r0.argv.slice(0, 3)).toEqual(["vllm", "serve", "openai/gpt-oss-120b"]);
    expect(Number(flag(r0.argv, "--port"))).toBe(r0.ports.http);
    expect(r0.health).toHaveLength(1);
    expect(flag(r1.argv, "--port")).toBeUndefined();
    expect(flag(r1.argv, "--host")).toBeUndefined();
    expect(r1.health).toEqual([]);
    expect(headless(r1)).toBe(true);
    expect(Number(flag(r1.argv, "--master-port"))).toBe(r0.ports.master);
    const router = p.nodes[0]!.processes.find((x) => x.role === "router")!;
    expect(flag(router.argv, "--prefiller-hosts")).toBe("10.0.0.1");
  });

  it("the plan's launchability check lists none of these shapes", () => {
    const ds = [
      makeDeployment({
        ...DSV4,
        configKey: "a",
        sku: "gb200",
        prefill: { numWorker: 1, tp: 8, ep: 8, dpAttn: true },
        decode: { numWorker: 1, tp: 8 },
      }),
      makeDeployment({
        ...DSV4,
        configKey: "b",
        sku: "gb300",
        prefill: { numWorker: 1, tp: 4, ep: 4, dpAttn: true },
        decode: { numWorker: 1, tp: 8, ep: 8, dpAttn: true },
      }),
      makeDeployment({
        ...DSV4,
        configKey: "c",
        sku: "gb200",
        prefill: { numWorker: 1, tp: 8 },
        decode: { numWorker: 0, tp: 8 },
      }),
    ];
    expect(findUnlaunchable(ds, { presets })).toEqual([]);
  });
});
