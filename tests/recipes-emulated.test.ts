/**
 * End to end: recipe plans run with the emulated engine standing in for each process — the plan's
 * argv handed to the emulated launcher, real child processes on 127.0.0.1..N — through per-process
 * readiness, the gang readiness (router/frontend health + canary) and one load point:
 * - a disaggregated SGLang plan (2 prefill + 1 decode worker on three "nodes" plus the router);
 * - a dynamo-vllm gb200 plan whose DEP8 prefill and TP8 decode workers each span 2 nodes (4 "nodes"):
 *   etcd/NATS stand-ins, rank-0 workers, `--headless` ranks that stay up serving nothing, and the
 *   frontend whose /health must list one `generate` instance per worker;
 * - the same model launched from an srt-slurm recipe (configs/srt-slurm-recipes/dsv4-fp4/
 *   gb200-vllm-1p1d-dep8.yaml): DEP8 workers launched one process per node, as srtctl's per-node DP
 *   launch does, each node's process serving its own four ranks, so the frontend waits for two
 *   `generate` instances per role.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { loadPresets } from "@benchfleet/recipes";
import { makeDeployment } from "@benchfleet/recipes/test-support";
import { afterAll, describe, expect, it, vi } from "vitest";
import { EmulatedGangs, planOnFreePorts } from "./helpers/emulated-gang.js";

const presets = loadPresets(fileURLToPath(new URL("../configs/recipes/", import.meta.url)));

const gangs = new EmulatedGangs();

describe("recipe plan on the emulated engine", () => {
  afterAll(() => gangs.stop());

  it("sglang-disagg 2P1D: launch, readiness, canary, one load point", async () => {
    const d = makeDeployment({
      configKey: "dsr1-fp8-h200-sglang-disagg-e2e",
      sku: "h200",
      framework: "sglang-disagg",
      model: "deepseek-ai/DeepSeek-R1-0528",
      modelPrefix: "dsr1",
      precision: "fp8",
      image: "lmsysorg/sglang:v0.5.16-cu129",
      isl: 256,
      osl: 16,
      concs: [4],
      kvP2pTransfer: "mooncake",
      specDecoding: "mtp",
      prefill: { numWorker: 2, tp: 8, ep: 8, dpAttn: true },
      decode: { numWorker: 1, tp: 8, ep: 8, dpAttn: true },
    });
    const plan = await planOnFreePorts(d, { rdma: ["mlx5_0"], presets });
    expect(plan.nodes.map((n) => n.processes.map((p) => p.role))).toEqual([
      ["prefill", "router"],
      ["prefill"],
      ["decode"],
    ]);

    const { res, lines } = await gangs.launchAndLoad(plan, d, "e2e-1");
    expect(res.status, lines.slice(-10).join("\n")).toBe("ok");
    expect(res.bench.completed).toBe(12);
    expect(res.bench.failed).toBe(0);
    expect(res.bench.total_output_tokens).toBe(12 * d.osl);
    // the router reached both prefill workers' addresses from the plan's argv
    const router = plan.nodes[0]!.processes.find((p) => p.role === "router")!;
    expect(router.argv.filter((a) => a.startsWith("http://127.0.0."))).toHaveLength(3);
  }, 60_000);

  it("dynamo-vllm gb200 DEP8 prefill + TP8 decode spanning 2 nodes each: headless ranks, frontend, one load point", async () => {
    const d = makeDeployment({
      configKey: "dsr1-fp4-gb200-dynamo-vllm-e2e",
      sku: "gb200",
      framework: "dynamo-vllm",
      model: "deepseek-ai/DeepSeek-R1-0528",
      modelPrefix: "dsr1",
      precision: "fp4",
      image: "vllm/vllm-openai:v0.25.1",
      isl: 256,
      osl: 16,
      concs: [4],
      kvP2pTransfer: "nixl",
      prefill: { numWorker: 1, tp: 8, ep: 8, dpAttn: true },
      decode: { numWorker: 1, tp: 8, ep: 1, dpAttn: false },
    });
    const plan = await planOnFreePorts(d, { presets });
    expect(plan.nodes.map((n) => n.processes.map((p) => p.name))).toEqual([
      ["infra-etcd", "infra-nats", "prefill-0-rank0", "frontend"],
      ["prefill-0-rank1"],
      ["decode-0-rank0"],
      ["decode-0-rank1"],
    ]);
    const headless = plan.nodes.flatMap((n) => n.processes).filter((p) => p.argv.includes("--headless"));
    expect(headless.map((p) => p.name)).toEqual(["prefill-0-rank1", "decode-0-rank1"]);

    const { res, lines } = await gangs.launchAndLoad(plan, d, "e2e-dynamo-vllm");
    expect(res.status, lines.slice(-10).join("\n")).toBe("ok");
    expect(res.bench.completed).toBe(12);
    expect(res.bench.failed).toBe(0);
    expect(res.bench.total_output_tokens).toBe(12 * d.osl);
    // the headless ranks ran as idle stand-ins (still up, no server), the emulated engines as rank 0 only
    for (const name of ["prefill-0-rank1", "decode-0-rank1"]) {
      // a headless rank waits for nothing, so on a busy host it may print after the load point
      await vi.waitFor(
        () => expect(lines).toContain(`${name}: headless rank: serves nothing; its worker's rank 0 serves`),
        { timeout: 20_000, interval: 100 },
      );
      const r = gangs.running.find((x) => x.proc.name === name)!;
      expect(r.proc.exit).toBeUndefined();
    }
    // the frontend's readiness held: one prefill and one decode `generate` instance listed
    const fe = plan.nodes[0]!.processes.find((p) => p.role === "frontend")!;
    const health = (await (await fetch(fe.health[0]!.url!)).json()) as { instances: Array<{ component: string }> };
    expect(health.instances.map((i) => i.component).sort()).toEqual(["decode", "prefill"]);
  }, 60_000);

  it("dynamo-vllm DEP8 from an srt-slurm recipe, one process per node: every node's process an instance", async () => {
    const configFile = "recipes/dsv4-fp4/gb200-vllm-1p1d-dep8.yaml";
    const text = readFileSync(
      new URL("../configs/srt-slurm-recipes/dsv4-fp4/gb200-vllm-1p1d-dep8.yaml", import.meta.url),
      "utf8",
    );
    // the emulated engine knows DeepSeek-R1, not V4: the recipe's topology and flags, R1's model
    const d0 = makeDeployment({
      configKey: "dsr1-fp4-gb200-dynamo-vllm-dep8-recipe-e2e",
      sku: "gb200",
      framework: "dynamo-vllm",
      model: "deepseek-ai/DeepSeek-R1-0528",
      modelPrefix: "dsr1",
      precision: "fp4",
      image: "vllm/vllm-openai:v0.25.1",
      isl: 256,
      osl: 16,
      concs: [4],
      prefill: { numWorker: 1, tp: 8, ep: 8, dpAttn: true, additionalSettings: [`CONFIG_FILE=${configFile}`] },
      decode: { numWorker: 1, tp: 8, ep: 8, dpAttn: true, additionalSettings: [`CONFIG_FILE=${configFile}`] },
    });
    const d = { ...d0, srtRecipe: { configFile, path: "srt/dsv4-fp4/gb200-vllm-1p1d-dep8.yaml", text } };
    const plan = await planOnFreePorts(d);
    const workers = plan.nodes.flatMap((n) => n.processes).filter((p) => p.role === "prefill" || p.role === "decode");
    expect(workers.map((p) => p.name)).toEqual([
      "prefill-0-rank0",
      "prefill-0-rank1",
      "decode-0-rank0",
      "decode-0-rank1",
    ]);
    for (const p of workers) {
      expect(p.argv.at(-1)).toMatch(/--data-parallel-size-local 4 --data-parallel-start-rank [04] /);
      expect(p.argv.at(-1)).toContain("--data-parallel-hybrid-lb");
    }

    const { res, lines } = await gangs.launchAndLoad(plan, d, "e2e-dynamo-vllm-dep8-recipe");
    expect(res.status, lines.slice(-10).join("\n")).toBe("ok");
    expect(res.bench.completed).toBe(12);
    expect(res.bench.failed).toBe(0);
    // the frontend's readiness held: two prefill and two decode `generate` instances, one per node
    const fe = plan.nodes.flatMap((n) => n.processes).find((p) => p.name === "frontend-0")!;
    const health = (await (await fetch(fe.health[0]!.url!)).json()) as { instances: Array<{ component: string }> };
    expect(health.instances.map((i) => i.component).sort()).toEqual(["decode", "decode", "prefill", "prefill"]);
  }, 60_000);
});
