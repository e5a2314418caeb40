/**
 * Golden tests: the full launch plan (every node's processes, argv, env, files, health) of each
 * case in test-support/golden-cases.ts equals golden/<name>.json. Each golden file was reviewed
 * against reference/engines.md (see golden/README.md); the assertions below pin the facts checked.
 * Regenerate after a reviewed change with UPDATE_GOLDEN=1.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildLaunchPlan } from "./index.js";
import { loadPresets, loadScriptPresets } from "./preset-loader.js";
import { goldenCases } from "./test-support/golden-cases.js";

const dir = fileURLToPath(new URL("./golden/", import.meta.url));
const recipeDir = fileURLToPath(new URL("../../configs/recipes/", import.meta.url));
const presets = loadPresets(recipeDir);
// the cases pin the engine recipes' own mechanics; of the script presets (each checked against its
// script by cli/src/lab-scripts.test.ts and tests/lab/single-node-scripts.test.ts) only the cases
// named for a script use theirs
const GOLDEN_SCRIPTS = new Set([
  "dsr1_fp8_h200",
  "dsr1_fp8_h200_mtp",
  "dsr1_fp4_b200",
  "minimaxm3_fp8_h100_mtp",
  "kimik3_fp4_b300_vllm_mtp",
  "minimaxm3_fp4_b300_trt_mtp",
]);
const scripts = loadScriptPresets(recipeDir).filter((s) =>
  GOLDEN_SCRIPTS.has(s.script.split("/").pop()!.replace(/\.sh$/, "")),
);
const plans = new Map<string, LaunchPlan>(
  goldenCases().map((c) => [c.name, buildLaunchPlan(c.deployment, c.placement, { presets, scripts })]),
);

const procs = (p: LaunchPlan) => p.nodes.flatMap((n) => n.processes.map((pr) => ({ node: n, pr })));
const byName = (p: LaunchPlan, name: string): ProcessSpec => procs(p).find((x) => x.pr.name === name)!.pr;
/** value after a flag in argv, or true for a bare flag, undefined when absent */
function flag(argv: string[], name: string): string | true | undefined {
  const i = argv.indexOf(name);
  if (i >= 0) return argv[i + 1] === undefined || argv[i + 1]!.startsWith("--") ? true : argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`${name}=`));
  return eq ? eq.slice(name.length + 1) : undefined;
}

describe("golden launch plans", () => {
  for (const [name, plan] of plans) {
    it(`${name} matches golden/${name}.json`, () => {
      const file = `${dir}${name}.json`;
      const text = `${JSON.stringify(plan, null, 2)}\n`;
      if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, text);
      expect(text).toBe(readFileSync(file, "utf8"));
    });
  }
});

describe("golden facts (reference/engines.md)", () => {
  it("sglang h200 MTP (dsr1_fp8_h200_mtp.sh): EAGLE 2/1/3, BF16 KV, flashinfer, stream interval 10, 256 at 8k/1k", () => {
    const w = byName(plans.get("sglang-h200-fp8-tp8-mtp")!, "worker-0-rank0");
    expect(w.argv.slice(0, 3)).toEqual(["python3", "-m", "sglang.launch_server"]);
    expect(flag(w.argv, "--speculative-algorithm")).toBe("EAGLE");
    expect(flag(w.argv, "--speculative-num-steps")).toBe("2");
    expect(flag(w.argv, "--speculative-eagle-topk")).toBe("1");
    expect(flag(w.argv, "--speculative-num-draft-tokens")).toBe("3");
    expect(flag(w.argv, "--kv-cache-dtype")).toBeUndefined();
    expect(flag(w.argv, "--attention-backend")).toBe("flashinfer");
    expect(flag(w.argv, "--stream-interval")).toBe("10");
    expect(flag(w.argv, "--disable-radix-cache")).toBe(true);
    expect(flag(w.argv, "--max-running-requests")).toBe("256");
    expect(flag(w.argv, "--cuda-graph-max-bs")).toBe("256");
    expect(flag(w.argv, "--host")).toBe("0.0.0.0");
    expect(flag(w.argv, "--tensor-parallel-size")).toBe("8");
    expect(w.argv).not.toContain("--enable-ep-moe");
    expect(w.env.SGLANG_ENABLE_SPEC_V2).toBe("1");
    expect(w.env.CUDA_VISIBLE_DEVICES).toBe("0,1,2,3,4,5,6,7");
  });

  it("sglang mi355x DEP: dp-attention, dp lm head, dense tp 1, mori a2a, aiter", () => {
    const w = byName(plans.get("sglang-mi355x-dpa-ep8")!, "worker-0-rank0");
    expect(flag(w.argv, "--enable-dp-attention")).toBe(true);
    expect(flag(w.argv, "--enable-dp-lm-head")).toBe(true);
    expect(flag(w.argv, "--moe-dense-tp-size")).toBe("1");
    expect(flag(w.argv, "--moe-a2a-backend")).toBe("mori");
    expect(flag(w.argv, "--data-parallel-size")).toBe("8");
    expect(flag(w.argv, "--ep-size")).toBe("8");
    expect(flag(w.argv, "--attention-backend")).toBe("aiter");
    expect(w.argv).not.toContain("--ep-dispatch-algorithm");
    expect(w.env.SGLANG_USE_AITER).toBe("1");
    expect(w.env.HIP_VISIBLE_DEVICES).toBe("0,1,2,3,4,5,6,7");
  });

  it("sglang-disagg b200 mooncake: modes, explicit bootstrap port (not 8998), ib devices, router in its own session", () => {
    const plan = plans.get("sglang-disagg-b200-2p1d-mooncake")!;
    expect(plan.nodes.map((n) => n.processes.map((p) => p.name))).toEqual([
      ["prefill-0-rank0", "router"],
      ["prefill-1-rank0"],
      ["decode-0-rank0"],
    ]);
    for (const { pr } of procs(plan).filter((x) => x.pr.role !== "router")) {
      expect(flag(pr.argv, "--disaggregation-mode")).toBe(pr.role);
      expect(flag(pr.argv, "--disaggregation-transfer-backend")).toBe("mooncake");
      expect(flag(pr.argv, "--disaggregation-ib-device")).toBe("mlx5_0,mlx5_1,mlx5_2,mlx5_3");
      expect(flag(pr.argv, "--moe-a2a-backend")).toBe("deepep");
    }
    const p0 = byName(plan, "prefill-0-rank0");
    const boot = flag(p0.argv, "--disaggregation-bootstrap-port");
    expect(boot).not.toBe("8998");
    expect(Number(boot)).toBe(p0.ports.bootstrap);
    expect(p0.env.SGLANG_DISAGGREGATION_QUEUE_SIZE).toBe("4");
    expect(flag(byName(plan, "decode-0-rank0").argv, "--disaggregation-bootstrap-port")).toBeUndefined();
    const r = byName(plan, "router");
    expect(r.ownSession).toBe(true);
    expect(r.argv.join(" ")).toBe(
      `python3 -m sglang_router.launch_router --pd-disaggregation --prefill http://10.0.0.1:${p0.ports.http} ${boot} --prefill http://10.0.0.2:${p0.ports.http} ${boot} --decode http://10.0.0.3:${p0.ports.http} --host 0.0.0.0 --port ${r.ports.http}`,
    );
    expect(plan.gangHealth.map((h) => [h.kind, h.url?.replace(/^http:\/\/[^/]+/, "")])).toEqual([
      ["http", "/readiness"],
      ["canary", ""],
    ]);
  });

  it("sglang-disagg mi355x mori MTP: NEXTN on both pools, MoRI env, NCCL_IB_HCA, socket ifname", () => {
    const plan = plans.get("sglang-disagg-mi355x-mori-mtp")!;
    for (const name of ["prefill-0-rank0", "prefill-1-rank0", "decode-0-rank0"]) {
      const p = byName(plan, name);
      expect(flag(p.argv, "--speculative-algorithm")).toBe("NEXTN");
      expect(flag(p.argv, "--speculative-num-steps")).toBe("1"); // DECODE_MTP_SIZE=1 applies to both pools
      expect(flag(p.argv, "--speculative-num-draft-tokens")).toBe("2");
      expect(flag(p.argv, "--disaggregation-transfer-backend")).toBe("mori");
      expect(flag(p.argv, "--moe-a2a-backend")).toBe("mori");
      expect(p.env.NCCL_IB_HCA).toBe("ionic_0,ionic_1,ionic_2,ionic_3");
      expect(p.env.GLOO_SOCKET_IFNAME).toBe("enp81s0f1");
      expect(p.env.NCCL_SOCKET_IFNAME).toBe("enp81s0f1");
      expect(p.env.MORI_IO_QP_MAX_SEND_WR).toBe("16384");
      expect(p.env.SGLANG_USE_AITER).toBe("1");
    }
  });

  it("vllm single node: vllm serve, -tp, no prefix caching, max-num-seqs from the largest point", () => {
    const w = byName(plans.get("vllm-h100-gptoss-tp2")!, "worker-0-rank0");
    expect(w.argv.slice(0, 3)).toEqual(["vllm", "serve", "openai/gpt-oss-120b"]);
    expect(flag(w.argv, "--tensor-parallel-size")).toBe("2");
    expect(flag(w.argv, "--no-enable-prefix-caching")).toBe(true);
    expect(flag(w.argv, "--max-num-seqs")).toBe("64");
    expect(w.gpus).toEqual([0, 1]);
  });

  it("vllm NIXL PD: NixlConnector on every instance, side channel env, proxy on the leader", () => {
    const plan = plans.get("vllm-b200-nixl-pd-2p1d")!;
    expect(plan.nodes.map((n) => n.processes.map((p) => p.name))).toEqual([
      ["prefill-0-rank0", "prefill-1-rank0", "router"],
      ["decode-0-rank0"],
    ]);
    const seen = new Set<string>();
    for (const { pr, node } of procs(plan).filter((x) => x.pr.role !== "router")) {
      expect(JSON.parse(flag(pr.argv, "--kv-transfer-config") as string).kv_connector).toBe("NixlConnector");
      expect(pr.env.VLLM_NIXL_SIDE_CHANNEL_HOST).toBe(node.ip);
      seen.add(`${node.ip}:${pr.env.VLLM_NIXL_SIDE_CHANNEL_PORT}`);
    }
    expect(seen.size).toBe(3);
    const r = byName(plan, "router");
    expect(flag(r.argv, "--prefiller-hosts")).toBe("10.0.0.1");
    expect(flag(r.argv, "--decoder-hosts")).toBe("10.0.0.2");
  });

  it("trt single node MTP: mpirun trtllm-serve pytorch, options YAML with attention DP, MTP, cuda graphs", () => {
    const w = byName(plans.get("trt-b200-dsr1-fp4-mtp")!, "worker-0-rank0");
    expect(w.argv.slice(0, 7)).toEqual([
      "mpirun",
      "-n",
      "1",
      "--oversubscribe",
      "--allow-run-as-root",
      "trtllm-serve",
      "nvidia/DeepSeek-R1-0528-FP4-V2",
    ]);
    expect(flag(w.argv, "--backend")).toBe("pytorch");
    expect(flag(w.argv, "--tp_size")).toBe("8");
    expect(flag(w.argv, "--ep_size")).toBe("8");
    expect(flag(w.argv, "--max_batch_size")).toBe("32");
    const file = flag(w.argv, "--extra_llm_api_options");
    expect(w.files.map((f) => f.path)).toEqual([file]);
    const yaml = w.files[0]!.content;
    expect(yaml).toContain("enable_attention_dp: true");
    expect(yaml).toMatch(/speculative_config:\n\s+decoding_type: MTP\n\s+num_nextn_predict_layers: 3/);
    expect(yaml).toMatch(/cuda_graph_config:\n\s+enable_padding: true\n\s+max_batch_size: 32/);
    expect(yaml).toMatch(
      /kv_cache_config:\n\s+enable_block_reuse: false\n\s+dtype: fp8\n\s+free_gpu_memory_fraction: 0.8/,
    );
  });

  it("dynamo-trt gb200 1P4D: 4 GPUs/node, decode workers span 2 nodes as MPI jobs, infra + frontend on the leader", () => {
    const plan = plans.get("dynamo-trt-gb200-1p4d-mtp")!;
    expect(plan.nodes).toHaveLength(9);
    expect(plan.nodes[0]!.processes.map((p) => p.name)).toEqual([
      "infra-etcd",
      "infra-nats",
      "prefill-0-rank0",
      "frontend",
    ]);
    expect(plan.nodes[1]!.processes.map((p) => p.name)).toEqual(["decode-0-rank0"]);
    expect(plan.nodes[2]!.processes.map((p) => p.name)).toEqual(["decode-0-rank1"]);
    const d1 = byName(plan, "decode-0-rank1");
    expect(d1.argv.slice(0, 7)).toEqual([
      "numactl",
      "-m",
      "0,1",
      "trtllm-llmapi-launch",
      "python3",
      "-m",
      "dynamo.trtllm",
    ]);
    expect(d1.mpi).toEqual({ job: "decode-0", nodes: 2, nodeIndex: 1, tasksPerNode: 4 });
    expect(d1.gpus).toEqual([0, 1, 2, 3]);
    expect(flag(d1.argv, "--disaggregation-mode")).toBe("decode");
    const yaml = d1.files[0]!.content;
    expect(yaml).toContain("tensor_parallel_size: 8");
    expect(yaml).toMatch(/cache_transceiver_config:\n\s+backend: NIXL/);
    const pre = byName(plan, "prefill-0-rank0");
    expect(pre.mpi).toBeUndefined();
    expect(pre.files[0]!.content).toContain("cuda_graph_config: null");
    expect(pre.files[0]!.content).toContain("disable_overlap_scheduler: true");
    for (const { pr } of procs(plan).filter((x) => x.pr.role === "prefill" || x.pr.role === "decode")) {
      expect(pr.env.ETCD_ENDPOINTS).toBe(`http://10.0.0.1:${byName(plan, "infra-etcd").ports.client}`);
      expect(pr.env.NATS_SERVER).toBe(`nats://10.0.0.1:${byName(plan, "infra-nats").ports.client}`);
      expect(pr.env.DYN_REQUEST_PLANE).toBe("tcp");
    }
    const fe = byName(plan, "frontend");
    expect(flag(fe.argv, "--request-plane")).toBe("tcp");
    expect(fe.health[0]!.expectInstances).toEqual([
      { components: ["prefill"], endpoint: "generate", count: 1 },
      { components: ["decode", "tensorrt_llm", "backend"], endpoint: "generate", count: 4 },
    ]);
  });

  it("dynamo-sglang b200: NIXL, bootstrap port on prefill, decode spans 2 nodes with dist-init, no HTTP port on workers", () => {
    const plan = plans.get("dynamo-sglang-b200-1p1d")!;
    const pre = byName(plan, "prefill-0-rank0");
    expect(pre.argv.slice(0, 3)).toEqual(["python3", "-m", "dynamo.sglang"]);
    expect(flag(pre.argv, "--disaggregation-transfer-backend")).toBe("nixl");
    expect(Number(flag(pre.argv, "--disaggregation-bootstrap-port"))).toBe(pre.ports.bootstrap);
    expect(flag(pre.argv, "--port")).toBeUndefined();
    expect(flag(pre.argv, "--request-plane")).toBe("tcp");
    const d0 = byName(plan, "decode-0-rank0");
    const d1 = byName(plan, "decode-0-rank1");
    expect(flag(d0.argv, "--dist-init-addr")).toBe(`10.0.0.2:${d0.ports.distInit}`);
    expect(flag(d1.argv, "--dist-init-addr")).toBe(`10.0.0.2:${d0.ports.distInit}`);
    expect(flag(d1.argv, "--nnodes")).toBe("2");
    expect(flag(d1.argv, "--node-rank")).toBe("1");
  });

  it("dynamo-vllm gb200 DEP8 prefill + TP8 decode: each worker spans 2 nodes, rank 0 registers, rank 1 headless", () => {
    const plan = plans.get("dynamo-vllm-gb200-dep8-tp8")!;
    expect(plan.nodes.map((n) => n.processes.map((p) => p.name))).toEqual([
      ["infra-etcd", "infra-nats", "prefill-0-rank0", "frontend"],
      ["prefill-0-rank1"],
      ["decode-0-rank0"],
      ["decode-0-rank1"],
    ]);
    const [p0, p1, d0, d1] = ["prefill-0-rank0", "prefill-0-rank1", "decode-0-rank0", "decode-0-rank1"].map((n) =>
      byName(plan, n),
    ) as [ProcessSpec, ProcessSpec, ProcessSpec, ProcessSpec];
    // DEP8 = 8 DP ranks of tp 1, 4 per GB200 node: head + headless with start rank 4 (engines.md §4)
    for (const p of [p0, p1]) {
      expect(p.argv.slice(0, 3)).toEqual(["python3", "-m", "dynamo.vllm"]);
      expect(flag(p.argv, "--tensor-parallel-size")).toBe("1");
      expect(flag(p.argv, "--data-parallel-size")).toBe("8");
      expect(flag(p.argv, "--data-parallel-size-local")).toBe("4");
      expect(flag(p.argv, "--data-parallel-address")).toBe("10.0.0.1");
      expect(Number(flag(p.argv, "--data-parallel-rpc-port"))).toBe(p0.ports.dpRpc);
      expect(flag(p.argv, "--enable-expert-parallel")).toBe(true);
      expect(flag(p.argv, "--disaggregation-mode")).toBe("prefill");
      expect(p.argv).not.toContain("--data-parallel-hybrid-lb");
    }
    expect(flag(p0.argv, "--headless")).toBeUndefined();
    expect(flag(p0.argv, "--data-parallel-start-rank")).toBeUndefined();
    expect(flag(p1.argv, "--headless")).toBe(true);
    expect(flag(p1.argv, "--data-parallel-start-rank")).toBe("4");
    // TP8 across 2 nodes: --nnodes/--node-rank/--master-addr (dynamo multi_node_tp_headless.sh), port from the block
    for (const [i, p] of [d0, d1].entries()) {
      expect(flag(p.argv, "--tensor-parallel-size")).toBe("8");
      expect(flag(p.argv, "--nnodes")).toBe("2");
      expect(flag(p.argv, "--node-rank")).toBe(String(i));
      expect(flag(p.argv, "--master-addr")).toBe("10.0.0.3");
      expect(Number(flag(p.argv, "--master-port"))).toBe(d0.ports.master);
      expect(flag(p.argv, "--disaggregation-mode")).toBe("decode");
      expect(p.argv).not.toContain("--data-parallel-size");
    }
    expect(flag(d0.argv, "--headless")).toBeUndefined();
    expect(flag(d1.argv, "--headless")).toBe(true);
    // every process: its node's GPUs and its own NIXL side channel; only rank 0 gets a Dynamo system port
    for (const { pr, node } of procs(plan).filter((x) => x.pr.role === "prefill" || x.pr.role === "decode")) {
      expect(pr.gpus).toEqual([0, 1, 2, 3]);
      expect(pr.env.CUDA_VISIBLE_DEVICES).toBe("0,1,2,3");
      expect(pr.env.VLLM_NIXL_SIDE_CHANNEL_HOST).toBe(node.ip);
      expect(Number(pr.env.VLLM_NIXL_SIDE_CHANNEL_PORT)).toBe(pr.ports.nixlSideChannel);
      expect(JSON.parse(flag(pr.argv, "--kv-transfer-config") as string).kv_connector).toBe("NixlConnector");
      const head = pr.name.endsWith("-rank0");
      expect(pr.env.DYN_SYSTEM_PORT).toBe(head ? String(pr.ports.system) : undefined);
      expect(Object.keys(pr.ports).sort()).toEqual(
        head ? ["nixlSideChannel", pr.role === "prefill" ? "dpRpc" : "master", "system"].sort() : ["nixlSideChannel"],
      );
      expect(pr.health).toEqual([]);
      expect(pr.argv.join(" ")).not.toMatch(/\b(29501|29550|8000|5600)\b/);
    }
    expect(byName(plan, "frontend").health[0]!.expectInstances).toEqual([
      { components: ["prefill"], endpoint: "generate", count: 1 },
      { components: ["decode", "tensorrt_llm", "backend"], endpoint: "generate", count: 1 },
    ]);
  });

  it("vllm h100 Mooncake (minimaxm3_fp8_h100_mtp.sh): segment less the page cache and rank reserve, weights offloaded", () => {
    const p = plans.get("vllm-h100-agentic-mooncake")!;
    const w = byName(p, "worker-0-rank0");
    // 1731 GB = 1612 GiB; (1612 − 414) / 8 − 26 − 4
    expect(JSON.parse(w.files[0]!.content).global_segment_size).toBe("119GB");
    expect(flag(w.argv, "--cpu-offload-gb")).toBe("26");
    expect(flag(w.argv, "--max-num-seqs")).toBe("16");
    expect(flag(w.argv, "--max-cudagraph-capture-size")).toBe("64");
    expect(JSON.parse(flag(w.argv, "--speculative-config") as string).method).toBe("eagle3");
    expect(byName(p, "infra-mooncake-master").argv).toContain("--eviction_high_watermark_ratio=0.80");
  });

  it("vllm b300 Kimi-K3 Mooncake (kimik3_fp4_b300_vllm_mtp.sh): eviction 0.95, one rail, hash seed 42, DCP a2a", () => {
    const p = plans.get("vllm-b300-agentic-mooncake-kimik3")!;
    const w = byName(p, "worker-0-rank0");
    expect(byName(p, "infra-mooncake-master").argv).toContain("--eviction_high_watermark_ratio=0.95");
    expect(JSON.parse(w.files[0]!.content)).toMatchObject({ global_segment_size: "281GB", device_name: "mlx5_0" });
    expect(w.env).toMatchObject({ PYTHONHASHSEED: "42", MC_GID_INDEX: "3", MC_STORE_MEMCPY: "1" });
    expect(flag(w.argv, "--decode-context-parallel-size")).toBe("8");
    expect(flag(w.argv, "--dcp-comm-backend")).toBe("a2a");
    expect(JSON.parse(flag(w.argv, "--speculative-config") as string).num_speculative_tokens).toBe(3);
  });

  it("trt b300 MiniMax-M3 (minimaxm3_fp4_b300_trt_mtp.sh): host cache pinned at TP 4, sizes in the options file", () => {
    const w = byName(plans.get("trt-b300-agentic-native-minimaxm3-tp4")!, "worker-0-rank0");
    const o = parse(w.files[0]!.content);
    expect(o.kv_cache_config.host_cache_size).toBe(388554555392);
    expect(o).toMatchObject({ max_seq_len: 1048576, max_num_tokens: 16384, max_batch_size: 25 });
    expect(flag(w.argv, "--max_batch_size")).toBeUndefined();
    expect(flag(w.argv, "--tp_size")).toBe("4");
    expect(w.env.TLLM_SPEC_DECODE_FORCE_NUM_ACCEPTED_TOKENS).toBe("1.78");
  });

  it("atom mi355x MTP: openai_server with -tp, server port, MTP method", () => {
    const w = byName(plans.get("atom-mi355x-dsr1-mtp")!, "worker-0-rank0");
    expect(w.argv.slice(0, 3)).toEqual(["python3", "-m", "atom.entrypoints.openai_server"]);
    expect(flag(w.argv, "-tp")).toBe("8");
    expect(flag(w.argv, "--method")).toBe("mtp");
    expect(flag(w.argv, "--num-speculative-tokens")).toBe("3");
    expect(Number(flag(w.argv, "--server-port"))).toBe(w.ports.http);
  });
});
