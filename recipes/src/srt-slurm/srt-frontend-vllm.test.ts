/**
 * srtctl's direct vLLM frontend (`frontend.type: vllm`) from a recipe written by us in srt-slurm's
 * format (configs/srt-slurm-recipes/kimik3-fp4/b200-vllm-direct-tp8pp2.yaml): the golden plan,
 * `vllm serve` on the public port with headless ranks, no etcd/NATS/frontend/dynamo install, the
 * flags srtctl derives replacing the recipe's, and srtctl's refusals at recipe-file:line:col.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Deployment, type LaunchPlan, type ProcessSpec, RecipeError } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";

const RECIPES = fileURLToPath(new URL("../../../configs/srt-slurm-recipes/", import.meta.url));
const GOLDEN = fileURLToPath(new URL("../golden/srt-vllm-direct-b200-agg-tp8pp2.json", import.meta.url));
const CONFIG_FILE = "recipes/kimik3-fp4/b200-vllm-direct-tp8pp2.yaml";
const PATH = "srt/kimik3-fp4/b200-vllm-direct-tp8pp2.yaml";
/** the deployment endpoint of makePlacement's port block */
const PORT = 20480;
const TEXT = readFileSync(`${RECIPES}kimik3-fp4/b200-vllm-direct-tp8pp2.yaml`, "utf8");

function row(text = TEXT, workers = 1): Deployment {
  const d = makeDeployment({
    configKey: "test-kimik3-fp4-b200-vllm-direct",
    sku: "b200",
    framework: "dynamo-vllm",
    model: "moonshotai/Kimi-K3",
    modelPrefix: "kimik3",
    precision: "fp4",
    image: "vllm/vllm-openai:kimi-k3",
    isl: 8192,
    osl: 1024,
    concs: [4, 8],
    prefill: { numWorker: workers, tp: 8, pp: 2, additionalSettings: [`CONFIG_FILE=${CONFIG_FILE}`] },
    decode: { numWorker: 0, tp: 8, pp: 2 },
  });
  return { ...d, disagg: false, srtRecipe: { configFile: CONFIG_FILE, path: PATH, text } };
}

const plan = (d: Deployment) => buildLaunchPlan(d, makePlacement(d));
const procs = (p: LaunchPlan) => p.nodes.flatMap((n) => n.processes.map((pr) => ({ rank: n.rank, pr })));
const byName = (p: LaunchPlan, name: string): ProcessSpec => {
  const hit = procs(p).find((x) => x.pr.name === name);
  if (!hit) throw new Error(`no process ${name} in ${procs(p).map((x) => x.pr.name)}`);
  return hit.pr;
};
const flag = (argv: string[], f: string) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : undefined);
const refusal = (text: string, workers = 1): string => {
  try {
    plan(row(text, workers));
  } catch (e) {
    if (e instanceof RecipeError) return e.message;
    throw e;
  }
  throw new Error("the plan was built");
};
const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("launch from an srt-slurm recipe (direct vLLM frontend, B200, one TP8×PP2 worker over two nodes)", () => {
  const p = plan(row());

  it("matches golden/srt-vllm-direct-b200-agg-tp8pp2.json", () => {
    const text = `${JSON.stringify(p, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN || !existsSync(GOLDEN)) writeFileSync(GOLDEN, text);
    expect(text).toBe(readFileSync(GOLDEN, "utf8"));
  });

  it("starts only the worker's vllm serve processes: no etcd, NATS, frontend, nginx or dynamo install", () => {
    expect(procs(p).map((x) => [x.rank, x.pr.name, x.pr.role])).toEqual([
      [0, "agg-0-rank0", "worker"],
      [1, "agg-0-rank1", "worker"],
    ]);
    for (const { pr } of procs(p)) {
      expect(pr.argv.slice(0, 3)).toEqual(["vllm", "serve", "moonshotai/Kimi-K3"]);
      expect(pr.argv.join(" ")).not.toMatch(/dynamo|pip install|etcd|nats-server/);
      expect(pr.image).toBe("vllm/vllm-openai:kimi-k3");
    }
  });

  it("the leader owns the public port; the other rank is headless, as srtctl's build_worker_command renders", () => {
    const leader = byName(p, "agg-0-rank0").argv;
    const rank1 = byName(p, "agg-0-rank1").argv;
    expect(leader.slice(3, 17)).toEqual([
      "--host",
      "0.0.0.0",
      "--port",
      String(PORT),
      "--master-addr",
      "10.0.0.1",
      "--master-port",
      String(byName(p, "agg-0-rank0").ports.master),
      "--nnodes",
      "2",
      "--node-rank",
      "0",
      "--device-ids",
      "0,1,2,3,4,5,6,7",
    ]);
    expect(byName(p, "agg-0-rank0").ports.http).toBe(PORT);
    expect(p.endpoint.baseUrl).toBe(`http://10.0.0.1:${PORT}`);
    expect(flag(rank1, "--node-rank")).toBe("1");
    expect(flag(rank1, "--master-addr")).toBe("10.0.0.1");
    expect(rank1).toContain("--headless");
    expect(rank1).not.toContain("--port");
    expect(leader).not.toContain("--headless");
  });

  it("passes the recipe's config sorted, its own host/port replaced and api-server-count only on the leader", () => {
    const leader = byName(p, "agg-0-rank0").argv;
    const cfg = leader.slice(leader.indexOf("0,1,2,3,4,5,6,7") + 1);
    expect(cfg).toEqual([
      "--api-server-count",
      "2",
      "--enable-auto-tool-choice",
      "--gpu-memory-utilization",
      "0.9",
      "--max-num-batched-tokens",
      "8192",
      "--pipeline-parallel-size",
      "2",
      "--served-model-name",
      "moonshotai/Kimi-K3",
      "--tensor-parallel-size",
      "8",
      "--tool-call-parser",
      "kimi_k3",
      "--trust-remote-code",
    ]);
    const rank1 = byName(p, "agg-0-rank1").argv;
    expect(rank1).not.toContain("--api-server-count");
    expect(rank1).toContain("--tool-call-parser");
    expect(leader.filter((a) => a === "--port" || a === "--host")).toHaveLength(2);
    expect(leader).not.toContain("9999");
    expect(leader).not.toContain("127.0.0.1");
  });

  it("sets srtctl's worker environment: the role's variables templated, VLLM_PORT unset across nodes", () => {
    const env0 = byName(p, "agg-0-rank0").env;
    const env1 = byName(p, "agg-0-rank1").env;
    expect(env0.VLLM_ENGINE_READY_TIMEOUT_S).toBe("3600");
    expect(env0.NODE_TAG).toBe("kimi-0");
    expect(env1.NODE_TAG).toBe("kimi-1");
    expect(env0.VLLM_NIXL_SIDE_CHANNEL_HOST).toBe("10.0.0.1");
    expect(env1.VLLM_NIXL_SIDE_CHANNEL_HOST).toBe("10.0.0.2");
    expect(env0.VLLM_PORT).toBeUndefined();
    expect(env0.DYN_REQUEST_PLANE).toBe("tcp");
  });

  it("is ready as srtctl's check_vllm_health: /health, then /v1/models listing the model", () => {
    const health = byName(p, "agg-0-rank0").health;
    expect(health.map((h) => h.url)).toEqual([`http://10.0.0.1:${PORT}/health`, `http://10.0.0.1:${PORT}/v1/models`]);
    expect(health[1]!.bodyIncludes).toEqual(['"moonshotai/Kimi-K3"']);
    expect(byName(p, "agg-0-rank1").health).toEqual([]);
    expect(p.gangHealth[0]).toMatchObject({ kind: "canary", model: "moonshotai/Kimi-K3" });
  });

  it("a single-node worker is served without rendezvous flags and keeps its VLLM_PORT", () => {
    const text = TEXT.replace("agg_nodes: 2", "agg_nodes: 1")
      .replace("gpus_per_agg: 16", "gpus_per_agg: 8")
      .replace("pipeline-parallel-size: 2", "pipeline-parallel-size: 1");
    const d = makeDeployment({
      configKey: "test-kimik3-fp4-b200-vllm-direct",
      sku: "b200",
      framework: "dynamo-vllm",
      model: "moonshotai/Kimi-K3",
      modelPrefix: "kimik3",
      precision: "fp4",
      image: "vllm/vllm-openai:kimi-k3",
      isl: 8192,
      osl: 1024,
      concs: [4, 8],
      prefill: { numWorker: 1, tp: 8, additionalSettings: [`CONFIG_FILE=${CONFIG_FILE}`] },
      decode: { numWorker: 0, tp: 8 },
    });
    const one = plan({ ...d, disagg: false, srtRecipe: { configFile: CONFIG_FILE, path: PATH, text } });
    expect(procs(one).map((x) => x.pr.name)).toEqual(["agg-0-rank0"]);
    const spec = byName(one, "agg-0-rank0");
    expect(spec.argv).not.toContain("--master-addr");
    expect(spec.argv).not.toContain("--headless");
    expect(spec.env.VLLM_PORT).toBeDefined();
  });
});

describe("direct vLLM frontend, data parallel (kimik3-fp4-h200-vllm-agentic's shape: TP16 × DP2 over four H200 nodes)", () => {
  const text = TEXT.replace('gpu_type: "b200"', 'gpu_type: "h200"')
    .replace("agg_nodes: 2", "agg_nodes: 4")
    .replace("gpus_per_agg: 16", "gpus_per_agg: 32")
    .replace(
      "tensor-parallel-size: 8",
      "tensor-parallel-size: 16\n      data-parallel-size: 2\n      enable-expert-parallel: true",
    )
    .replace("      pipeline-parallel-size: 2\n", "");
  const d = makeDeployment({
    configKey: "test-kimik3-fp4-h200-vllm-direct",
    sku: "h200",
    framework: "vllm",
    model: "moonshotai/Kimi-K3",
    modelPrefix: "kimik3",
    precision: "fp4",
    image: "vllm/vllm-openai:kimi-k3",
    concs: [4],
    prefill: { numWorker: 1, tp: 32, additionalSettings: [`CONFIG_FILE=${CONFIG_FILE}`] },
    decode: { numWorker: 0, tp: 32 },
  });
  const p = plan({ ...d, disagg: false, srtRecipe: { configFile: CONFIG_FILE, path: PATH, text } });

  it("one vllm serve over the four nodes: vLLM runs the DP ranks, srtctl adds no DP flags whatever dp_launch_mode", () => {
    expect(procs(p).map((x) => [x.rank, x.pr.name])).toEqual([
      [0, "agg-0-rank0"],
      [1, "agg-0-rank1"],
      [2, "agg-0-rank2"],
      [3, "agg-0-rank3"],
    ]);
    for (const { pr } of procs(p)) {
      expect(flag(pr.argv, "--data-parallel-size")).toBe("2");
      expect(flag(pr.argv, "--tensor-parallel-size")).toBe("16");
      expect(flag(pr.argv, "--nnodes")).toBe("4");
      expect(
        pr.argv.filter((a) => /^--data-parallel-(size-local|start-rank|address|rpc-port|rank|hybrid-lb)$/.test(a)),
      ).toEqual([]);
    }
    expect(
      procs(p)
        .filter((x) => x.pr.argv.includes("--headless"))
        .map((x) => x.rank),
    ).toEqual([1, 2, 3]);
  });
});

describe("direct vLLM frontend with a Mooncake store (kimik3-fp4-b200-dynamo-vllm-agentic's mooncake recipes)", () => {
  const text = TEXT.replace(
    "  connector: null\n",
    `  connector: null
  mooncake_kv_store:
    store_config: { metadata_server: "P2PHANDSHAKE", global_segment_size: "64GB", protocol: "rdma" }
`,
  ).replace(
    "      tool-call-parser: kimi_k3\n",
    `      tool-call-parser: kimi_k3
      kv-transfer-config: '{"kv_connector":"MooncakeStoreConnector","kv_role":"kv_both"}'
`,
  );
  const p = plan(row(text));

  it("starts srtctl's mooncake_master though no etcd/NATS, and the leader still owns the public port", () => {
    expect(procs(p).map((x) => [x.rank, x.pr.name])).toEqual([
      [0, "infra-mooncake-master"],
      [0, "agg-0-rank0"],
      [1, "agg-0-rank1"],
    ]);
    expect(p.endpoint.baseUrl).toBe(`http://10.0.0.1:${PORT}`);
    for (const name of ["agg-0-rank0", "agg-0-rank1"]) {
      const spec = byName(p, name);
      expect(spec.env.MOONCAKE_MASTER).toMatch(/^10\.0\.0\.1:\d+$/);
      expect(spec.argv).toContain('{"kv_connector":"MooncakeStoreConnector","kv_role":"kv_both"}');
    }
  });
});

describe("direct vLLM frontend: srtctl's refusals, at recipe-file:line:col", () => {
  it("refuses enable_multiple_frontends left at its default (true)", () => {
    const text = TEXT.replace("  enable_multiple_frontends: false\n", "");
    const msg = refusal(text);
    expect(msg).toContain(`${PATH}:`);
    expect(msg).toMatch(
      /frontend\.enable_multiple_frontends: cannot be honoured: .*set enable_multiple_frontends: false/,
    );
    expect(msg).toContain("(row test-kimik3-fp4-b200-vllm-direct)");
  });

  it("refuses more than one aggregated worker", () => {
    const text = TEXT.replace("agg_nodes: 2", "agg_nodes: 4").replace("agg_workers: 1", "agg_workers: 2");
    const msg = refusal(text, 2);
    expect(msg).toContain(`${PATH}:${lineOf(text, "agg_workers: 2")}:`);
    expect(msg).toMatch(/resources\.agg_workers: cannot be honoured: .*exactly one aggregated worker, not 2/);
  });

  it("refuses another backend", () => {
    const text = TEXT.replace("  type: vllm\n  connector: null", "  type: sglang").replace(
      "  vllm_config:",
      "  sglang_config:",
    );
    const msg = refusal(text);
    expect(msg).toContain(`${PATH}:${lineOf(text, "  type: vllm")}:`);
    expect(msg).toMatch(
      /frontend\.type: cannot be honoured: the direct vLLM frontend needs backend\.type: vllm, not sglang/,
    );
  });
});
