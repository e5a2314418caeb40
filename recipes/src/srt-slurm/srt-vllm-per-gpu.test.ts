/**
 * vLLM's per-GPU DP launch (`dp_launch_mode: per_gpu`) from srt-slurm recipes written by us in
 * srt-slurm's format: configs/srt-slurm-recipes/kimik2.6-fp4/b200-vllm-1p2d-per-gpu.yaml (a DEP8
 * prefill worker on one B200 node, two TP4 decode workers) for the golden plan, and the GB200 DEP8
 * recipe switched to per_gpu for DP ranks across nodes, and srtctl's default launch read from the
 * srt-slurm checkout (srtctl-defaults.ts; checkouts written per test).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Deployment, LaunchPlan, ProcessSpec, SrtRecipeRef } from "@benchfleet/shared";
import { afterAll, describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";
import { srtRecipeSource } from "./recipe-dirs.js";

const RECIPES = fileURLToPath(new URL("../../../configs/srt-slurm-recipes/", import.meta.url));
const GOLDEN = fileURLToPath(new URL("../golden/srt-dynamo-vllm-b200-1p2d-per-gpu.json", import.meta.url));
const KIMI = "kimik2.6-fp4/b200-vllm-1p2d-per-gpu.yaml";
const DSV4 = "dsv4-fp4/gb200-vllm-1p1d-dep8.yaml";
const text = (f: string) => readFileSync(`${RECIPES}${f}`, "utf8");

function kimiRow(recipe = text(KIMI)): Deployment {
  const setting = `CONFIG_FILE=recipes/${KIMI}`;
  const d = makeDeployment({
    configKey: "test-kimik2.6-fp4-b200-dynamo-vllm",
    sku: "b200",
    framework: "dynamo-vllm",
    model: "nvidia/Kimi-K2.6-NVFP4",
    modelPrefix: "kimik2.6",
    precision: "fp4",
    image: "vllm/vllm-openai:v0.25.1",
    isl: 8192,
    osl: 1024,
    concs: [32, 64],
    prefill: { numWorker: 1, tp: 8, ep: 8, dpAttn: true, additionalSettings: [setting] },
    decode: { numWorker: 2, tp: 4, additionalSettings: [setting] },
  });
  return { ...d, srtRecipe: { configFile: `recipes/${KIMI}`, path: `srt/${KIMI}`, text: recipe } };
}

function dsv4Row(recipe: string, srtctl?: SrtRecipeRef["srtctl"]): Deployment {
  const setting = `CONFIG_FILE=recipes/${DSV4}`;
  const d = makeDeployment({
    configKey: "test-dsv4-fp4-gb200-dynamo-vllm",
    sku: "gb200",
    framework: "dynamo-vllm",
    model: "deepseek-ai/DeepSeek-V4-Pro",
    modelPrefix: "dsv4",
    precision: "fp4",
    image: "vllm/vllm-openai:v0.25.1",
    isl: 8192,
    osl: 1024,
    concs: [256, 512],
    prefill: { numWorker: 1, tp: 8, ep: 8, dpAttn: true, additionalSettings: [setting] },
    decode: { numWorker: 1, tp: 8, ep: 8, dpAttn: true, additionalSettings: [setting] },
  });
  return {
    ...d,
    srtRecipe: { configFile: `recipes/${DSV4}`, path: `srt/${DSV4}`, text: recipe, ...(srtctl ? { srtctl } : {}) },
  };
}

const plan = (d: Deployment) => buildLaunchPlan(d, makePlacement(d));
const procs = (p: LaunchPlan) => p.nodes.flatMap((n) => n.processes.map((pr) => ({ rank: n.rank, pr })));
const named = (p: LaunchPlan, prefix: string) => procs(p).filter((x) => x.pr.name.startsWith(prefix));
const byName = (p: LaunchPlan, name: string): ProcessSpec => {
  const hit = procs(p).find((x) => x.pr.name === name);
  if (!hit) throw new Error(`no process ${name} in ${procs(p).map((x) => x.pr.name)}`);
  return hit.pr;
};
/** the command inside the dynamo install wrapper (`bash -c '<preamble> && exec <argv>'`) */
function command(p: ProcessSpec): string[] {
  if (p.argv[0] !== "bash") return p.argv;
  const line = p.argv[2]!.slice(p.argv[2]!.indexOf(" && exec ") + 9);
  return [...line.matchAll(/(?:[^\s']+|'[^']*')+/g)].map((m) => m[0].replace(/'([^']*)'/g, "$1"));
}
const flag = (argv: string[], f: string) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : undefined);

describe("per-GPU DP launch from an srt-slurm recipe (dynamo + vLLM, B200, DEP8 prefill, 2 × TP4 decode)", () => {
  const p = plan(kimiRow());

  it("matches golden/srt-dynamo-vllm-b200-1p2d-per-gpu.json", () => {
    const out = `${JSON.stringify(p, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN || !existsSync(GOLDEN)) writeFileSync(GOLDEN, out);
    expect(out).toBe(readFileSync(GOLDEN, "utf8"));
  });

  it("launches one process per GPU, each with its DP rank, one GPU, the leader's address and RPC port", () => {
    const prefill = named(p, "prefill-0-");
    expect(prefill.map((x) => x.pr.name)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `prefill-0-rank${i}`));
    expect(new Set(prefill.map((x) => x.rank)).size).toBe(1);
    const rpc = new Set<string | undefined>();
    prefill.forEach(({ pr }, i) => {
      const argv = command(pr);
      expect(pr.gpus).toEqual([i]);
      expect(flag(argv, "--device-ids")).toBe(String(i));
      expect(flag(argv, "--data-parallel-rank")).toBe(String(i));
      expect(flag(argv, "--data-parallel-address")).toBe(p.nodes[prefill[0]!.rank]!.ip);
      rpc.add(flag(argv, "--data-parallel-rpc-port"));
      expect(argv).not.toContain("--data-parallel-hybrid-lb");
      expect(argv).not.toContain("--data-parallel-start-rank");
    });
    expect(rpc.size).toBe(1);
    expect(rpc.has("13346")).toBe(false);
  });

  it("keeps the recipe's config except the RPC port, as srtctl's per-GPU branch does", () => {
    const argv = command(byName(p, "prefill-0-rank3"));
    const cfg = argv.slice(argv.indexOf("--request-plane") + 2);
    expect(cfg).toEqual([
      "--data-parallel-size",
      "8",
      "--data-parallel-size-local",
      "8",
      "--enable-expert-parallel",
      "--enforce-eager",
      "--kv-transfer-config",
      '{"kv_connector": "NixlConnector", "kv_role": "kv_both"}',
      "--max-model-len",
      "10240",
      "--no-enable-prefix-caching",
      "--pipeline-parallel-size",
      "1",
      "--served-model-name",
      "moonshotai/Kimi-K2.6",
      "--tensor-parallel-size",
      "1",
    ]);
    expect(argv.filter((a) => a === "--data-parallel-rpc-port")).toHaveLength(1);
  });

  it("gives each process its own system, KV-events and VLLM_PORT base, one shared NIXL base", () => {
    const prefill = named(p, "prefill-0-").map((x) => x.pr);
    const distinct = (k: string) => new Set(prefill.map((pr) => pr.env[k])).size;
    expect(distinct("DYN_SYSTEM_PORT")).toBe(8);
    expect(distinct("DYN_VLLM_KV_EVENT_PORT")).toBe(8);
    expect(distinct("VLLM_PORT")).toBe(8);
    expect(distinct("VLLM_NIXL_SIDE_CHANNEL_PORT")).toBe(1);
    const base = Number(prefill[0]!.env.VLLM_NIXL_SIDE_CHANNEL_PORT);
    expect(prefill.map((pr) => pr.ports.nixlSideChannel)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => base + i));
    expect(prefill[0]!.env).toMatchObject({ VLLM_USE_FLASHINFER_MOE_FP4: "1", NCCL_CUMEM_ENABLE: "1" });
    const all = procs(p).flatMap((x) => Object.values(x.pr.ports).map((port) => `${x.rank}:${port}`));
    expect(new Set(all).size).toBe(all.length);
  });

  it("launches the non-DP decode workers one process each, as before", () => {
    const decode = named(p, "decode-").map((x) => x.pr);
    expect(decode.map((pr) => pr.name)).toEqual(["decode-0-rank0", "decode-1-rank0"]);
    expect(decode.map((pr) => flag(command(pr), "--device-ids"))).toEqual(["0,1,2,3", "4,5,6,7"]);
    expect(command(decode[0]!)).not.toContain("--data-parallel-rank");
  });

  it("has the frontend wait for one instance per DP rank and one per decode worker", () => {
    const health = byName(p, "frontend").health[0]!;
    expect(health.expectInstances?.map((g) => g.count)).toEqual([8, 2]);
  });

  it("counts DP ranks across nodes: a GB200 DEP8 worker per GPU is ranks 0–3 then 4–7, no VLLM_PORT", () => {
    const q = plan(dsv4Row(text(DSV4).replace("  type: vllm\n", "  type: vllm\n  dp_launch_mode: per_gpu\n")));
    const decode = named(q, "decode-0-");
    expect(decode.map((x) => flag(command(x.pr), "--data-parallel-rank"))).toEqual([
      "0",
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "7",
    ]);
    expect(decode.map((x) => x.pr.gpus[0])).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    const [a, b] = [decode[0]!, decode[4]!];
    expect(b.rank).not.toBe(a.rank);
    expect(flag(command(b.pr), "--data-parallel-address")).toBe(q.nodes[a.rank]!.ip);
    expect(b.pr.env.VLLM_NIXL_SIDE_CHANNEL_PORT).toBe(a.pr.env.VLLM_NIXL_SIDE_CHANNEL_PORT);
    expect(b.pr.env.VLLM_NIXL_SIDE_CHANNEL_HOST).toBe(q.nodes[b.rank]!.ip);
    expect(b.pr.env.VLLM_PORT).toBeUndefined();
    expect(byName(q, "frontend-0").health[0]!.expectInstances?.map((g) => g.count)).toEqual([8, 8]);
  });

  it("refuses per-GPU ranks beyond data-parallel-size (TP > 1), srtctl's own inconsistency", () => {
    const tp2 = text(KIMI).replace(
      "      tensor-parallel-size: 1\n      pipeline-parallel-size: 1\n      data-parallel-size: 8",
      "      tensor-parallel-size: 2\n      pipeline-parallel-size: 1\n      data-parallel-size: 4",
    );
    expect(() => plan(kimiRow(tp2))).toThrow(/per_gpu gives one DP rank per GPU: 8 ranks for data-parallel-size 4/);
  });
});

describe("srtctl's default DP launch is the one of the srt-slurm checkout the recipes come from", () => {
  const tmp = mkdtempSync(join(tmpdir(), "srtctl-defaults-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  /** an srt-slurm checkout whose srtctl vLLM backend has `line`, and the GB200 DEP8 recipe in its recipes/ */
  function checkout(name: string, line: string): string {
    const dir = join(tmp, name);
    mkdirSync(join(dir, "src", "srtctl", "backends"), { recursive: true });
    mkdirSync(join(dir, "recipes", "dsv4-fp4"), { recursive: true });
    // srtctl's vLLM backend passes --device-ids from v1.0.25 on (srtctl-vllm-gpus.ts)
    const devices = name === "q2" ? "" : '        cmd.extend(["--device-ids", device_ids])\n';
    writeFileSync(join(dir, "src", "srtctl", "backends", "vllm.py"), `class VLLMProtocol:\n${line}\n${devices}`);
    writeFileSync(join(dir, "recipes", DSV4), text(DSV4));
    return dir;
  }
  const found = (dirs: string[]) => {
    const f = srtRecipeSource(dirs)(`recipes/${DSV4}`);
    if ("error" in f) throw new Error(f.error);
    return f;
  };
  const perGpu = checkout("v1.0.31", '    dp_launch_mode: DPLaunchMode = "per_gpu"');
  const perNode = checkout("main", '    dp_launch_mode: DPLaunchMode = "per_node"');
  const older = checkout("q2", "        # DP+EP mode: one process per GPU");

  it("reads the default from the checkout's srtctl: per_gpu, per_node, per GPU only before the field", () => {
    expect(found([perGpu]).srtctl).toEqual({ dpLaunchMode: "per_gpu" });
    expect(found([perNode]).srtctl).toEqual({ dpLaunchMode: "per_node" });
    expect(found([older]).srtctl).toEqual({ dpLaunchMode: "per_gpu", vllmCudaVisibleDevices: true });
    // an overlay of recipes after the checkout: the checkout's srtctl still decides
    expect(found([perGpu, RECIPES]).srtctl).toEqual({ dpLaunchMode: "per_gpu" });
    expect(found([RECIPES]).srtctl).toBeUndefined();
  });

  it("a recipe that leaves dp_launch_mode out launches per GPU under a per_gpu srtctl, per node under main's", () => {
    const gpu = plan(dsv4Row(text(DSV4), found([perGpu]).srtctl));
    expect(named(gpu, "decode-0-").map((x) => x.pr.gpus)).toEqual([[0], [1], [2], [3], [0], [1], [2], [3]]);
    const node = plan(dsv4Row(text(DSV4), found([perNode]).srtctl));
    expect(named(node, "decode-0-").map((x) => x.pr.gpus)).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
    // the recipe's own setting wins
    const own = text(DSV4).replace("  type: vllm\n", "  type: vllm\n  dp_launch_mode: per_node\n");
    expect(named(plan(dsv4Row(own, { dpLaunchMode: "per_gpu" })), "decode-0-")).toHaveLength(2);
  });
});
