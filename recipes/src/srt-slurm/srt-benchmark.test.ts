/**
 * A recipe's `benchmark:` section → the row's load points, planned through the real recipe source
 * over a directory of recipe files we write in srt-slurm's format: sa-bench's settings on every
 * point, srtctl's defaults, and plan errors at recipe-file:line:col naming the master-config row.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildPlan, ConfigError, loadMasterConfigs, loadRunnersFile } from "@benchfleet/shared";
import { testCatalog as catalog } from "@benchfleet/shared/test-support";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makePlacement } from "../test-support/deployments.js";
import { srtTestDir } from "../test-support/srt-test-dir.js";
import { srtRecipeCensus } from "./recipe-census.js";
import { srtRecipeSource } from "./recipe-dirs.js";

const dir = srtTestDir("srt-benchmark-");

/** one prefill worker of TP4 (a node) and one decode worker of TP8 (two nodes), GB200 */
const master = (file: string, extra = "") => `
dis:
  image: img
  model: m
  model-prefix: dsr1
  runner: gb200
  precision: fp8
  framework: dynamo-sglang
  multinode: true
  disagg: true
  kv-p2p-transfer: nixl
${extra}  scenarios:
    fixed-seq-len:
    - isl: 1024
      osl: 128
      search-space:
      - conc-list: [8, 4]
        prefill: { num-worker: 1, tp: 4, ep: 1, dp-attn: false, additional-settings: ["CONFIG_FILE=recipes/${file}"] }
        decode: { num-worker: 1, tp: 8, ep: 1, dp-attn: false, additional-settings: ["CONFIG_FILE=recipes/${file}"] }
`;
/** the benchmark section starts on line 13 of every recipe */
const recipe = (benchmark: string) => `name: t
model:
  path: dsr1
  container: dynamo-sglang
  precision: fp8
resources:
  gpu_type: gb200
  prefill_nodes: 1
  prefill_workers: 1
  decode_nodes: 2
  decode_workers: 1
benchmark:
${benchmark}`;

let n = 0;
function plan(benchmark: string, extra = "") {
  const file = `r${n++}.yaml`;
  writeFileSync(join(dir, "recipes", file), recipe(benchmark));
  const configs = loadMasterConfigs([{ file: "m.yaml", text: master(file, extra) }]);
  return {
    file: join(dir, "recipes", file),
    plan: () => buildPlan(configs, { catalog, srtRecipes: srtRecipeSource([dir]) }),
  };
}
const problems = (run: () => unknown): string[] => {
  try {
    run();
  } catch (e) {
    if (e instanceof ConfigError) return e.message.split("\n");
    throw e;
  }
  throw new Error("planned without an error");
};

describe("a recipe's sa-bench settings on the row's load points", () => {
  it("request rate, chat template, range ratio, warm-ups and prompts per concurrency come from the recipe", () => {
    const { plan: p } = plan(`  type: sa-bench
  isl: 1024
  osl: 128
  concurrencies: "4x8"
  req_rate: 300
  use_chat_template: false
  random_range_ratio: 1.0
  num_prompts_mult: 16
  num_warmup_mult: 0
  custom_tokenizer: sa_bench_tokenizers.vllm_deepseek_v4.VLLMDeepseekV4Tokenizer
`);
    const d = p().deployments[0]!;
    const settings = {
      requestRate: 300,
      useChatTemplate: false,
      rangeRatio: 1,
      warmupsPerConc: 0,
      warmupRequestRate: 250,
      freshConnections: true,
    };
    expect(d.points).toEqual([
      { concurrency: 4, isl: 1024, osl: 128, ...settings },
      { concurrency: 8, isl: 1024, osl: 128, ...settings },
    ]);
    expect(d.promptsPerConc).toBe(16);
    // 128 measured prompts at 300/s take at least 0.43 s; the estimate follows the rate
    const unpaced = plan(`  type: sa-bench
  concurrencies: [4, 8]
  num_prompts_mult: 16
  num_warmup_mult: 0
`).plan().deployments[0]!;
    expect(unpaced.promptsPerConc).toBe(16);
    expect(unpaced.points[0]!.requestRate).toBeUndefined();
  });

  it("srtctl's defaults when the recipe leaves them out: chat template on, 0.8, 2 warm-ups at 250/s, 10 prompts, no pacing, a connection per request", () => {
    const d = plan(`  type: sa-bench
  isl: 1024
  osl: 128
  concurrencies: [8, 4]
  req_rate: inf
`).plan().deployments[0]!;
    expect(d.points.map((x) => x.concurrency)).toEqual([4, 8]);
    for (const x of d.points)
      expect(x).toEqual({
        concurrency: x.concurrency,
        isl: 1024,
        osl: 128,
        useChatTemplate: true,
        rangeRatio: 0.8,
        warmupsPerConc: 2,
        warmupRequestRate: 250,
        freshConnections: true,
      });
    expect(d.promptsPerConc).toBe(10);
  });

  it("warmup_req_rate paces the warm-ups (inf: unpaced); reuse_http_connections keeps connections", () => {
    const paced = plan("  type: sa-bench\n  warmup_req_rate: 4301\n").plan().deployments[0]!;
    expect(paced.points[0]!.warmupRequestRate).toBe(4301);
    const unpaced = plan('  type: sa-bench\n  warmup_req_rate: "inf"\n').plan().deployments[0]!;
    expect(unpaced.points[0]!.warmupRequestRate).toBeUndefined();
    const reuse = plan("  type: sa-bench\n  reuse_http_connections: true\n").plan().deployments[0]!;
    expect(reuse.points[0]!.freshConnections).toBe(false);
    // 2 × 4 and 2 × 8 warm-ups at 0.1/s take 80 s and 160 s
    const slowWarm = plan("  type: sa-bench\n  warmup_req_rate: 0.1\n").plan().deployments[0]!;
    expect(slowWarm.estimate.loadSeconds).toBeGreaterThanOrEqual(80 + 160);
    expect(slowWarm.estimate.loadSeconds).toBeGreaterThan(unpaced.estimate.loadSeconds);
  });

  it("a slow request rate lengthens the load estimate and the load timeout", () => {
    const fast = plan("  type: sa-bench\n  req_rate: inf\n").plan().deployments[0]!;
    const slow = plan("  type: sa-bench\n  req_rate: '2'\n").plan().deployments[0]!;
    expect(slow.points[0]!.requestRate).toBe(2);
    // 10 × 8 measured prompts at 2 requests/s: at least 40 s for the c=8 point alone
    expect(slow.estimate.loadSeconds).toBeGreaterThanOrEqual(40 + 20);
    expect(slow.estimate.loadSeconds).toBeGreaterThan(fast.estimate.loadSeconds);
  });

  it("a manual benchmark gives no settings: srtctl runs no client", () => {
    const d = plan("  type: manual\n").plan().deployments[0]!;
    expect(d.points).toEqual([
      { concurrency: 4, isl: 1024, osl: 128 },
      { concurrency: 8, isl: 1024, osl: 128 },
    ]);
    expect(d.promptsPerConc).toBe(10);
  });
});

describe("recipe concurrencies that differ from the row's: srtctl runs the recipe's", () => {
  it("the row's points are the recipe's concurrencies, with one warning naming both places", () => {
    const { file, plan: p } = plan('  type: sa-bench\n  isl: 1024\n  concurrencies: "16x4x32"\n');
    const planned = p();
    expect(planned.deployments[0]!.points.map((x) => x.concurrency)).toEqual([4, 16, 32]);
    expect(planned.totals.points).toBe(3);
    expect(planned.warnings).toEqual([
      `${file}:15:3: benchmark.concurrencies: srtctl runs the recipe's concurrencies 4, 16, 32 where the master-config row dis (m.yaml:17) names 4, 8: the row's points are measured and stored at 4, 16, 32, as the lab's results are`,
    ]);
  });

  it("no warning when they agree as sets", () => {
    const planned = plan("  type: sa-bench\n  concurrencies: [8, 4]\n").plan();
    expect(planned.warnings).toBeUndefined();
    expect(planned.deployments[0]!.points.map((x) => x.concurrency)).toEqual([4, 8]);
  });
});

describe("a recipe whose benchmark disagrees with its row is a plan error at recipe-file:line:col", () => {
  it("ISL and OSL each name the recipe's field and the master-config row (file:line)", () => {
    const { file, plan: p } = plan(`  type: sa-bench
  isl: 8192
  osl: 64
  concurrencies: "4x8"
`);
    expect(problems(p)).toEqual([
      `${file}:14:3: benchmark.isl: isl 8192 but the master-config row dis (m.yaml:17) has isl 1024`,
      `${file}:15:3: benchmark.osl: osl 64 but the master-config row dis (m.yaml:17) has osl 128`,
    ]);
  });

  it("a request rate that is not one", () => {
    const { file, plan: p } = plan("  type: sa-bench\n  req_rate: fast\n");
    expect(problems(p)).toEqual([
      `${file}:14:3: benchmark.req_rate: req_rate "fast" is neither a positive number of requests/s nor "inf"`,
    ]);
  });

  it("a warm-up request rate that is not one; inf (what the load generator's unpaced warm-ups do) plans", () => {
    const { file, plan: p } = plan("  type: sa-bench\n  warmup_req_rate: -3\n");
    expect(problems(p)).toEqual([
      `${file}:14:3: benchmark.warmup_req_rate: warmup_req_rate -3 is neither a positive number of requests/s nor "inf"`,
    ]);
    expect(plan('  type: sa-bench\n  warmup_req_rate: "inf"\n').plan().deployments[0]!.points).toHaveLength(2);
  });

  it("a concurrency list that is not one", () => {
    const { file, plan: p } = plan('  type: sa-bench\n  concurrencies: "4xeight"\n');
    expect(problems(p)).toEqual([
      `${file}:14:3: benchmark.concurrencies: concurrencies "4xeight": "eight" is not a positive integer`,
    ]);
  });

  it("the entry's prompts-per-conc against the recipe's num_prompts_mult: the entry's setting, naming the recipe", () => {
    const { file, plan: p } = plan(
      "  type: sa-bench\n  num_prompts_mult: 16\n",
      "  benchfleet: { prompts-per-conc: 3 }\n",
    );
    expect(problems(p)).toEqual([
      `m.yaml:12:35: dis.benchfleet.prompts-per-conc: 3 but the row's srt-slurm recipe ${file} runs 16 prompts per unit of concurrency (benchmark.num_prompts_mult); leave it out or make them agree`,
    ]);
    // agreeing is fine
    const same = plan("  type: sa-bench\n  num_prompts_mult: 3\n", "  benchfleet: { prompts-per-conc: 3 }\n");
    expect(same.plan().deployments[0]!.promptsPerConc).toBe(3);
  });
});

describe("benchmark fields benchfleet cannot honour are plan errors naming the row", () => {
  it("a client placed on another node than the head", () => {
    const { file, plan: p } = plan("  type: sa-bench\n  client_placement: last_decode\n");
    expect(problems(p)).toEqual([
      `${file}:14:3: benchmark.client_placement: cannot be honoured: the client on last_decode: benchfleet's load generator runs on the gang's head node (rank 0) (the master-config row dis (m.yaml:17))`,
    ]);
  });

  it("environment for srtctl's sa-bench script", () => {
    const { file, plan: p } = plan("  type: sa-bench\n  env:\n    RANDOM_NUM_WORKERS: 4\n");
    expect(problems(p)).toEqual([
      `${file}:14:3: benchmark.env: cannot be honoured: environment for srtctl's benchmark script; benchfleet runs its own load generator (the master-config row dis (m.yaml:17))`,
    ]);
  });
});

describe("the census checks the benchmark against each deployment's points", () => {
  it("a deployment whose points differ from the recipe's concurrencies builds, with the warning", () => {
    const { file, plan: p } = plan("  type: sa-bench\n  concurrencies: 4x8\n");
    const d = p().deployments[0]!;
    const source = srtRecipeSource([dir]);
    expect(srtRecipeCensus([d], source)[0]).not.toHaveProperty("warning");
    const other = { ...d, points: d.points.filter((x) => x.concurrency === 4), srtRecipe: undefined };
    const entry = srtRecipeCensus([other], source)[0]!;
    expect(entry.reason).toBeUndefined();
    expect(entry.warning).toBe(
      `${file}:14:3: benchmark.concurrencies: srtctl runs the recipe's concurrencies 4, 8 where the master-config row dis names 4: the row's points are measured and stored at 4, 8, as the lab's results are`,
    );
  });
});

describe("an agentic-coding row's recipe: its benchmark is replaced by benchfleet's trace replay", () => {
  const RUNNERS = `labels:
  cluster:gb200-z: [gb200-z_00]
hardware:
  cluster:gb200-z: { available-cpu-dram-mib: 880000, gpus-per-node: 4 }
`;
  const custom = "  type: custom\n  command: bash /ws/agentic_srt.sh\n";
  const agentic = (file: string) => `
ag:
  image: img
  model: m
  model-prefix: dsr1
  runner: cluster:gb200-z
  precision: fp8
  framework: dynamo-sglang
  multinode: true
  disagg: true
  kv-p2p-transfer: nixl
  scenarios:
    agentic-coding:
    - dram-utilization: 0.5
      search-space:
      - conc-list: [8, 16]
        kv-offloading: dram
        kv-offload-backend: { name: hicache }
        prefill: { num-worker: 1, tp: 4, ep: 1, dp-attn: false, additional-settings: ["CONFIG_FILE=recipes/${file}"] }
        decode: { num-worker: 1, tp: 8, ep: 1, dp-attn: false, additional-settings: ["CONFIG_FILE=recipes/${file}"] }
`;

  it("plans from the recipe with a warning at benchmark.type, and the launch builds", () => {
    const { file } = plan(custom);
    const configs = loadMasterConfigs([{ file: "a.yaml", text: agentic(file.split("/").pop()!) }]);
    const source = srtRecipeSource([dir]);
    const runners = loadRunnersFile({ file: "runners.yaml", text: RUNNERS });
    const p = buildPlan(configs, { catalog, runners, srtRecipes: source });
    expect(
      p.deployments
        .map((d) => [d.points.map((x) => x.concurrency), d.srtRecipe?.path, d.agentic?.durationS])
        .sort((x, y) => String(x[0]).localeCompare(String(y[0]), "en", { numeric: true })),
    ).toEqual([
      [[8], file, 3600],
      [[16], file, 3600],
    ]);
    expect(p.warnings).toEqual([
      `${file}:13:3: benchmark.type: benchmark custom (bash /ws/agentic_srt.sh) is not run for the master-config row ag (a.yaml:16), an agentic-coding row: benchfleet replays its traces instead`,
    ]);
    const census = srtRecipeCensus(p.deployments, source);
    expect(census.map((c) => c.reason)).toEqual([undefined, undefined]);
    const notes = buildLaunchPlan(p.deployments[0]!, makePlacement(p.deployments[0]!)).notes;
    expect(notes).toContain(`launched from srt-slurm recipe recipes/${file.split("/").pop()} (variant base)`);
    expect(notes).toContain("KV offload as the recipe sets it; the row's DRAM budget (461 GB, hicache) is not applied");
  });

  const agenticPlan = (benchmark: string) => {
    const { file } = plan(benchmark);
    const configs = loadMasterConfigs([{ file: "a.yaml", text: agentic(file.split("/").pop()!) }]);
    const runners = loadRunnersFile({ file: "runners.yaml", text: RUNNERS });
    return { file, plan: () => buildPlan(configs, { catalog, runners, srtRecipes: srtRecipeSource([dir]) }) };
  };

  it("the benchmark env's lab client settings go on the row's points; other client env sets nothing", () => {
    const env = `  env:
    AIPERF_LIVE_FAILED_REQUEST_THRESHOLD: "0.25"
    AGENTIC_WARMUP_GRACE_PERIOD: "3600"
    AIPERF_EXTRA_INPUTS: "thinking:true"
    AIPERF_SERVER_METRICS_URLS: "http://localhost:8000/metrics"
    RESULT_DIR: "/logs/agentic"
`;
    const p = agenticPlan(custom + env).plan();
    const points = p.deployments.flatMap((d) => d.points);
    expect(points.map((x) => x.concurrency).sort((a, b) => a - b)).toEqual([8, 16]);
    for (const x of points)
      expect(x.agenticClient).toEqual({
        liveFailureThreshold: 0.25,
        warmupGraceS: 3600,
        extraInputs: { thinking: true },
      });
    // without client env the points carry none: the lab's defaults
    expect(
      agenticPlan(custom)
        .plan()
        .deployments.flatMap((d) => d.points.map((x) => x.agenticClient)),
    ).toEqual([undefined, undefined]);
  });

  it("a client env value that is not what its name takes is a plan error at the recipe's env entry", () => {
    const { file, plan: p } = agenticPlan(`${custom}  env:\n    AIPERF_LIVE_FAILED_REQUEST_THRESHOLD: "25%"\n`);
    expect(problems(p)).toEqual([
      `${file}:16:5: benchmark.env.AIPERF_LIVE_FAILED_REQUEST_THRESHOLD: AIPERF_LIVE_FAILED_REQUEST_THRESHOLD="25%": not a number (the master-config row ag (a.yaml:16))`,
    ]);
  });

  it("the same recipe on a fixed-seq-len row is refused, naming the custom benchmark", () => {
    const { file, plan: p } = plan(custom);
    const census = srtRecipeCensus(p().deployments, srtRecipeSource([dir]));
    expect(census[0]!.reason).toContain(
      `${file}:14:3: benchmark.command: cannot be honoured: a custom benchmark command; benchfleet runs its own load generator`,
    );
  });
});
