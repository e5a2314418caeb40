/**
 * TensorRT-LLM launches from an srt-slurm recipe written by us in srt-slurm's format
 * (configs/srt-slurm-recipes/dsr1-fp4/gb200-trt-1p1d-mtp.yaml): the golden plan, the command and
 * engine config file srtctl's trtllm backend writes, the MPI job of a worker spanning nodes, the
 * environment srun gives its ranks, and the refusals.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Deployment, LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";
import { srtRecipeSource } from "./recipe-dirs.js";

const RECIPES = fileURLToPath(new URL("../../../configs/srt-slurm-recipes/", import.meta.url));
const GOLDEN = fileURLToPath(new URL("../golden/srt-dynamo-trt-gb200-1p1d.json", import.meta.url));
const CONFIG_FILE = "recipes/dsr1-fp4/gb200-trt-1p1d-mtp.yaml";
const TEXT = readFileSync(`${RECIPES}dsr1-fp4/gb200-trt-1p1d-mtp.yaml`, "utf8");

function row(text = TEXT): Deployment {
  const d = makeDeployment({
    configKey: "test-dsr1-fp4-gb200-dynamo-trt",
    sku: "gb200",
    framework: "dynamo-trt",
    model: "nvidia/DeepSeek-R1-0528-NVFP4-v2",
    modelPrefix: "dsr1",
    precision: "fp4",
    image: "nvcr.io/nvidia/ai-dynamo/tensorrtllm-runtime:0.8.1.post2",
    isl: 8192,
    osl: 1024,
    concs: [64, 128],
    specDecoding: "mtp",
    prefill: { numWorker: 1, tp: 4, ep: 4, dpAttn: true, additionalSettings: [`CONFIG_FILE=${CONFIG_FILE}`] },
    decode: { numWorker: 1, tp: 8, ep: 8, dpAttn: true, additionalSettings: [`CONFIG_FILE=${CONFIG_FILE}`] },
  });
  const found = srtRecipeSource([RECIPES])(CONFIG_FILE);
  if ("error" in found) throw new Error(found.error);
  return { ...d, srtRecipe: { configFile: CONFIG_FILE, path: "srt/dsr1-fp4/gb200-trt-1p1d-mtp.yaml", text } };
}

const plan = (d: Deployment) => buildLaunchPlan(d, makePlacement(d));
const procs = (p: LaunchPlan) => p.nodes.flatMap((n) => n.processes.map((pr) => ({ rank: n.rank, pr })));
const byName = (p: LaunchPlan, name: string): ProcessSpec => {
  const hit = procs(p).find((x) => x.pr.name === name);
  if (!hit) throw new Error(`no process ${name} in ${procs(p).map((x) => x.pr.name)}`);
  return hit.pr;
};
const recipeRole = (role: "prefill" | "decode") =>
  (parse(TEXT) as { backend: { trtllm_config: Record<string, unknown> } }).backend.trtllm_config[role];

describe("launch from an srt-slurm recipe (dynamo + TensorRT-LLM, GB200, 1 prefill TP4, 1 decode DEP8)", () => {
  const p = plan(row());

  it("matches golden/srt-dynamo-trt-gb200-1p1d.json", () => {
    const text = `${JSON.stringify(p, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN || !existsSync(GOLDEN)) writeFileSync(GOLDEN, text);
    expect(text).toBe(readFileSync(GOLDEN, "utf8"));
  });

  it("starts each worker as srtctl's trtllm backend does, the engine config in a file", () => {
    expect(byName(p, "prefill-0-rank0").argv).toEqual([
      "numactl",
      "-m",
      "0,1",
      "python3",
      "-m",
      "dynamo.trtllm",
      "--model-path",
      "nvidia/DeepSeek-R1-0528-NVFP4-v2",
      "--served-model-name",
      "DeepSeek-R1-0528-NVFP4-v2",
      "--disaggregation-mode",
      "prefill",
      "--extra-engine-args",
      "srt/trtllm_config_prefill.yaml",
      "--request-plane",
      "nats",
    ]);
    expect(p.endpoint.model).toBe("DeepSeek-R1-0528-NVFP4-v2");
    expect(p.gangHealth[0]).toMatchObject({ kind: "canary", model: "DeepSeek-R1-0528-NVFP4-v2" });
  });

  it("writes each role's trtllm_config unchanged, as PyYAML safe_dump does (keys sorted, block lists)", () => {
    for (const role of ["prefill", "decode"] as const) {
      const file = byName(p, `${role}-0-rank0`).files.find((f) => f.path === `srt/trtllm_config_${role}.yaml`)!;
      expect(parse(file.content)).toEqual(recipeRole(role));
    }
    const decode = byName(p, "decode-0-rank0").files[0]!.content;
    expect(decode.split("\n").slice(0, 12)).toEqual([
      "allreduce_strategy: MNNVL",
      "cache_transceiver_config:",
      "  backend: UCX",
      "  max_tokens_in_buffer: 16384",
      "cuda_graph_config:",
      "  batch_sizes:",
      "  - 1",
      "  - 2",
      "  - 4",
      "  - 8",
      "  - 16",
      "  - 32",
    ]);
    expect(decode).toContain("\nstream_interval: 100\n");
    expect(decode).toContain("speculative_config:\n  decoding_type: MTP\n  num_nextn_predict_layers: 1\n");
    expect(byName(p, "prefill-0-rank0").files[0]!.content).toContain("\ncuda_graph_config: null\n");
  });

  it("runs a worker spanning two nodes as one MPI job, one task per GPU, the same command on each node", () => {
    const r0 = byName(p, "decode-0-rank0");
    const r1 = byName(p, "decode-0-rank1");
    expect(r0.mpi).toEqual({ job: "decode-0", nodes: 2, nodeIndex: 0, tasksPerNode: 4 });
    expect(r1.mpi).toEqual({ job: "decode-0", nodes: 2, nodeIndex: 1, tasksPerNode: 4 });
    expect(r0.argv.slice(0, 7)).toEqual([
      "numactl",
      "-m",
      "0,1",
      "trtllm-llmapi-launch",
      "python3",
      "-m",
      "dynamo.trtllm",
    ]);
    expect(r1.argv).toEqual(r0.argv);
    expect(r1.env).toEqual(r0.env);
    expect(Object.keys(r0.ports)).toEqual(["system"]);
    expect(r1.ports).toEqual({});
    expect(byName(p, "prefill-0-rank0").mpi).toBeUndefined();
  });

  it("gives the ranks srtctl's MPI-launch environment: no DYN_REQUEST_PLANE, an EPLB segment per worker", () => {
    const pre = byName(p, "prefill-0-rank0").env;
    const dec = byName(p, "decode-0-rank0").env;
    expect(pre.DYN_REQUEST_PLANE).toBeUndefined();
    expect(pre.NCCL_GRAPH_MIXING_SUPPORT).toBe("0");
    expect(dec.TRTLLM_SERVER_DISABLE_GC).toBe("1");
    expect(dec.NCCL_GRAPH_MIXING_SUPPORT).toBeUndefined();
    expect(pre.UCX_TLS).toBe("rc,cuda_copy");
    expect(pre.TRTLLM_EPLB_SHM_NAME).toMatch(/^moe_shared_[0-9a-f]{32}$/);
    expect(dec.TRTLLM_EPLB_SHM_NAME).not.toBe(pre.TRTLLM_EPLB_SHM_NAME);
    expect(plan(row()).nodes[0]!.processes.find((x) => x.name === "prefill-0-rank0")!.env).toEqual(pre);
    expect(pre.DYN_SYSTEM_PORT).toBe(String(byName(p, "prefill-0-rank0").ports.system));
    expect(pre.CUDA_VISIBLE_DEVICES).toBeUndefined();
  });

  it("puts one frontend on the head when multiple frontends are off, and no dynamo install", () => {
    const fronts = procs(p).filter((x) => x.pr.role === "frontend");
    expect(fronts.map((x) => [x.rank, x.pr.argv.slice(0, 3)])).toEqual([[0, ["python3", "-m", "dynamo.frontend"]]]);
    expect(procs(p).some((x) => x.pr.name === "nginx")).toBe(false);
  });

  it("follows numa_memory_bind and publish_events_and_metrics", () => {
    const q = plan(
      row(
        TEXT.replace(
          "  type: trtllm\n",
          "  type: trtllm\n  numa_memory_bind: false\n  publish_events_and_metrics: true\n",
        ),
      ),
    );
    const argv = byName(q, "prefill-0-rank0").argv;
    expect(argv[0]).toBe("python3");
    expect(argv.at(-1)).toBe("--publish-events-and-metrics");
  });

  it("refuses sequential_node_start at recipe-file:line:col with the row", () => {
    const bad = TEXT.replace("  type: trtllm\n", "  type: trtllm\n  sequential_node_start: 1\n");
    expect(() => plan(row(bad))).toThrow(
      /^srt\/dsr1-fp4\/gb200-trt-1p1d-mtp\.yaml:22:3: backend\.sequential_node_start: cannot be honoured: .*\(row test-dsr1-fp4-gb200-dynamo-trt\)$/m,
    );
  });

  it("installs srtctl's default dynamo 0.8.0 when the recipe asks for an install without a version", () => {
    const q = plan(row(TEXT.replace("  install: false\n", "")));
    const pr = byName(q, "decode-0-rank1");
    expect(pr.argv[0]).toBe("bash");
    expect(pr.argv[2]).toContain("ai-dynamo-runtime==0.8.0 ai-dynamo==0.8.0");
    expect(pr.argv[2]).toContain("&& exec numactl -m 0,1 trtllm-llmapi-launch python3 -m dynamo.trtllm");
    expect(() => plan(row(TEXT.replace("  install: false\n", "  version: null\n")))).toThrow(
      /gb200-trt-1p1d-mtp\.yaml:\d+:3: dynamo\.version: cannot be honoured: no version/,
    );
  });
});

describe("etcd and NATS on a node of their own (infra.etcd_nats_dedicated_node)", () => {
  const text = `${TEXT}\ninfra:\n  etcd_nats_dedicated_node: true\n`;
  const ref = { configFile: CONFIG_FILE, path: "srt/dsr1-fp4/gb200-trt-1p1d-mtp.yaml", text };

  it("asks the planner for one node beyond the workers, and none for a recipe without it", () => {
    const source = srtRecipeSource([RECIPES]);
    expect(source.infraNodes?.(ref, row())).toBe(1);
    expect(source.infraNodes?.({ ...ref, text: TEXT }, row())).toBe(0);
    expect(source.infraNodes?.({ ...ref, text: "name: [" }, row())).toBe(0);
  });

  it("puts etcd and NATS alone on the gang's last node; workers and frontends on the others point at it", () => {
    const d = { ...row(text), infraNodes: 1 };
    d.nodes += 1;
    const p = plan(d);
    expect(p.nodes).toHaveLength(4);
    const last = p.nodes[3]!;
    expect(last.processes.map((x) => x.name).sort()).toEqual(["infra-etcd", "infra-nats"]);
    for (const x of procs(p).filter((x) => x.pr.role !== "infra")) {
      expect(x.rank).not.toBe(3);
      if (x.pr.env.ETCD_ENDPOINTS)
        expect(x.pr.env.ETCD_ENDPOINTS).toBe(`http://${last.ip}:${byName(p, "infra-etcd").ports.client}`);
    }
    expect(byName(p, "decode-0-rank0").env.NATS_SERVER).toBe(
      `nats://${last.ip}:${byName(p, "infra-nats").ports.client}`,
    );
    expect(byName(p, "decode-0-rank0").env.HEAD_NODE_IP).toBe(p.nodes[0]!.ip);
    expect(new URL(p.endpoint.baseUrl).hostname).toBe(p.nodes[0]!.ip);
  });

  it("refuses a deployment planned without the recipe's infrastructure node", () => {
    expect(() => plan(row(text))).toThrow(
      /infra\.etcd_nats_dedicated_node is true but the deployment has 0 infrastructure node\(s\)/,
    );
  });
});
