import { describe, expect, it } from "vitest";
import { ConfigError } from "./config-error.js";
import { Deployment, Plan } from "./deployment.js";
import { loadMasterConfigs } from "./master-config-load.js";
import { measuredPrompts } from "./plan-estimate.js";
import { buildPlan, expandConcurrency } from "./planner.js";
import { testCatalog as catalog } from "./test-support/catalog.js";

const plan = (text: string, extra: Partial<Parameters<typeof buildPlan>[1]> = {}) =>
  buildPlan(loadMasterConfigs([{ file: "m.yaml", text }]), { catalog, ...extra });

const single = (key: string, body: string, runner = "h200") => `
${key}:
  image: img:1
  model: org/model
  model-prefix: dsr1
  runner: ${runner}
  precision: fp8
  framework: sglang
  multinode: false
  scenarios:
    fixed-seq-len:
${body}`;

describe("concurrency expansion", () => {
  it("doubles from conc-start to conc-end inclusive", () => {
    expect(expandConcurrency({ "conc-start": 4, "conc-end": 64 })).toEqual([4, 8, 16, 32, 64]);
    expect(expandConcurrency({ "conc-start": 1, "conc-end": 1 })).toEqual([1]);
  });
  it("clamps a doubling past conc-end to conc-end, as the reference generator does", () => {
    expect(expandConcurrency({ "conc-start": 3, "conc-end": 20 })).toEqual([3, 6, 12, 20]);
    expect(expandConcurrency({ "conc-start": 4, "conc-end": 6 })).toEqual([4, 6]);
  });
  it("takes conc-list sorted and deduplicated", () => {
    expect(expandConcurrency({ "conc-list": [64, 8, 8, 16] })).toEqual([8, 16, 64]);
  });
});

describe("planner", () => {
  it("makes one deployment per parallelism with its ordered points, and validates against the schema", () => {
    const p = plan(
      single(
        "a",
        `    - isl: 1024
      osl: 1024
      search-space:
      - { tp: 8, ep: 1, conc-start: 4, conc-end: 16 }
      - { tp: 4, conc-list: [32, 2] }
`,
      ),
    );
    expect(() => Plan.parse(p)).not.toThrow();
    expect(p.deployments).toHaveLength(2);
    const tp8 = p.deployments.find((d) => d.tp === 8)!;
    expect(tp8.points.map((x) => x.concurrency)).toEqual([4, 8, 16]);
    expect(tp8.points[0]).toEqual({ concurrency: 4, isl: 1024, osl: 1024 });
    expect(tp8).toMatchObject({
      sku: "h200",
      nodes: 1,
      gpus: 8,
      ep: 1,
      pp: 1,
      dpAttn: false,
      dcpSize: 1,
      pcpSize: 1,
      maxModelLen: 2304,
    });
    const tp4 = p.deployments.find((d) => d.tp === 4)!;
    expect(tp4.points.map((x) => x.concurrency)).toEqual([2, 32]);
    expect(tp4.gpus).toBe(4);
    expect(p.totals).toMatchObject({ deployments: 2, singleNodeDeployments: 2, multiNodeDeployments: 0, points: 5 });
    expect(p.totals.gpuHours).toBeCloseTo(tp8.estimate.gpuHours + tp4.estimate.gpuHours, 1);
    expect(p.bySku.h200!.deployments).toBe(2);
  });

  it("merges identical deployments from several rows and entries, unioning points", () => {
    const text =
      single(
        "a",
        `    - isl: 1024
      osl: 1024
      search-space:
      - { tp: 8, conc-start: 4, conc-end: 8 }
      - { tp: 8, ep: 1, conc-list: [8, 64] }
`,
      ) +
      single(
        "b",
        `    - isl: 1024
      osl: 1024
      search-space:
      - { tp: 8, conc-list: [128] }
`,
      );
    const p = plan(text);
    expect(p.deployments).toHaveLength(1);
    const d = p.deployments[0]!;
    expect(d.points.map((x) => x.concurrency)).toEqual([4, 8, 64, 128]);
    expect(d.configKeys).toEqual(["a", "b"]);
    expect(d.configKey).toBe("a");
  });

  it("keeps deployments apart when anything but concurrency differs (fingerprint)", () => {
    const p = plan(
      single(
        "a",
        `    - isl: 1024
      osl: 1024
      search-space:
      - { tp: 8, conc-list: [4] }
      - { tp: 8, spec-decoding: mtp, conc-list: [4] }
    - isl: 8192
      osl: 1024
      search-space:
      - { tp: 8, conc-list: [4] }
`,
      ),
    );
    expect(new Set(p.deployments.map((d) => d.fingerprint)).size).toBe(3);
    for (const d of p.deployments) expect(d.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it("fingerprints are stable across key order and file formatting", () => {
    const a = plan(single("a", `    - { isl: 1024, osl: 1024, search-space: [ { tp: 8, ep: 8, conc-list: [4] } ] }\n`));
    const b = plan(
      single("b", `    - osl: 1024\n      isl: 1024\n      search-space:\n      - { ep: 8, conc-list: [4], tp: 8 }\n`),
    );
    expect(a.deployments[0]!.fingerprint).toBe(b.deployments[0]!.fingerprint);
  });

  it("floors the prompts of AMD disaggregated points at 16, as the lab's AMD client does", () => {
    const text = (runner: string) => `
dis:
  image: img
  model: m
  model-prefix: dsr1
  runner: ${runner}
  precision: fp8
  framework: sglang-disagg
  multinode: true
  disagg: true
  kv-p2p-transfer: mori
  scenarios:
    fixed-seq-len:
    - isl: 8192
      osl: 1024
      search-space:
      - conc-list: [1, 4]
        prefill: { num-worker: 1, tp: 8, ep: 1, dp-attn: false }
        decode: { num-worker: 1, tp: 8, ep: 1, dp-attn: false }
`;
    const amd = plan(text("mi355x-disagg")).deployments[0]!;
    expect(amd.points.map((p) => [p.concurrency, p.minPrompts, measuredPrompts(p, amd.promptsPerConc)])).toEqual([
      [1, 16, 16],
      [4, 16, 40],
    ]);
    const nvidia = plan(text("b200-multinode")).deployments[0]!;
    expect(nvidia.points.map((p) => [p.minPrompts, measuredPrompts(p, nvidia.promptsPerConc)])).toEqual([
      [undefined, 10],
      [undefined, 40],
    ]);
  });

  it("counts multi-node GPUs as num-worker*tp*pp*pcp per pool and nodes per pool", () => {
    const text = `
dis:
  image: img
  model: m
  model-prefix: dsr1
  runner: gb200
  precision: fp4
  framework: dynamo-trt
  multinode: true
  disagg: true
  kv-p2p-transfer: nixl
  scenarios:
    fixed-seq-len:
    - isl: 8192
      osl: 1024
      search-space:
      - conc-list: [32, 8]
        prefill: { num-worker: 3, tp: 4, ep: 4, dp-attn: true, pcp-size: 2 }
        decode: { num-worker: 1, tp: 16, ep: 16, dp-attn: true, additional-settings: ["A=1", "B=x=y"] }
`;
    const d = plan(text).deployments[0]!;
    expect(d.multinode).toBe(true);
    expect(d.gpusPerNode).toBe(4);
    expect(d.prefill).toMatchObject({ numWorker: 3, gpusPerWorker: 8, gpus: 24, nodes: 6, pcpSize: 2 });
    expect(d.decode).toMatchObject({
      numWorker: 1,
      gpusPerWorker: 16,
      gpus: 16,
      nodes: 4,
      additionalSettings: ["A=1", "B=x=y"],
    });
    expect(d.gpus).toBe(40);
    expect(d.nodes).toBe(10);
    expect(d.kvP2pTransfer).toBe("nixl");
    expect(d.points.map((p) => p.concurrency)).toEqual([8, 32]);
    expect(() => Deployment.parse(d)).not.toThrow();
  });

  it("refuses a row asking for more GPUs than any deployment may use, at its file:line, before any layout", () => {
    const text = single(
      "huge",
      `    - isl: 1024
      osl: 1024
      search-space:
      - { tp: 8, conc-list: [4] }
      - { tp: 100000000, conc-list: [4] }
`,
    );
    expect(() => plan(text)).toThrow(
      /^m\.yaml:16:9: huge\.scenarios\.fixed-seq-len\[0\]\.search-space\[1\]: needs 100000000 GPUs \(12500000 nodes of 8\); a deployment may use at most 16384$/,
    );
    const pools = `
dis:
  image: img
  model: m
  model-prefix: dsr1
  runner: gb200
  precision: fp4
  framework: dynamo-trt
  multinode: true
  disagg: true
  kv-p2p-transfer: nixl
  scenarios:
    fixed-seq-len:
    - isl: 8192
      osl: 1024
      search-space:
      - conc-list: [8]
        prefill: { num-worker: 100000, tp: 4, ep: 4, dp-attn: false }
        decode: { num-worker: 1, tp: 4, ep: 4, dp-attn: false }
`;
    expect(() => plan(pools)).toThrow(
      /m\.yaml:17:9: dis\..*search-space\[0\]: needs 400004 GPUs \(100001 nodes of 4\)/,
    );
  });

  it("the Deployment schema refuses parallelism beyond the GPU limit even when nodes/gpus understate it", () => {
    const d = plan(single("ok", `    - { isl: 1024, osl: 1024, search-space: [ { tp: 8, conc-list: [4] } ] }\n`))
      .deployments[0]!;
    expect(Deployment.safeParse(d).success).toBe(true);
    const res = Deployment.safeParse({ ...d, tp: 100_000_000 });
    expect(res.success).toBe(false);
    expect(res.error!.issues[0]).toMatchObject({
      path: ["gpus"],
      message: "the deployment needs 100000000 GPUs; at most 16384 are allowed",
    });
  });

  it("uses runners.yaml gpus-per-node; a label it does not list runs as the reference does, with one warning", () => {
    const text = single(
      "a",
      `    - { isl: 1024, osl: 1024, search-space: [ { tp: 8, conc-list: [4] } ] }\n`,
      "h100-cw",
    );
    const runners = {
      labels: { "h100-cw": ["n1"] },
      hardware: { "h100-cw": { "gpus-per-node": 4, "available-cpu-dram-mib": 1000 } },
    };
    const d = plan(text, { runners }).deployments[0]!;
    expect(d).toMatchObject({ sku: "h100", gpusPerNode: 4, nodes: 2 });
    expect(plan(text, { runners }).warnings).toBeUndefined();
    const other =
      single("a", `    - { isl: 1024, osl: 1024, search-space: [ { tp: 8, conc-list: [4] } ] }\n`, "h200-dgxc") +
      single("b", `    - { isl: 8192, osl: 1024, search-space: [ { tp: 8, conc-list: [4] } ] }\n`, "h200-dgxc");
    const p = plan(other, { runners });
    expect(p.deployments.map((x) => [x.sku, x.runner, x.gpusPerNode])).toEqual([
      ["h200", "h200-dgxc", 8],
      ["h200", "h200-dgxc", 8],
    ]);
    expect(p.warnings).toEqual(['runner label "h200-dgxc" is not in runners.yaml: SKU h200 read from the label']);
    const unknown = single(
      "a",
      `    - { isl: 1024, osl: 1024, search-space: [ { tp: 8, conc-list: [4] } ] }\n`,
      "lab-x",
    );
    expect(() => plan(unknown, { runners })).toThrow(
      /m\.yaml:6:11: a\.runner: unknown runner label "lab-x": cannot tell its SKU/,
    );
  });

  it("reads runners.yaml hardware with YAML-1.1 digit groups as the reference writes them", async () => {
    const { loadRunnersFile } = await import("./master-config-load.js");
    const r = loadRunnersFile({
      file: "runners.yaml",
      text: "labels:\n  h100: [n1]\nhardware:\n  h100:\n    available-cpu-dram-mib: 2_063_837\n    gpus-per-node: 8\n",
    });
    expect(r.hardware!.h100!["available-cpu-dram-mib"]).toBe(2063837);
    expect(() =>
      loadRunnersFile({
        file: "runners.yaml",
        text: "labels:\n  h100: [n1]\nhardware:\n  h100:\n    available-cpu-dram-mib: lots\n    gpus-per-node: 8\n",
      }),
    ).toThrow(/runners\.yaml:5:29: hardware\.h100\.available-cpu-dram-mib/);
  });

  it("a runners.yaml sku that is no SKU is an error at its own line (not 'cannot tell its SKU' at the master config)", async () => {
    const { loadRunnersFile } = await import("./master-config-load.js");
    const text = (sku: string) =>
      `labels:\n  lab-x: [n1]\nhardware:\n  lab-x:\n    gpus-per-node: 8\n    available-cpu-dram-mib: 1\n    sku: ${sku}\n`;
    expect(loadRunnersFile({ file: "runners.yaml", text: text("b200") }).hardware!["lab-x"]!.sku).toBe("b200");
    expect(() => loadRunnersFile({ file: "runners.yaml", text: text("b2000") })).toThrow(
      /^runners\.yaml:7:10: hardware\.lab-x\.sku: Invalid option: expected one of "h100"\|/,
    );
  });

  it("infers the SKU from labels: gb200 is not b200, cluster: prefixes, suffixes", () => {
    const mk = (runner: string) =>
      plan(single("a", `    - { isl: 1, osl: 1, search-space: [ { tp: 1, conc-list: [1] } ] }\n`, runner))
        .deployments[0]!.sku;
    expect(mk("gb200")).toBe("gb200");
    expect(mk("b200-multinode")).toBe("b200");
    expect(mk("mi355x-disagg")).toBe("mi355x");
    expect(mk("cluster:b300-nv")).toBe("b300");
    expect(() => mk("a100")).toThrow(ConfigError);
  });

  it("selects keys by wildcard and SKU, and marks evals-only deployments", () => {
    const text =
      single("dsr1-a", `    - { isl: 1, osl: 1, search-space: [ { tp: 1, conc-list: [1, 2] } ] }\n`, "h100") +
      single("dsr1-b", `    - { isl: 1, osl: 1, search-space: [ { tp: 2, conc-list: [1] } ] }\n`, "b200") +
      single("gpt-c", `    - { isl: 1, osl: 1, search-space: [ { tp: 4, conc-list: [1] } ] }\n`, "b200");
    const configs = loadMasterConfigs([{ file: "m.yaml", text }]);
    expect(
      buildPlan(configs, { catalog, selection: { keys: ["dsr1-*"] } }).deployments.map((d) => d.configKey),
    ).toEqual(["dsr1-a", "dsr1-b"]);
    expect(buildPlan(configs, { catalog, skus: ["b200"] }).deployments.map((d) => d.configKey)).toEqual([
      "dsr1-b",
      "gpt-c",
    ]);
    // evals-only follows the lab's selection: a 1/1 row has no eligible point, so nothing runs
    const ev = buildPlan(configs, { catalog, selection: { keys: ["dsr1-a"], evalsOnlyKeys: new Set(["dsr1-a"]) } });
    expect(ev.deployments).toEqual([]);
    expect(() => buildPlan(configs, { catalog, selection: { keys: ["nope-*"] } })).toThrow(
      /nope-\*: matches no config key/,
    );
  });

  it("evals at the lab's concurrencies: highest and median in one launch, all-evals every 8k/1k one", () => {
    const text =
      single("dsr1-a", `    - { isl: 8192, osl: 1024, search-space: [ { tp: 8, conc-list: [4, 8, 16, 32, 64] } ] }\n`) +
      single("dsr1-b", `    - { isl: 1024, osl: 1024, search-space: [ { tp: 8, conc-list: [4, 64] } ] }\n`);
    const configs = loadMasterConfigs([{ file: "m.yaml", text }]);
    const evalOf = (sel: Parameters<typeof buildPlan>[1]["selection"]) =>
      buildPlan(configs, { catalog, ...(sel ? { selection: sel } : {}) }).deployments.map((d) => ({
        key: d.configKey,
        points: d.points.length,
        eval: d.eval,
        evalConc: d.evalConc,
        evalConcs: d.evalConcs,
      }));
    // two eval runs in the one launch: 300 s each in the estimate
    expect(buildPlan(configs, { catalog }).deployments[0]!.estimate.evalSeconds).toBe(600);
    // eligible 16, 32, 64: the highest 64 and the median 32, both in the one launch
    expect(evalOf(undefined)).toEqual([
      { key: "dsr1-a", points: 5, eval: true, evalConc: 64, evalConcs: [32, 64] },
      { key: "dsr1-b", points: 2, eval: false, evalConc: undefined, evalConcs: undefined },
    ]);
    const both = new Set(["dsr1-a", "dsr1-b"]);
    expect(evalOf({ evalsOnlyKeys: both })).toEqual([
      { key: "dsr1-a", points: 0, eval: true, evalConc: 64, evalConcs: [32, 64] },
    ]);
    // all-evals: every 8k/1k concurrency, 4 and 8 included; the 1k/1k row has none
    expect(evalOf({ evalsOnlyKeys: both, allEvalsKeys: both })).toEqual([
      { key: "dsr1-a", points: 0, eval: true, evalConc: 64, evalConcs: [4, 8, 16, 32, 64] },
    ]);
    // benchfleet.eval overrides the selection: off, an evals-only row has nothing to run
    const off = loadMasterConfigs([
      {
        file: "m.yaml",
        text: text.replace("  multinode: false\n", "  multinode: false\n  benchfleet: { eval: false }\n"),
      },
    ]);
    expect(buildPlan(off, { catalog, selection: { evalsOnlyKeys: both } }).deployments).toEqual([]);
  });

  it("applies the benchfleet block: priority, timeouts, eval off, launch per point", () => {
    const text = `
a:
  image: i
  model: m
  model-prefix: dsr1
  runner: h100
  precision: fp8
  framework: sglang
  multinode: false
  benchfleet:
    priority: 5
    eval: false
    launch-per-point: true
    timeouts: { pull: 100, ready: 200 }
  scenarios:
    fixed-seq-len:
    - { isl: 1024, osl: 1024, search-space: [ { tp: 8, conc-list: [1, 2, 4] } ] }
`;
    const p = plan(text);
    expect(p.deployments).toHaveLength(3);
    for (const d of p.deployments) {
      expect(d.points).toHaveLength(1);
      expect(d).toMatchObject({ priority: 5, eval: false, launchPerPoint: true });
      expect(d.timeouts.prepare).toBe(100);
      expect(d.timeouts.ready).toBe(200);
    }
  });

  it("keeps token-id prompts on every point of an entry that asks for them", () => {
    const body = "    - { isl: 1024, osl: 1024, search-space: [ { tp: 8, conc-list: [1, 4] } ] }\n";
    const ids = plan(
      single("a", body).replace("  multinode: false\n", "  multinode: false\n  benchfleet: { prompts: token-ids }\n"),
    );
    expect(ids.deployments.flatMap((d) => d.points.map((p) => p.prompts))).toEqual(["token-ids", "token-ids"]);
    // absent: the agent decides (lab prompts where it finds the model's tokenizer)
    expect(plan(single("a", body)).deployments.flatMap((d) => d.points.map((p) => p.prompts))).toEqual([
      undefined,
      undefined,
    ]);
    expect(() =>
      plan(single("a", body).replace("  multinode: false\n", "  multinode: false\n  benchfleet: { prompts: words }\n")),
    ).toThrow(/m\.yaml:\d+:\d+: a\.benchfleet\.prompts/);
  });
});
