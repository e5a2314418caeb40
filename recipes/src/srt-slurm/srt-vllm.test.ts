/**
 * vLLM launches from an srt-slurm recipe written by us in srt-slurm's format
 * (configs/srt-slurm-recipes/dsv4-fp4/gb200-vllm-1p1d-dep8.yaml): the golden plan, per-node DP
 * launch as srtctl's default (per GPU: srt-vllm-per-gpu.test.ts), the recipe's flags and
 * environment unchanged, the connector, and the refusals.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Deployment, LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";
import { srtRecipeSource } from "./recipe-dirs.js";
import { pyJsonDumps } from "./render-config.js";

const RECIPES = fileURLToPath(new URL("../../../configs/srt-slurm-recipes/", import.meta.url));
const GOLDEN = fileURLToPath(new URL("../golden/srt-dynamo-vllm-gb200-1p1d-dep8.json", import.meta.url));
const CONFIG_FILE = "recipes/dsv4-fp4/gb200-vllm-1p1d-dep8.yaml";
const TEXT = readFileSync(`${RECIPES}dsv4-fp4/gb200-vllm-1p1d-dep8.yaml`, "utf8");

function row(text = TEXT, decodeWorkers = 1): Deployment {
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
    prefill: { numWorker: 1, tp: 8, ep: 8, dpAttn: true, additionalSettings: [`CONFIG_FILE=${CONFIG_FILE}`] },
    decode: {
      numWorker: decodeWorkers,
      tp: 8,
      ep: 8,
      dpAttn: true,
      additionalSettings: [`CONFIG_FILE=${CONFIG_FILE}`],
    },
  });
  const found = srtRecipeSource([RECIPES])(CONFIG_FILE);
  if ("error" in found) throw new Error(found.error);
  return { ...d, srtRecipe: { configFile: CONFIG_FILE, path: "srt/dsv4-fp4/gb200-vllm-1p1d-dep8.yaml", text } };
}

const plan = (d: Deployment) => buildLaunchPlan(d, makePlacement(d));
const procs = (p: LaunchPlan) => p.nodes.flatMap((n) => n.processes.map((pr) => ({ rank: n.rank, pr })));
const byName = (p: LaunchPlan, name: string): ProcessSpec => {
  const hit = procs(p).find((x) => x.pr.name === name);
  if (!hit) throw new Error(`no process ${name} in ${procs(p).map((x) => x.pr.name)}`);
  return hit.pr;
};
/** words of a POSIX shell command line made of bare words and single-quoted parts ('\'' for a quote) */
function shellWords(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/(?:[^\s']+|'[^']*')+/g)) out.push(m[0].replace(/'([^']*)'/g, "$1"));
  return out;
}
/** the command inside the dynamo install wrapper */
const command = (p: ProcessSpec) =>
  p.argv[0] === "bash" ? shellWords(p.argv[2]!.slice(p.argv[2]!.indexOf(" && exec ") + 9)) : p.argv;
const flag = (argv: string[], f: string) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : undefined);

describe("launch from an srt-slurm recipe (dynamo + vLLM, GB200, DEP8 prefill and decode over two nodes each)", () => {
  const p = plan(row());

  it("matches golden/srt-dynamo-vllm-gb200-1p1d-dep8.json", () => {
    const text = `${JSON.stringify(p, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN || !existsSync(GOLDEN)) writeFileSync(GOLDEN, text);
    expect(text).toBe(readFileSync(GOLDEN, "utf8"));
  });

  it("launches DP per node: local size, start rank, the leader's address and RPC port, hybrid LB", () => {
    const r0 = command(byName(p, "decode-0-rank0"));
    const r1 = command(byName(p, "decode-0-rank1"));
    expect(r0.slice(0, 9)).toEqual([
      "python3",
      "-m",
      "dynamo.vllm",
      "--model",
      "deepseek-ai/DeepSeek-V4-Pro",
      "--served-model-name",
      "deepseek-ai/DeepSeek-V4-Pro",
      "--disaggregation-mode",
      "decode",
    ]);
    expect([flag(r0, "--data-parallel-size-local"), flag(r0, "--data-parallel-start-rank")]).toEqual(["4", "0"]);
    expect([flag(r1, "--data-parallel-size-local"), flag(r1, "--data-parallel-start-rank")]).toEqual(["4", "4"]);
    expect(flag(r1, "--data-parallel-address")).toBe(p.nodes[2]!.ip);
    expect(flag(r1, "--data-parallel-rpc-port")).toBe(flag(r0, "--data-parallel-rpc-port"));
    expect(flag(r0, "--data-parallel-rpc-port")).not.toBe("13345");
    expect(r0.filter((a) => a === "--data-parallel-rpc-port")).toHaveLength(1);
    expect(r1).toContain("--data-parallel-hybrid-lb");
    expect(r1).not.toContain("--headless");
    expect(flag(r0, "--device-ids")).toBe("0,1,2,3");
  });

  it("passes the role's vllm_config unchanged after srtctl's flags (sorted, bare booleans)", () => {
    const argv = command(byName(p, "decode-0-rank0"));
    const cfg = argv.slice(argv.indexOf("--request-plane") + 2);
    expect(cfg).toEqual([
      "--block-size",
      "256",
      "--compilation-config",
      '{"cudagraph_mode":"FULL_DECODE_ONLY","mode":0}',
      "--data-parallel-size",
      "8",
      "--enable-expert-parallel",
      "--gpu-memory-utilization",
      "0.9",
      "--kv-cache-dtype",
      "fp8",
      "--kv-transfer-config",
      '{"kv_connector": "NixlConnector", "kv_role": "kv_both"}',
      "--max-model-len",
      "9280",
      "--max-num-seqs",
      "512",
      "--moe-backend",
      "deep_gemm_mega_moe",
      "--pipeline-parallel-size",
      "1",
      "--served-model-name",
      "deepseek-ai/DeepSeek-V4-Pro",
      "--stream-interval",
      "50",
      "--tensor-parallel-size",
      "1",
    ]);
    expect(argv.slice(0, argv.indexOf("--request-plane"))).not.toContain("--kv-transfer-config");
    const pre = command(byName(p, "prefill-0-rank0"));
    expect(pre).toContain("--enforce-eager");
    expect(pre).toContain("--no-enable-prefix-caching");
    expect(p.endpoint.model).toBe("deepseek-ai/DeepSeek-V4-Pro");
  });

  it("keeps the role's MNNVL/UCX environment and adds srtctl's process variables", () => {
    const r0 = byName(p, "decode-0-rank0").env;
    const r1 = byName(p, "decode-0-rank1").env;
    expect(r0).toMatchObject({
      NCCL_MNNVL_ENABLE: "1",
      NCCL_CUMEM_ENABLE: "1",
      UCX_TLS: "cuda_copy,cuda_ipc,tcp",
      UCX_CUDA_IPC_ENABLE_MNNVL: "y",
      DYN_REQUEST_PLANE: "tcp",
    });
    expect(r0.VLLM_MAX_TOKENS_PER_EXPERT_FP4_MOE).toBeUndefined();
    expect(byName(p, "prefill-0-rank0").env.VLLM_MAX_TOKENS_PER_EXPERT_FP4_MOE).toBe("2048");
    expect(r1.VLLM_NIXL_SIDE_CHANNEL_PORT).toBe(r0.VLLM_NIXL_SIDE_CHANNEL_PORT);
    expect(r1.VLLM_NIXL_SIDE_CHANNEL_HOST).not.toBe(r0.VLLM_NIXL_SIDE_CHANNEL_HOST);
    expect(r0.VLLM_PORT).toBeUndefined();
    expect(r0.CUDA_VISIBLE_DEVICES).toBeUndefined();
    expect(byName(p, "frontend-0").env.DYN_REQUEST_PLANE_CODEC).toBe("msgpack");
  });

  it("merges `<<: *anchor` keys as srtctl's YAML loader does", () => {
    const env = [
      '    NCCL_MNNVL_ENABLE: "1"',
      '    NCCL_CUMEM_ENABLE: "1"',
      '    UCX_TLS: "cuda_copy,cuda_ipc,tcp"',
      '    UCX_CUDA_IPC_ENABLE_MNNVL: "y"',
    ].join("\n");
    const before = `  prefill_environment:\n${env}\n    VLLM_MAX_TOKENS_PER_EXPERT_FP4_MOE: "2048"\n  decode_environment:\n${env}\n`;
    expect(TEXT).toContain(before);
    const merged = TEXT.replace(
      before,
      `  decode_environment: &worker_env\n${env}\n  prefill_environment:\n    <<: *worker_env\n    VLLM_MAX_TOKENS_PER_EXPERT_FP4_MOE: "2048"\n`,
    );
    const m = plan(row(merged));
    for (const name of ["prefill-0-rank0", "decode-0-rank0"])
      expect(byName(m, name).env).toMatchObject({ NCCL_MNNVL_ENABLE: "1", UCX_CUDA_IPC_ENABLE_MNNVL: "y" });
    expect(byName(m, "prefill-0-rank0").env.VLLM_MAX_TOKENS_PER_EXPERT_FP4_MOE).toBe("2048");
    expect(byName(m, "decode-0-rank0").env.VLLM_MAX_TOKENS_PER_EXPERT_FP4_MOE).toBeUndefined();
    expect(Object.keys(byName(m, "prefill-0-rank0").env)).not.toContain("<<");
  });

  it("installs the recipe's dynamo before every worker", () => {
    expect(byName(p, "decode-0-rank1").argv[2]).toContain("ai-dynamo-runtime==1.2.0 ai-dynamo==1.2.0");
  });

  it("writes the connector as srtctl's map does, per role or the backend's", () => {
    const q = plan(row(TEXT.replace("  connector: null\n", "  connector: nixl\n")));
    const argv = command(byName(q, "prefill-0-rank0"));
    expect(flag(argv, "--kv-transfer-config")).toBe('{"kv_connector": "NixlConnector", "kv_role": "kv_both"}');
    expect(pyJsonDumps({ a: [1, "x"], b: { c: null } })).toBe('{"a": [1, "x"], "b": {"c": null}}');
  });

  it("launches a TP replica wider than a node with master address, node rank and headless followers", () => {
    const wide = TEXT.replace(
      /tensor-parallel-size: 1\n {6}pipeline-parallel-size: 1\n {6}data-parallel-size: 8/g,
      "tensor-parallel-size: 8\n      pipeline-parallel-size: 1\n      data-parallel-size: 1",
    );
    const q = plan(row(wide));
    const r1 = command(byName(q, "decode-0-rank1"));
    expect([flag(r1, "--nnodes"), flag(r1, "--node-rank")]).toEqual(["2", "1"]);
    expect(r1).toContain("--headless");
    expect(r1).not.toContain("--data-parallel-size-local");
    expect(command(byName(q, "decode-0-rank0"))).not.toContain("--headless");
  });

  it("refuses a DP size the worker's GPUs cannot hold", () => {
    expect(() =>
      plan(
        row(
          TEXT.replace(
            "      data-parallel-size: 8\n      data-parallel-rpc-port: 13345\n      enable-expert-parallel: true\n      moe-backend: deep_gemm_mega_moe\n      max-model-len: 9280\n      max-num-seqs: 512",
            "      data-parallel-size: 4\n      data-parallel-rpc-port: 13345\n      enable-expert-parallel: true\n      moe-backend: deep_gemm_mega_moe\n      max-model-len: 9280\n      max-num-seqs: 512",
          ),
        ),
      ),
    ).toThrow(
      /backend\.vllm_config\.decode: data-parallel-size 4 × tensor-parallel-size 1 × pipeline-parallel-size 1 needs 4 GPUs but the worker has 8/,
    );
  });
});
