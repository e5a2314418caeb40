/**
 * Lab scripts held against launches, on scripts written for these tests in the lab's format
 * (fixtures/lab/...): the trace runs each under real bash with stubbed commands, the draft turns the
 * traces into a preset, and the check finds the launch built from that preset equal to the script
 * at every point, and names what differs when the preset is wrong or absent.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScriptPreset, type ScriptPreset } from "@benchfleet/recipes";
import { type DeploymentInput, makeDeployment } from "@benchfleet/recipes/test-support";
import { describe, expect, it } from "vitest";
import { labScriptFor, traceLabScript } from "./lab-script-trace.js";
import { checkLabRows, draftPresets, type LabRow, presetDoc } from "./lab-scripts.js";

const SCRIPTS = fileURLToPath(new URL("./fixtures/lab/benchmarks/single_node/fixed_seq_len/", import.meta.url));
const SGL = join(SCRIPTS, "demo_fp8_h200.sh");
const TRT = join(SCRIPTS, "demo_fp4_b200_trt.sh");

const inputs = {
  model: "org/Demo",
  isl: 1024,
  osl: 1024,
  tp: 8,
  ep: 1,
  dpAttn: false,
  conc: 8,
  maxModelLen: 2304,
  precision: "fp8",
  framework: "sglang",
  spec: "none" as const,
};

const demo: DeploymentInput = {
  configKey: "demo-fp8-h200-sglang",
  sku: "h200",
  framework: "sglang",
  model: "org/Demo",
  modelPrefix: "demo",
  precision: "fp8",
  image: "img",
  concs: [4, 8, 32],
  tp: 8,
};
const sglRows: LabRow[] = [
  { d: makeDeployment(demo), script: SGL },
  { d: makeDeployment({ ...demo, isl: 8192, osl: 1024, dpAttn: true, ep: 8, concs: [64, 256] }), script: SGL },
];
const trtRows: LabRow[] = [
  {
    d: makeDeployment({
      ...demo,
      configKey: "demo-fp4-b200-trt",
      sku: "b200",
      framework: "trt",
      precision: "fp4",
      concs: [4, 16, 64],
    }),
    script: TRT,
  },
];

function draft(rows: LabRow[]): ScriptPreset {
  const [d] = draftPresets(rows, { existing: new Map() });
  return parseScriptPreset(d!.text, `${d!.name}.yaml`);
}

describe("traceLabScript", () => {
  it("records the server command the script runs for the inputs, conditions evaluated by bash", () => {
    const low = traceLabScript(SGL, inputs).command;
    expect(low.engine).toBe("sglang");
    expect(low.flags).toMatchObject({
      "tensor-parallel-size": "8",
      "data-parallel-size": "1",
      "cuda-graph-max-bs": "8",
      "scheduler-recv-interval": "10",
      "chunked-prefill-size": "16384",
      "context-length": "2304",
      "chat-template": "$LAB/benchmarks/single_node/fixed_seq_len/../chat_templates/demo.jinja",
    });
    expect(low.env).toEqual({ SGLANG_DEMO_FAST: "1" });
    expect(traceLabScript(SGL, inputs).setup).toEqual(["pip install -q --upgrade transformers"]);
    const high = traceLabScript(SGL, { ...inputs, isl: 8192, conc: 64, dpAttn: true }).command;
    expect(high.flags).toMatchObject({
      "data-parallel-size": "8",
      "enable-dp-attention": true,
      "scheduler-recv-interval": "30",
      "chunked-prefill-size": "32768",
    });
  });

  it("reads the TensorRT-LLM options file the command names, through mpirun", () => {
    const t = traceLabScript(TRT, { ...inputs, framework: "trt", conc: 4 });
    expect(t.argv[0]).toBe("trtllm-serve");
    expect(t.command.flags["max-batch-size"]).toBe("16");
    expect(t.command.env).toEqual({ NCCL_NVLS_ENABLE: "0" });
    expect(t.command.config).toEqual({
      cuda_graph_config: { enable_padding: true, max_batch_size: 16 },
      enable_attention_dp: false,
      kv_cache_config: { dtype: "fp8", enable_block_reuse: false },
    });
  });

  it("fails naming the script and the inputs when the script exits non-zero or starts no server", () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-trace-test-"));
    try {
      writeFileSync(join(dir, "bad.sh"), 'echo "no such model" >&2\nexit 3\n');
      expect(() => traceLabScript(join(dir, "bad.sh"), inputs)).toThrow(
        /bad\.sh: exited 3 for ISL=1024 .*CONC=8:\nno such model/,
      );
      writeFileSync(join(dir, "idle.sh"), "echo nothing\n");
      expect(() => traceLabScript(join(dir, "idle.sh"), inputs)).toThrow(/idle\.sh: started no server/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finds a row's script as the lab's launchers do: framework name first, then the older name", () => {
    const key = { model: "demo", precision: "fp4", sku: "b200", framework: "trt", spec: "none" };
    expect(labScriptFor(SCRIPTS, key)).toBe(TRT);
    // no demo_fp8_h200_sglang.sh: the name without the framework
    expect(labScriptFor(SCRIPTS, { ...key, precision: "fp8", sku: "h200", framework: "sglang" })).toBe(SGL);
    expect(labScriptFor(SCRIPTS, { ...key, framework: "vllm" })).toBeUndefined();
  });
});

describe("drafted presets against their scripts", () => {
  it("the draft reproduces the SGLang script at every point; the lab-checkout file is listed as not reproduced", () => {
    const preset = draft(sglRows);
    expect(preset).toMatchObject({
      model: "demo",
      precision: "fp8",
      sku: "h200",
      framework: "sglang",
      engine: "sglang",
    });
    expect(preset["not-reproduced"]).toEqual([
      "pip install -q --upgrade transformers: run by the script before the server; benchfleet runs the image as it is",
      "--chat-template $LAB/benchmarks/single_node/fixed_seq_len/../chat_templates/demo.jinja: a file of the lab checkout, not in the image",
    ]);
    // per-concurrency values are the script's variable, the recv interval a concurrency range
    const flags = Object.assign({}, ...preset.rules.filter((r) => !r.when).map((r) => r.flags));
    expect(flags).toMatchObject({ "cuda-graph-max-bs": "$CONC", "tensor-parallel-size": "$TP", "ep-size": null });
    expect(preset.rules).toContainEqual({ when: { conc: { min: 32 } }, flags: { "scheduler-recv-interval": 30 } });
    const checks = checkLabRows(sglRows, { presets: {}, scripts: [preset] });
    expect(checks.map((c) => c.conc)).toEqual([4, 8, 32, 64, 256]);
    for (const c of checks) {
      expect(c.error).toBeUndefined();
      expect(c.comparison!.missing).toEqual([]);
      expect(c.excused!.map((m) => m.name)).toEqual(["chat-template"]);
    }
  });

  it("the draft reproduces the TensorRT-LLM script's flags and options, max(CONC, 16) as a range", () => {
    const preset = draft(trtRows);
    const checks = checkLabRows(trtRows, { presets: {}, scripts: [preset] });
    expect(checks.map((c) => [c.conc, c.error, c.comparison?.missing])).toEqual([
      [4, undefined, []],
      [16, undefined, []],
      [64, undefined, []],
    ]);
  });

  it("a wrong or missing preset is reported point by point with the script's and the launch's values", () => {
    const preset = draft(sglRows);
    const wrong: ScriptPreset = { ...preset, rules: preset.rules.filter((r) => r.when?.conc?.min !== 32) };
    const checks = checkLabRows(sglRows.slice(0, 1), { presets: {}, scripts: [wrong] });
    expect(checks.map((c) => [c.conc, c.comparison!.missing])).toEqual([
      [4, []],
      [8, []],
      [32, [{ kind: "flag", name: "scheduler-recv-interval", script: "30", ours: "10" }]],
    ]);
    const none = checkLabRows(sglRows.slice(0, 1), { presets: {}, scripts: [] });
    expect(none[0]!.comparison!.missing.map((m) => m.name)).toEqual(
      expect.arrayContaining([
        "scheduler-recv-interval",
        "chunked-prefill-size",
        "mem-fraction-static",
        "context-length",
        "SGLANG_DEMO_FAST",
      ]),
    );
  });

  it("a row whose key has no script is reported, not skipped", () => {
    const checks = checkLabRows([{ d: makeDeployment({ ...demo, concs: [4] }) }], { presets: {}, scripts: [] });
    expect(checks).toEqual([
      expect.objectContaining({
        configKey: "demo-fp8-h200-sglang",
        conc: 4,
        error: "the lab has no script for this key",
      }),
    ]);
  });

  it("the docs table has a line per script with its points passing and what it does not reproduce", () => {
    const preset = draft(sglRows);
    const wrong: ScriptPreset = { ...preset, rules: preset.rules.filter((r) => r.when?.conc?.min !== 32) };
    const rows = [
      ...sglRows,
      { d: makeDeployment({ ...demo, configKey: "demo-vllm", framework: "vllm", concs: [4] }) },
    ];
    const doc = presetDoc(rows, checkLabRows(rows, { presets: {}, scripts: [wrong] }), [wrong], { head: "abc1234" });
    expect(doc).toContain("from InferenceX abc1234");
    expect(doc).toContain(
      "**3 deployments (launch groups of the rows), 2 of 6 points carry everything their script passes**",
    );
    expect(doc).toMatch(
      /\| demo \| fp8 \| h200 \| sglang \| none \| \[demo_fp8_h200\.sh\]\(\.\.\/configs\/recipes\/scripts\/demo_fp8_h200\.yaml\) \| 2 \| 2\/5 \| pip install .*; --chat-template /,
    );
    expect(doc).toContain("| demo | fp8 | h200 | vllm | none | (none) demo_fp8_h200_vllm (no preset) | 1 | 0/1 | - |");
    expect(doc).toContain("flag scheduler-recv-interval: script 30, ours 10");
  });
});
