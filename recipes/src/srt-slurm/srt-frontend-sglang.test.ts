/**
 * srtctl's SGLang router frontend (`frontend.type: sglang`) from a recipe written by us in
 * srt-slurm's format (configs/srt-slurm-recipes/dsr1-fp4/gb200-sglang-router-1p1d.yaml): the golden
 * plan, plain SGLang workers, etcd/NATS kept, routers behind nginx or one on the head, their worker
 * arguments, args, env and readiness as srtctl's, and the refusal at recipe-file:line:col.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Deployment, type LaunchPlan, type ProcessSpec, RecipeError } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { formatLaunchPlan } from "../format.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";

const RECIPES = fileURLToPath(new URL("../../../configs/srt-slurm-recipes/", import.meta.url));
const GOLDEN = fileURLToPath(new URL("../golden/srt-sglang-router-gb200-1p1d.json", import.meta.url));
const CONFIG_FILE = "recipes/dsr1-fp4/gb200-sglang-router-1p1d.yaml";
const PATH = "srt/dsr1-fp4/gb200-sglang-router-1p1d.yaml";
const TEXT = readFileSync(`${RECIPES}dsr1-fp4/gb200-sglang-router-1p1d.yaml`, "utf8");
/** makePlacement's port block: the deployment endpoint, and the internal port of srtctl's frontends */
const PORT = 20480;
const INTERNAL = PORT + 6;

function row(text = TEXT): Deployment {
  const d = makeDeployment({
    configKey: "test-dsr1-fp4-gb200-sglang-router",
    sku: "gb200",
    framework: "dynamo-sglang",
    model: "nvidia/DeepSeek-R1-0528-FP4-V2",
    modelPrefix: "dsr1",
    precision: "fp4",
    image: "lmsysorg/sglang:v0.5.17-cu130",
    isl: 1024,
    concs: [4, 8],
    prefill: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${CONFIG_FILE}`] },
    decode: { numWorker: 1, tp: 8, additionalSettings: [`CONFIG_FILE=${CONFIG_FILE}`] },
  });
  return { ...d, srtRecipe: { configFile: CONFIG_FILE, path: PATH, text } };
}

/** the aggregated single-node form (as the lab's agentic Qwen3.5 recipes are) */
const AGG = TEXT.replace(
  /resources:[\s\S]*?\n\n/,
  "resources: { gpu_type: gb200, gpus_per_node: 4, agg_nodes: 1, agg_workers: 1 }\n\n",
)
  .replace("    prefill:\n", "    aggregated:\n")
  .replace(/ {4}decode:\n[\s\S]*?\n\n/, "\n");
function aggRow(): Deployment {
  const d = makeDeployment({
    configKey: "test-dsr1-fp4-gb200-sglang-router-agg",
    sku: "gb200",
    framework: "dynamo-sglang",
    model: "nvidia/DeepSeek-R1-0528-FP4-V2",
    modelPrefix: "dsr1",
    precision: "fp4",
    image: "lmsysorg/sglang:v0.5.17-cu130",
    isl: 1024,
    concs: [4, 8],
    prefill: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${CONFIG_FILE}`] },
    decode: { numWorker: 0, tp: 4 },
  });
  return { ...d, disagg: false, srtRecipe: { configFile: CONFIG_FILE, path: PATH, text: AGG } };
}

const plan = (d: Deployment) => buildLaunchPlan(d, makePlacement(d));
const procs = (p: LaunchPlan) => p.nodes.flatMap((n) => n.processes.map((pr) => ({ rank: n.rank, pr })));
const byName = (p: LaunchPlan, name: string): ProcessSpec => {
  const hit = procs(p).find((x) => x.pr.name === name);
  if (!hit) throw new Error(`no process ${name} in ${procs(p).map((x) => x.pr.name)}`);
  return hit.pr;
};

describe("launch from an srt-slurm recipe (SGLang router frontend, GB200 1P1D, TP4 prefill, TP8 decode over two nodes)", () => {
  const p = plan(row());
  const prefillHttp = byName(p, "prefill-0-rank0").ports.http!;
  const bootstrap = byName(p, "prefill-0-rank0").ports.bootstrap!;
  const decodeHttp = byName(p, "decode-0-rank0").ports.http!;

  it("matches golden/srt-sglang-router-gb200-1p1d.json", () => {
    const text = `${JSON.stringify(p, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN || !existsSync(GOLDEN)) writeFileSync(GOLDEN, text);
    expect(text).toBe(readFileSync(GOLDEN, "utf8"));
  });

  it("keeps etcd and NATS, puts nginx on the head and a router on each other worker node", () => {
    expect(procs(p).map((x) => [x.rank, x.pr.name, x.pr.role])).toEqual([
      [0, "infra-etcd", "infra"],
      [0, "infra-nats", "infra"],
      [0, "prefill-0-rank0", "prefill"],
      [0, "nginx", "router"],
      [1, "decode-0-rank0", "decode"],
      [1, "router-0", "router"],
      [2, "decode-0-rank1", "decode"],
      [2, "router-1", "router"],
    ]);
    expect(byName(p, "nginx").files[0]!.content).toContain(`server 10.0.0.2:${INTERNAL};`);
    expect(byName(p, "nginx").files[0]!.content).toContain(`server 10.0.0.3:${INTERNAL};`);
  });

  it("nginx_raise_ulimit: nginx started under ulimit -n 1048576 with worker_rlimit_nofile, as srtctl's _start_nginx", () => {
    const raised = plan(
      row(
        TEXT.replace("  num_additional_frontends: 1\n", "  num_additional_frontends: 1\n  nginx_raise_ulimit: true\n"),
      ),
    );
    const nginx = byName(raised, "nginx");
    expect(nginx.argv).toEqual(["bash", "-c", "ulimit -n 1048576 && nginx -c nginx/nginx.conf -g 'daemon off;'"]);
    expect(nginx.files[0]!.content).toContain("worker_rlimit_nofile 1048576;");
    expect(byName(p, "nginx").argv).toEqual(["nginx", "-c", "nginx/nginx.conf", "-g", "daemon off;"]);
  });

  it("runs plain SGLang servers: sglang.launch_server, no --request-plane, no dynamo install", () => {
    for (const name of ["prefill-0-rank0", "decode-0-rank0", "decode-0-rank1"]) {
      const argv = byName(p, name).argv;
      expect(argv.slice(0, 3)).toEqual(["python3", "-m", "sglang.launch_server"]);
      expect(argv).not.toContain("--request-plane");
      expect(argv.join(" ")).not.toMatch(/pip install|dynamo/);
    }
    const prefill = byName(p, "prefill-0-rank0").argv;
    expect(prefill[prefill.indexOf("--disaggregation-bootstrap-port") + 1]).toBe(String(bootstrap));
    const rank1 = byName(p, "decode-0-rank1").argv;
    expect(rank1.slice(rank1.indexOf("--nnodes"), rank1.indexOf("--nnodes") + 4)).toEqual([
      "--nnodes",
      "2",
      "--node-rank",
      "1",
    ]);
  });

  it("routes to the workers' leaders as srtctl's launch_router command: PD with the bootstrap port, args in file order", () => {
    expect(byName(p, "router-0").argv).toEqual([
      "python",
      "-m",
      "sglang_router.launch_router",
      "--pd-disaggregation",
      "--prefill",
      `http://10.0.0.1:${prefillHttp}`,
      String(bootstrap),
      "--decode",
      `http://10.0.0.2:${decodeHttp}`,
      "--host",
      "0.0.0.0",
      "--port",
      String(INTERNAL),
      "--policy",
      "cache_aware",
      "--worker-startup-timeout-secs",
      "3600",
      "--log-level",
      "warn",
    ]);
    expect(byName(p, "router-1").argv).toEqual(byName(p, "router-0").argv);
    expect(byName(p, "router-0").env).toEqual({ RUST_LOG: "warn" });
    expect(byName(p, "router-0").image).toBe("lmsysorg/sglang:v0.5.17-cu130");
  });

  it("is ready as srtctl's check_sglang_router_health: /workers counts one prefill and one decode worker", () => {
    expect(byName(p, "router-0").health).toEqual([
      {
        kind: "http",
        url: `http://10.0.0.2:${INTERNAL}/workers`,
        expectStatus: 200,
        expectRouterWorkers: { prefill: 1, decode: 1 },
      },
    ]);
    expect(byName(p, "router-1").health.map((h) => h.url)).toEqual([`http://10.0.0.3:${INTERNAL}/health`]);
    // `recipe show` says what the check counts
    expect(formatLaunchPlan(p)).toContain(
      `ready: GET http://10.0.0.2:${INTERNAL}/workers → 200 with router workers ≥ 1 prefill, ≥ 1 decode/regular`,
    );
    expect(p.endpoint.baseUrl).toBe(`http://10.0.0.1:${PORT}`);
  });

  it("aggregated on one node: one router on the head's public port over --worker-urls, counting one worker", () => {
    const a = plan(aggRow());
    expect(procs(a).map((x) => x.pr.name)).toEqual(["infra-etcd", "infra-nats", "agg-0-rank0", "router"]);
    const worker = byName(a, "agg-0-rank0");
    expect(worker.argv.slice(0, 3)).toEqual(["python3", "-m", "sglang.launch_server"]);
    expect(worker.argv).not.toContain("--disaggregation-mode");
    const router = byName(a, "router");
    expect(router.argv.slice(3, 9)).toEqual([
      "--worker-urls",
      `http://10.0.0.1:${worker.ports.http}`,
      "--host",
      "0.0.0.0",
      "--port",
      String(PORT),
    ]);
    expect(router.health[0]).toMatchObject({
      url: `http://10.0.0.1:${PORT}/workers`,
      expectRouterWorkers: { prefill: 0, decode: 1 },
    });
  });

  it("refuses the router in front of another backend, at frontend.type", () => {
    const text = TEXT.replace("backend:\n  type: sglang", "backend:\n  type: trtllm").replace(
      "  sglang_config:",
      "  trtllm_config:",
    );
    let msg = "";
    try {
      plan(row(text));
    } catch (e) {
      if (!(e instanceof RecipeError)) throw e;
      msg = e.message;
    }
    const line = text.split("\n").findIndex((l) => l === "  type: sglang") + 1;
    expect(msg).toContain(`${PATH}:${line}:`);
    expect(msg).toMatch(/frontend\.type: cannot be honoured: the sglang router needs sglang workers.*not trtllm/);
    expect(msg).toContain("(row test-dsr1-fp4-gb200-sglang-router)");
  });
});
