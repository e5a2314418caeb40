import { describe, expect, it } from "vitest";
import { agenticConcurrencies, dramOffloadGb } from "./agentic-plan.js";
import { ConfigError } from "./config-error.js";
import { Plan } from "./deployment.js";
import { loadMasterConfigs, loadRunnersFile } from "./master-config-load.js";
import { buildPlan } from "./planner.js";
import { testCatalog as catalog } from "./test-support/catalog.js";

const RUNNERS = `
labels:
  cluster:h200-x: [h200-x_00, h200-x_01]
  cluster:b200-y: [b200-y_00]
  cluster:gb200-z: [gb200-z_00]
hardware:
  cluster:h200-x:
    available-cpu-dram-mib: 2_063_837
    gpus-per-node: 8
  cluster:gb200-z:
    available-cpu-dram-mib: 880_000
    gpus-per-node: 4
`;
const runners = loadRunnersFile({ file: "runners.yaml", text: RUNNERS });

const plan = (text: string, extra: Partial<Parameters<typeof buildPlan>[1]> = {}) =>
  buildPlan(loadMasterConfigs([{ file: "m.yaml", text }]), { catalog, runners, ...extra });

const agentic = (key: string, scenario: string, runner = "cluster:h200-x", fixed = "") => `
${key}:
  image: img:1
  model: org/model
  model-prefix: m
  runner: ${runner}
  precision: fp8
  framework: sglang
  multinode: false
  scenarios:
${fixed}    agentic-coding:
${scenario}`;

const failure = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  throw new Error("expected a ConfigError");
};

describe("agentic concurrency", () => {
  it("walks conc-start doubling with the last step clamped to conc-end", () => {
    expect(agenticConcurrencies({ "conc-start": 3, "conc-end": 20 })).toEqual([3, 6, 12, 20]);
    expect(agenticConcurrencies({ "conc-start": 4, "conc-end": 16 })).toEqual([4, 8, 16]);
    expect(agenticConcurrencies({ "conc-list": [64, 8, 8] })).toEqual([64, 8]);
  });
});

describe("DRAM offload budget", () => {
  it("scales capped node DRAM by utilization and the process's GPU share, floored to GB", () => {
    // 2_063_837 MiB × 2^20 × 0.8 × 4/8 / 1e9 = 865.6 → 865
    expect(dramOffloadGb({ kvOffloading: "dram", utilization: 0.8, runner: "cluster:h200-x", runners, gpus: 4 })).toBe(
      865,
    );
    expect(dramOffloadGb({ kvOffloading: "none", runner: "cluster:nowhere", gpus: 8 })).toBe(0);
  });
  it("caps available DRAM at 3 TB and sizes multi-node budgets by the prefill worker", () => {
    const big = loadRunnersFile({
      file: "r.yaml",
      text: "labels: {cluster:a: [a_0]}\nhardware: {cluster:a: {available-cpu-dram-mib: 9_000_000, gpus-per-node: 8}}\n",
    });
    // 2_861_022 MiB × 2^20 / 1e9 = 2999.99… → 2999 at utilization 1
    expect(dramOffloadGb({ kvOffloading: "dram", utilization: 1, runner: "cluster:a", runners: big, gpus: 8 })).toBe(
      2999,
    );
    // a prefill worker of tp 16 spans two 8-GPU nodes: each node is wholly its (share 1)
    expect(
      dramOffloadGb({ kvOffloading: "dram", utilization: 1, runner: "cluster:a", runners: big, prefill: { tp: 16 } }),
    ).toBe(2999);
    expect(
      dramOffloadGb({ kvOffloading: "dram", utilization: 1, runner: "cluster:a", runners: big, prefill: { tp: 3 } }),
    ).toMatch(/does not divide gpus-per-node=8/);
  });
});

describe("planning agentic-coding scenarios", () => {
  const scenario = `    - dram-utilization: 0.8
      search-space:
      - { tp: 4, kv-offloading: dram, kv-offload-backend: { name: lmcache, version: "0.3.9" }, conc-list: [8, 32] }
      - { tp: 8, kv-offloading: none, spec-decoding: mtp, conc-start: 16, conc-end: 48 }
`;

  it("gives each concurrency its own deployment with a fixed duration and the DRAM budget", () => {
    const p = plan(agentic("a", scenario));
    expect(() => Plan.parse(p)).not.toThrow();
    const rows = p.deployments
      .map((d) => [d.tp, d.points.map((x) => x.concurrency), d.agentic?.dramOffloadGb] as const)
      .sort((a, b) => a[0]! - b[0]! || a[1][0]! - b[1][0]!);
    expect(rows).toEqual([
      [4, [8], 865],
      [4, [32], 865],
      [8, [16], 0],
      [8, [32], 0],
      [8, [48], 0],
    ]);
    const d = p.deployments.find((x) => x.tp === 4 && x.points[0]?.concurrency === 8)!;
    expect(d.scenario).toBe("agentic-coding");
    expect(d.maxModelLen).toBeUndefined();
    expect(d.agentic).toEqual({
      durationS: 3600,
      kvOffloading: "dram",
      kvOffloadBackend: { name: "lmcache", version: "0.3.9" },
      dramOffloadGb: 865,
    });
    expect(d.points[0]).toEqual({ concurrency: 8, isl: 0, osl: 0, durationS: 3600 });
    expect(d.eval).toBe(false);
    expect(p.deployments.filter((x) => x.tp === 8).map((x) => x.specDecoding)).toEqual(["mtp", "mtp", "mtp"]);
    expect(p.byScenario?.["agentic-coding"]?.points).toBe(5);
    // 3600 s + overhead per point dominates the estimate
    expect(d.estimate.loadSeconds).toBeGreaterThanOrEqual(3600);
  });

  it("evaluates agentic rows only for evals-only and all-evals keys, as the lab's include_agentic", () => {
    const evals = (sel: Parameters<typeof buildPlan>[1]["selection"]) =>
      plan(agentic("a", scenario), sel ? { selection: sel } : {})
        .deployments.filter((d) => d.eval)
        .map((d) => ({ tp: d.tp, at: d.evalConcs, points: d.points.length }));
    expect(evals(undefined)).toEqual([]);
    // one eval for the (model, runner, framework, precision) group: its highest concurrency
    expect(evals({ evalsOnlyKeys: new Set(["a"]) })).toEqual([{ tp: 8, at: [48], points: 0 }]);
    const all = evals({ evalsOnlyKeys: new Set(["a"]), allEvalsKeys: new Set(["a"]) });
    expect(all.flatMap((e) => e.at ?? []).sort((x, y) => x - y)).toEqual([8, 16, 32, 32, 48]);
  });

  it("takes the duration and one shared launch from the benchfleet block", () => {
    const text = `${agentic("a", scenario)}  benchfleet: { agentic-duration: 120, launch-per-point: false }\n`;
    const p = plan(text);
    expect(p.deployments.map((d) => d.points.map((x) => x.durationS)).sort((a, b) => a.length - b.length)).toEqual([
      [120, 120],
      [120, 120, 120],
    ]);
  });

  it("plans only the chosen scenario types, with totals per scenario", () => {
    const fixed = `    fixed-seq-len:
    - isl: 1024
      osl: 1024
      search-space:
      - { tp: 8, conc-list: [4] }
`;
    const text = agentic("a", scenario, "cluster:h200-x", fixed);
    const both = plan(text);
    expect(Object.keys(both.byScenario ?? {}).sort()).toEqual(["agentic-coding", "fixed-seq-len"]);
    expect(both.byScenario?.["fixed-seq-len"]?.deployments).toBe(1);
    const onlyFixed = plan(text, { selection: { scenarioTypes: new Set(["fixed-seq-len"]) } });
    expect(onlyFixed.deployments.map((d) => d.scenario)).toEqual(["fixed-seq-len"]);
    const onlyAgentic = plan(text, { selection: { scenarioTypes: new Set(["agentic-coding"]) } });
    expect(onlyAgentic.totals.deployments).toBe(5);
  });

  it("refuses dram offload without a hardware entry, naming the row", () => {
    const msg = failure(() => plan(agentic("a", scenario, "cluster:b200-y")));
    expect(msg).toMatch(/m\.yaml:\d+:\d+: a\.scenarios\.agentic-coding\[0\]\.search-space\[0\]/);
    expect(msg).toMatch(/hardware entry for runner "cluster:b200-y"/);
  });

  it("refuses dram offload without dram-utilization or without a backend, and non-cluster runners", () => {
    const noUtil = `    - search-space:
      - { tp: 4, kv-offloading: dram, kv-offload-backend: { name: lmcache }, conc-list: [8] }
`;
    expect(failure(() => plan(agentic("a", noUtil)))).toMatch(/needs the scenario's dram-utilization/);
    const noBackend = `    - dram-utilization: 0.5
      search-space:
      - { tp: 4, kv-offloading: dram, conc-list: [8] }
`;
    expect(failure(() => plan(agentic("a", noBackend)))).toMatch(/kv-offload-backend is required/);
    expect(failure(() => plan(agentic("a", scenario, "h200")))).toMatch(/'cluster:<name>' runner/);
  });

  it("plans multi-node agentic rows with the prefill worker's DRAM share", () => {
    const text = `
mn:
  image: img:1
  model: org/model
  model-prefix: m
  runner: cluster:gb200-z
  precision: fp4
  framework: dynamo-sglang
  multinode: true
  disagg: true
  kv-p2p-transfer: nixl
  scenarios:
    agentic-coding:
    - dram-utilization: 0.5
      search-space:
      - spec-decoding: none
        kv-offloading: dram
        kv-offload-backend: { name: hicache }
        prefill: { num-worker: 2, tp: 4, ep: 4, dp-attn: false }
        decode: { num-worker: 1, tp: 8, ep: 8, dp-attn: true }
        conc-list: [64, 128]
`;
    const p = plan(text);
    expect(p.deployments).toHaveLength(2);
    // 880_000 MiB × 2^20 × 0.5 × 4/4 / 1e9 = 461.37 → 461
    expect(p.deployments.map((d) => [d.gpus, d.agentic?.dramOffloadGb, d.kvP2pTransfer])).toEqual([
      [16, 461, "nixl"],
      [16, 461, "nixl"],
    ]);
  });

  it("warns once per entry whose agentic rows name srt-slurm recipes when none were given, else reads them", () => {
    const entry = (key: string, framework: string, settings: string) => `
${key}:
  image: img:1
  model: org/model
  model-prefix: m
  runner: cluster:gb200-z
  precision: fp4
  framework: ${framework}
  multinode: true
  disagg: true
  scenarios:
    agentic-coding:
    - search-space:
      - prefill: { num-worker: 1, tp: 4, ep: 4, dp-attn: false${settings} }
        decode: { num-worker: 1, tp: 4, ep: 4, dp-attn: false${settings} }
        conc-list: [8, 16]
      - prefill: { num-worker: 2, tp: 4, ep: 4, dp-attn: false${settings} }
        decode: { num-worker: 1, tp: 4, ep: 4, dp-attn: false${settings} }
        conc-list: [32]
`;
    const named = ', additional-settings: ["CONFIG_FILE=recipes/x/agentic/a.yaml"]';
    const text =
      entry("named", "dynamo-vllm", named) + entry("unnamed", "dynamo-vllm", "") + entry("llmd", "llmd-vllm", named);
    const none = plan(text);
    expect(none.deployments).toHaveLength(9);
    expect(none.warnings).toEqual([
      "m.yaml:2:1: named: its agentic-coding rows name srt-slurm recipes (CONFIG_FILE=) but no recipes were given (--srt-slurm DIR or BENCHFLEET_SRT_SLURM): planned from benchfleet's dynamo-vllm recipe, not the lab's",
    ]);
    // with recipes, the rows are launched from theirs: no warning, the recipe stored with the deployment
    const lookups: string[] = [];
    const source = (configFile: string) => {
      lookups.push(configFile);
      return { path: `/srt/${configFile}`, text: "name: a\n" };
    };
    const given = plan(text, { srtRecipes: source });
    expect(given.warnings).toBeUndefined();
    expect(given.deployments.map((d) => [d.configKey, d.srtRecipe?.path])).toEqual([
      ["llmd", undefined],
      ["llmd", undefined],
      ["llmd", undefined],
      ["named", "/srt/recipes/x/agentic/a.yaml"],
      ["named", "/srt/recipes/x/agentic/a.yaml"],
      ["named", "/srt/recipes/x/agentic/a.yaml"],
      ["unnamed", undefined],
      ["unnamed", undefined],
      ["unnamed", undefined],
    ]);
    expect(new Set(lookups)).toEqual(new Set(["recipes/x/agentic/a.yaml"]));
    // a recipe that cannot be found: the row is planned, its recipe naming where it is named
    const missing = () => ({ error: "recipe recipes/x/agentic/a.yaml not found; searched /srt" });
    const unfound = plan(text, { srtRecipes: missing }).deployments.filter((d) => d.configKey === "named");
    expect(unfound).toHaveLength(3);
    for (const d of unfound)
      expect(d.srtRecipe?.notFound).toMatch(
        /^m\.yaml:\d+:\d+: named\.scenarios\.agentic-coding\[0\]\.search-space\[\d\]\.prefill.*not found; searched \/srt$/,
      );
  });
});
