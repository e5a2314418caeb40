/**
 * Script presets against the InferenceX scripts they stand for: each case builds a launch for a
 * script key at the script's conditions (ISL/OSL, TP, EP, DP attention, CONC) and checks the server
 * command carries the flags and env the script passes there. Facts were read from the scripts named
 * in configs/recipes/scripts/*.yaml.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, type LaunchPlan, RecipeError } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "./index.js";
import { loadPresets, loadScriptPresets } from "./preset-loader.js";
import { evalArithmetic, parseScriptPreset } from "./script-preset.js";
import { type DeploymentInput, makeDeployment, makePlacement } from "./test-support/deployments.js";

const recipeDir = fileURLToPath(new URL("../../configs/recipes/", import.meta.url));
const presets = loadPresets(recipeDir);
const scripts = loadScriptPresets(recipeDir);

function plan(i: DeploymentInput, point?: number): LaunchPlan {
  const d = makeDeployment(i);
  const p = point === undefined ? undefined : { concurrency: point, isl: d.isl, osl: d.osl };
  return buildLaunchPlan(d, makePlacement(d), { presets, scripts, ...(p ? { point: p } : {}) });
}
const worker = (p: LaunchPlan) => p.nodes[0]!.processes.find((x) => x.name === "worker-0-rank0")!;
function flag(argv: string[], name: string): string | true | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  return argv[i + 1] === undefined || argv[i + 1]!.startsWith("--") ? true : argv[i + 1];
}

const DSR1_H200: DeploymentInput = {
  configKey: "dsr1-fp8-h200-sglang",
  sku: "h200",
  framework: "sglang",
  model: "deepseek-ai/DeepSeek-R1-0528",
  modelPrefix: "dsr1",
  precision: "fp8",
  image: "lmsysorg/sglang:v0.5.9-cu130",
  concs: [4, 64],
  tp: 8,
  ep: 1,
};
const DSR1_B200_FP4: DeploymentInput = {
  ...DSR1_H200,
  configKey: "dsr1-fp4-b200-sglang",
  sku: "b200",
  precision: "fp4",
  model: "nvidia/DeepSeek-R1-0528-FP4-V2",
};

describe("script presets: dsr1_fp8_h200*.sh", () => {
  it("dsr1_fp8_h200.sh 1k/1k: BF16 KV, flashinfer, stream interval 10, 512 running", () => {
    const w = worker(plan({ ...DSR1_H200, isl: 1024, osl: 1024 }));
    expect(w.argv).not.toContain("--kv-cache-dtype");
    expect(flag(w.argv, "--attention-backend")).toBe("flashinfer");
    expect(flag(w.argv, "--stream-interval")).toBe("10");
    expect(flag(w.argv, "--max-running-requests")).toBe("512");
    expect(flag(w.argv, "--cuda-graph-max-bs")).toBe("512");
    expect(flag(w.argv, "--chunked-prefill-size")).toBe("32768");
    expect(flag(w.argv, "--max-prefill-tokens")).toBe("32768");
    expect(flag(w.argv, "--mem-fraction-static")).toBe("0.82");
    expect(flag(w.argv, "--decode-log-interval")).toBe("1");
    expect(flag(w.argv, "--disable-radix-cache")).toBe(true);
    expect(flag(w.argv, "--data-parallel-size")).toBe("1");
    expect(w.env.TORCH_CUDA_ARCH_LIST).toBe("9.0");
    expect(w.env.PYTHONNOUSERSITE).toBe("1");
  });

  it("dsr1_fp8_h200.sh 8k/1k: the else branch, 256 running", () => {
    const w = worker(plan({ ...DSR1_H200, isl: 8192, osl: 1024 }));
    expect(flag(w.argv, "--max-running-requests")).toBe("256");
    expect(flag(w.argv, "--cuda-graph-max-bs")).toBe("256");
  });

  it("dsr1_fp8_h200_mtp.sh: EAGLE 2 steps / 3 draft tokens / top-k 1, spec v2, BF16 KV", () => {
    const p = plan({ ...DSR1_H200, specDecoding: "mtp", isl: 8192, osl: 1024 });
    const w = worker(p);
    expect(flag(w.argv, "--speculative-algorithm")).toBe("EAGLE");
    expect(flag(w.argv, "--speculative-num-steps")).toBe("2");
    expect(flag(w.argv, "--speculative-num-draft-tokens")).toBe("3");
    expect(flag(w.argv, "--speculative-eagle-topk")).toBe("1");
    expect(flag(w.argv, "--attention-backend")).toBe("flashinfer");
    expect(flag(w.argv, "--stream-interval")).toBe("10");
    expect(w.argv).not.toContain("--kv-cache-dtype");
    expect(w.env.SGLANG_ENABLE_SPEC_V2).toBe("1");
    expect(p.notes).toContain("settings of the lab script benchmarks/single_node/fixed_seq_len/dsr1_fp8_h200_mtp.sh");
  });
});

describe("script presets: dsr1_fp4_b200.sh (conditions on CONC and DP attention)", () => {
  it("CONC < 16: scheduler recv interval 10; radix cache by env, not flag", () => {
    const w = worker(plan(DSR1_B200_FP4, 4));
    expect(flag(w.argv, "--scheduler-recv-interval")).toBe("10");
    expect(flag(w.argv, "--chunked-prefill-size")).toBe("16384");
    expect(w.argv).not.toContain("--disable-radix-cache");
    expect(w.env.SGLANG_RADIX_FORCE_MISS).toBe("1");
    expect(flag(w.argv, "--kv-cache-dtype")).toBe("fp8_e4m3");
    expect(flag(w.argv, "--quantization")).toBe("modelopt_fp4");
    expect(flag(w.argv, "--moe-runner-backend")).toBe("flashinfer_trtllm");
    expect(flag(w.argv, "--max-running-requests")).toBe("256");
  });

  it("CONC >= 16: scheduler recv interval 30", () => {
    expect(flag(worker(plan(DSR1_B200_FP4, 16)).argv, "--scheduler-recv-interval")).toBe("30");
  });

  it("a launch for several concurrencies is sized for the largest and says so", () => {
    const p = plan(DSR1_B200_FP4);
    expect(flag(worker(p).argv, "--scheduler-recv-interval")).toBe("30");
    expect(p.notes.some((n) => n.includes("sets values by CONC"))).toBe(true);
  });

  it("DP_ATTENTION=true: dp size = TP, recv interval 1, the script's DPA args, no a2a backend", () => {
    const w = worker(plan({ ...DSR1_B200_FP4, ep: 8, dpAttn: true }, 64));
    expect(flag(w.argv, "--data-parallel-size")).toBe("8");
    expect(flag(w.argv, "--scheduler-recv-interval")).toBe("1");
    expect(flag(w.argv, "--chunked-prefill-size")).toBe("32768");
    expect(flag(w.argv, "--enable-dp-attention-local-control-broadcast")).toBe(true);
    expect(flag(w.argv, "--schedule-conservativeness")).toBe("3.33");
    expect(w.argv).not.toContain("--moe-a2a-backend");
  });
});

describe("script presets: loading", () => {
  it("every file is named for its script and parses", () => {
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const s of scripts) expect(s.script).toMatch(/^benchmarks\/single_node\/(fixed_seq_len|agentic)\/.+\.sh$/);
    expect(scripts.filter((s) => s.script.includes("/agentic/")).length).toBeGreaterThanOrEqual(3);
  });

  it("scripts/agentic/ holds the agentic scripts' presets, scripts/ the others", () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-script-presets-"));
    const text = (folder: string) =>
      `script: benchmarks/single_node/${folder}/demo_fp8_h200_mtp.sh\nmodel: demo\nprecision: fp8\nsku: h200\nframework: vllm\nspec: mtp\nengine: vllm\nrules: [{}]\n`;
    try {
      mkdirSync(join(dir, "scripts", "agentic"), { recursive: true });
      writeFileSync(join(dir, "scripts", "agentic", "demo_fp8_h200_mtp.yaml"), text("agentic"));
      writeFileSync(join(dir, "scripts", "demo_fp8_h200_mtp.yaml"), text("fixed_seq_len"));
      expect(loadScriptPresets(dir).map((s) => s.script)).toEqual([
        "benchmarks/single_node/fixed_seq_len/demo_fp8_h200_mtp.sh",
        "benchmarks/single_node/agentic/demo_fp8_h200_mtp.sh",
      ]);
      writeFileSync(join(dir, "scripts", "demo_fp8_h200_mtp.yaml"), text("agentic"));
      expect(() => loadScriptPresets(dir)).toThrow(ConfigError);
      expect(() => loadScriptPresets(dir)).toThrow(/demo_fp8_h200_mtp\.yaml:1:1: .*belongs in scripts\/agentic\//);
      writeFileSync(join(dir, "scripts", "demo_fp8_h200_mtp.yaml"), text("fixed_seq_len"));
      writeFileSync(join(dir, "scripts", "agentic", "demo_fp8_h200_mtp.yaml"), text("fixed_seq_len"));
      expect(() => loadScriptPresets(dir)).toThrow(
        /only the presets of benchmarks\/single_node\/agentic\/\*\.sh belong/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("values may hold bash arithmetic over the script's variables", () => {
    const vars = { CONC: 12, TP: 8 };
    expect(evalArithmetic("2 * CONC", vars, "s")).toBe(24);
    expect(evalArithmetic("2 * $CONC * (1 + 3)", vars, "s")).toBe(96);
    expect(evalArithmetic("(CONC - 5) / TP", vars, "s")).toBe(0);
    expect(evalArithmetic("-7 / 2", vars, "s")).toBe(-3);
    expect(() => evalArithmetic("2 * DCP", vars, "s.sh")).toThrow(
      /s\.sh: \$\(\(2 \* DCP\)\): unknown script variable DCP/,
    );
    expect(() => evalArithmetic("CONC / 0", vars, "s.sh")).toThrow(/division by zero/);
    expect(() => evalArithmetic("(CONC", vars, "s.sh")).toThrow(/not closed/);
    expect(() => evalArithmetic("CONC % 2", vars, "s.sh")).toThrow(/unexpected "%"/);
  });

  it("bad YAML is a ConfigError at file:line:col", () => {
    const text =
      "script: benchmarks/x.sh\nmodel: dsr1\nprecision: fp8\nsku: h200\nframework: sglang\nspec: eagle\nengine: sglang\nrules: [{}]\n";
    expect(() => parseScriptPreset(text, "x.yaml")).toThrow(ConfigError);
    expect(() => parseScriptPreset(text, "x.yaml")).toThrow(/x\.yaml:6:\d+/);
  });

  it("a file whose name differs from its script is refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "script-presets-"));
    mkdirSync(join(dir, "scripts"));
    writeFileSync(
      join(dir, "scripts", "other.yaml"),
      "script: benchmarks/single_node/fixed_seq_len/a.sh\nmodel: m\nprecision: fp8\nsku: h200\nframework: sglang\nspec: none\nengine: sglang\nrules: [{ flags: { a: 1 } }]\n",
    );
    expect(() => loadScriptPresets(dir)).toThrow(/must be named like the file "other\.sh"/);
  });

  it("$(seq -s, FIRST STEP LAST) lists what the script's loop builds, after arithmetic and $VARS", () => {
    const text = (value: string) =>
      `script: benchmarks/single_node/fixed_seq_len/dsr1_fp8_h200.sh\nmodel: dsr1\nprecision: fp8\nsku: h200\nframework: sglang\nspec: none\nengine: sglang\nrules: [{ flags: { cuda-graph-bs: '${value}' } }]\n`;
    const d = makeDeployment(DSR1_H200);
    const bs = (value: string, conc: number) =>
      flag(
        worker(
          buildLaunchPlan(d, makePlacement(d), {
            scripts: [parseScriptPreset(text(value), "seq.yaml")],
            point: { concurrency: conc, isl: d.isl, osl: d.osl },
          }),
        ).argv,
        "--cuda-graph-bs",
      );
    expect(bs("[$(seq -s, 4 4 $((2 * CONC * 4)))]", 3)).toBe("[4,8,12,16,20,24]");
    expect(bs("$(seq -s, $CONC -1 1)", 3)).toBe("3,2,1");
    expect(bs("[$(seq -s, 4 4 $((CONC - 2)))]", 1)).toBe("[]");
    expect(() => bs("$(seq -s, 1 0 $CONC)", 3)).toThrow(/dsr1_fp8_h200\.sh: \$\(seq -s, 1 0 3\): .*STEP not 0/);
  });

  it("$(sort -n -u LIST) merges lists as the script's sort -n -u | paste -sd, does", () => {
    const text = (value: string) =>
      `script: benchmarks/single_node/fixed_seq_len/dsr1_fp8_h200.sh\nmodel: dsr1\nprecision: fp8\nsku: h200\nframework: sglang\nspec: none\nengine: sglang\nrules: [{ flags: { cuda-graph-bs: '${value}' } }]\n`;
    const d = makeDeployment(DSR1_H200);
    const bs = (value: string, conc: number) =>
      flag(
        worker(
          buildLaunchPlan(d, makePlacement(d), {
            scripts: [parseScriptPreset(text(value), "sort.yaml")],
            point: { concurrency: conc, isl: d.isl, osl: d.osl },
          }),
        ).argv,
        "--cuda-graph-bs",
      );
    // decode multiples 4..8·CONC and the piecewise sizes: overlapping at 100 and 200 when CONC is 25
    const merged = "[$(sort -n -u $(seq -s, 4 4 $((8 * CONC))),100,200,300,400,500)]";
    expect(bs(merged, 1)).toBe("[4,8,100,200,300,400,500]");
    const at25 = bs(merged, 25);
    expect(at25).toBe(`[${[...Array.from({ length: 50 }, (_, i) => 4 * (i + 1)), 300, 400, 500].join(",")}]`);
    expect(String(at25).match(/\b100\b/g)).toHaveLength(1);
    expect(bs("[$(sort -n -u 30,4,$CONC,4)]", 9)).toBe("[4,9,30]");
    expect(bs("[$(sort -n -u $(seq -s, 4 4 $((CONC - 2))))]", 1)).toBe("[]");
    expect(() => bs("$(sort -n -u 4,x8)", 3)).toThrow(
      /dsr1_fp8_h200\.sh: \$\(sort -n -u 4,x8\): "x8" is not an integer/,
    );
  });

  it("an unknown $VAR in a value is a RecipeError naming the script", () => {
    const bad = parseScriptPreset(
      "script: benchmarks/single_node/fixed_seq_len/dsr1_fp8_h200.sh\nmodel: dsr1\nprecision: fp8\nsku: h200\nframework: sglang\nspec: none\nengine: sglang\nrules: [{ flags: { cuda-graph-max-bs: $MAXBS } }]\n",
      "bad.yaml",
    );
    const d = makeDeployment(DSR1_H200);
    expect(() => buildLaunchPlan(d, makePlacement(d), { scripts: [bad] })).toThrow(RecipeError);
    expect(() => buildLaunchPlan(d, makePlacement(d), { scripts: [bad] })).toThrow(
      /dsr1_fp8_h200\.sh: unknown script variable \$MAXBS/,
    );
  });
});

describe("script presets: the scenario's folder", () => {
  const QWEN_H200: DeploymentInput = {
    configKey: "qwen3.5-fp8-h200-sglang-mtp",
    sku: "h200",
    framework: "sglang",
    model: "Qwen/Qwen3.5-397B-A17B-FP8",
    modelPrefix: "qwen3.5",
    precision: "fp8",
    image: "lmsysorg/sglang:v0.5.16-cu129",
    concs: [8],
    tp: 8,
    specDecoding: "mtp",
  };
  const agentic = (i: DeploymentInput) => {
    const { maxModelLen: _, ...d } = makeDeployment(i);
    return {
      ...d,
      scenario: "agentic-coding" as const,
      isl: 0,
      osl: 0,
      agentic: { durationS: 3600, kvOffloading: "none" as const, dramOffloadGb: 0 },
    };
  };
  const scriptNote = (p: LaunchPlan) => p.notes.find((n) => n.startsWith("settings of the lab script"));
  // the repository's fixed-seq-len presets, without its agentic preset of the same key
  const fixedOnly = scripts.filter((s) => s.script.startsWith("benchmarks/single_node/fixed_seq_len/"));

  it("an agentic row never takes the fixed-seq-len script of its key", () => {
    const fixed = makeDeployment(QWEN_H200);
    expect(scriptNote(buildLaunchPlan(fixed, makePlacement(fixed), { presets, scripts }))).toContain(
      "fixed_seq_len/qwen3.5_fp8_h200_mtp.sh",
    );
    // the fixed-seq-len preset names $MAX_MODEL_LEN, which an agentic row does not plan
    const a = agentic(QWEN_H200);
    const p = buildLaunchPlan(a, makePlacement(a), { presets, scripts: fixedOnly });
    expect(scriptNote(p)).toBeUndefined();
    expect(flag(worker(p).argv, "--context-length")).toBeUndefined();
    expect(flag(worker(p).argv, "--disable-radix-cache")).toBeUndefined();
  });

  it("a preset of the agentic folder applies to agentic rows of its key only", () => {
    const own = parseScriptPreset(
      "script: benchmarks/single_node/agentic/qwen3.5_fp8_h200_mtp.sh\nmodel: qwen3.5\nprecision: fp8\nsku: h200\nframework: sglang\nspec: mtp\nengine: sglang\nrules: [{ flags: { mem-fraction-static: 0.8 } }]\n",
      "qwen3.5_fp8_h200_mtp.yaml",
    );
    const a = agentic(QWEN_H200);
    const p = buildLaunchPlan(a, makePlacement(a), { presets, scripts: [...fixedOnly, own] });
    expect(scriptNote(p)).toContain("agentic/qwen3.5_fp8_h200_mtp.sh");
    expect(flag(worker(p).argv, "--mem-fraction-static")).toBe("0.8");
    const fixed = makeDeployment(QWEN_H200);
    const f = buildLaunchPlan(fixed, makePlacement(fixed), { presets, scripts: [own] });
    expect(scriptNote(f)).toBeUndefined();
  });
});
