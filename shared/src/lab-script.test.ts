/** Script mode's pure parts: script names, the lab's env contract, its result JSON as a point. */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Deployment } from "./deployment.js";
import {
  labEvalConcs,
  labExpName,
  labResultFilename,
  labScriptCandidates,
  labScriptEnv,
  pointFromLabResult,
  withLabScript,
} from "./lab-script.js";

function deployment(over: Partial<Deployment> = {}): Deployment {
  return Deployment.parse({
    fingerprint: createHash("sha256").update("lab-script").digest("hex"),
    configKey: "dsr1-fp8-h200-sglang",
    configKeys: ["dsr1-fp8-h200-sglang"],
    sourceFiles: ["nvidia-master.yaml"],
    runner: "h200",
    sku: "h200",
    gpusPerNode: 8,
    image: "lmsysorg/sglang:v0.5.16",
    model: "deepseek-ai/DeepSeek-R1-0528",
    modelPrefix: "dsr1",
    precision: "fp8",
    framework: "sglang",
    isl: 8192,
    osl: 1024,
    specDecoding: "mtp",
    multinode: false,
    disagg: false,
    scenario: "fixed-seq-len",
    tp: 8,
    ep: 1,
    pp: 1,
    dpAttn: false,
    dcpSize: 1,
    pcpSize: 1,
    nodes: 1,
    gpus: 8,
    points: [{ concurrency: 4, isl: 8192, osl: 1024 }],
    eval: true,
    evalConc: 4,
    evalsOnly: false,
    launchPerPoint: false,
    promptsPerConc: 10,
    maxModelLen: 9472,
    recipeOverrides: {},
    priority: 100,
    timeouts: { prepare: 1, launch: 1, ready: 1, warmup: 1, load: 1, eval: 1, teardown: 1 },
    estimate: { launchSeconds: 0, loadSeconds: 0, evalSeconds: 0, wallSeconds: 0, gpuHours: 0 },
    ...over,
  });
}

describe("lab script names", () => {
  it("single-node: framework name first, then the legacy name; multi-node: the -disagg name", () => {
    expect(labScriptCandidates(deployment())).toEqual([
      "benchmarks/single_node/fixed_seq_len/dsr1_fp8_h200_sglang_mtp.sh",
      "benchmarks/single_node/fixed_seq_len/dsr1_fp8_h200_mtp.sh",
    ]);
    expect(labScriptCandidates(deployment({ framework: "trt", specDecoding: "none" }))[1]).toBe(
      "benchmarks/single_node/fixed_seq_len/dsr1_fp8_h200_trt.sh",
    );
    expect(labScriptCandidates(deployment({ multinode: true, framework: "tilert", sku: "b200" }))).toEqual([
      "benchmarks/multi_node/dsr1_fp8_b200_tilert.sh",
      "benchmarks/multi_node/dsr1_fp8_b200_tilert-disagg.sh",
    ]);
  });
});

describe("the lab's env contract", () => {
  it("is the workflow's env for one concurrency, RESULT_FILENAME as its launch step builds it", () => {
    const d = deployment();
    expect(labExpName(d)).toBe("dsr1_8k1k");
    expect(labExpName({ modelPrefix: "x", isl: 2048, osl: 128 })).toBe("x_2048_128");
    expect(labScriptEnv(d, 16, { runnerName: "h200-cw_0" })).toEqual({
      RANDOM_RANGE_RATIO: "0.8",
      HF_HUB_CACHE: "/mnt/hf_hub_cache/",
      EXP_NAME: "dsr1_8k1k",
      MODEL: "deepseek-ai/DeepSeek-R1-0528",
      MODEL_PREFIX: "dsr1",
      ISL: "8192",
      OSL: "1024",
      MAX_MODEL_LEN: "9472",
      IMAGE: "lmsysorg/sglang:v0.5.16",
      FRAMEWORK: "sglang",
      PRECISION: "fp8",
      TP: "8",
      PP_SIZE: "1",
      DCP_SIZE: "1",
      PCP_SIZE: "1",
      EP_SIZE: "1",
      DP_ATTENTION: "false",
      CONC: "16",
      SPEC_DECODING: "mtp",
      DISAGG: "false",
      RUN_EVAL: "false",
      EVAL_ONLY: "false",
      SCENARIO_TYPE: "fixed-seq-len",
      SCENARIO_SUBDIR: "fixed_seq_len/",
      IS_AGENTIC: "0",
      RESULT_DIR: "/workspace/results",
      PYTHONDONTWRITEBYTECODE: "1",
      PYTHONPYCACHEPREFIX: "/tmp/inferencex-pycache",
      RUNNER_NAME: "h200-cw_0",
      RUNNER_TYPE: "h200",
      RESULT_FILENAME: "dsr1_8k1k_fp8_sglang_tp8-pp1-dcp1-pcp1-ep1-dpafalse_disagg-false_spec-mtp_conc16_h200-cw_0",
      GPU_COUNT: "8",
      PORT: "8888",
    });
    expect(labResultFilename(deployment({ dpAttn: true, ep: 8 }), 64, "r_1")).toBe(
      "dsr1_8k1k_fp8_sglang_tp8-pp1-dcp1-pcp1-ep8-dpatrue_disagg-false_spec-mtp_conc64_r_1",
    );
  });

  it("script mode stores the script in the fingerprint and keeps the eval selection", () => {
    const d = deployment();
    const s = withLabScript(d, { path: "benchmarks/single_node/fixed_seq_len/a.sh", sha256: "a".repeat(64) });
    const t = withLabScript(d, { path: "benchmarks/single_node/fixed_seq_len/a.sh", sha256: "b".repeat(64) });
    expect(s.mode).toBe("script");
    expect(s.fingerprint).not.toBe(d.fingerprint);
    expect(s.fingerprint).not.toBe(t.fingerprint);
    expect(s.eval).toBe(true);
    expect(s.evalConc).toBe(4);
    expect(labEvalConcs(s)).toEqual([4]);
    expect(labEvalConcs({ ...s, evalConc: undefined })).toEqual([Math.max(...s.points.map((p) => p.concurrency))]);
    expect(labEvalConcs({ ...s, evalConcs: [8, 16] })).toEqual([8, 16]);
    expect(labEvalConcs({ ...s, eval: false })).toEqual([]);
    expect(Deployment.safeParse(s).success).toBe(true);
  });
});

// the lab client's `--save-result` JSON: no `failed`, `request_goodput:` with its colon
const LAB_RESULT = {
  date: "20261204-181500",
  backend: "vllm",
  model_id: "deepseek-ai/DeepSeek-R1-0528",
  tokenizer_id: "deepseek-ai/DeepSeek-R1-0528",
  best_of: 1,
  num_prompts: 40,
  request_rate: "inf",
  burstiness: 1.0,
  max_concurrency: 4,
  duration: 20.5,
  benchmark_start_time_unix: 1796407200,
  benchmark_end_time_unix: 1796407220.5,
  completed: 38,
  total_input_tokens: 311296,
  total_output_tokens: 38912,
  request_throughput: 1.85,
  "request_goodput:": null,
  output_throughput: 1898.1,
  total_token_throughput: 17083.2,
  mean_ttft_ms: 210.5,
  median_ttft_ms: 200.1,
  p99_ttft_ms: 410.2,
  mean_tpot_ms: 9.1,
  median_tpot_ms: 9.0,
  p99_tpot_ms: 12.3,
};

describe("the lab's result JSON as a point", () => {
  const point = { concurrency: 4, isl: 8192, osl: 1024 };
  const gpus = { total: 8, prefill: 0, decode: 0 };

  it("is stored as the lab client measured it, marked lab-script; failed = prompts not completed", () => {
    const r = pointFromLabResult(LAB_RESULT, "x.json", point, gpus, false);
    expect(r.measuredBy).toBe("lab-script");
    expect(r.status).toBe("ok");
    expect(r.bench.failed).toBe(2);
    expect(r.failures).toEqual({ "lab-client": 2 });
    expect(r.bench.output_throughput).toBe(1898.1);
    expect(r.startedAt).toBe("2026-12-04T18:00:00.000Z");
    expect(r.finishedAt).toBe("2026-12-04T18:00:20.500Z");
  });

  it("refuses another concurrency's result and a file that is no result, naming the file", () => {
    expect(() => pointFromLabResult({ ...LAB_RESULT, max_concurrency: 8 }, "r.json", point, gpus, false)).toThrow(
      "r.json: the result is for concurrency 8, the point is concurrency 4",
    );
    expect(() => pointFromLabResult({ model_id: "m" }, "r.json", point, gpus, false)).toThrow(
      /^r\.json: not a lab benchmark result: "date" /,
    );
    expect(() => pointFromLabResult([], "r.json", point, gpus, false)).toThrow(
      "r.json: the lab's result JSON is not an object",
    );
  });

  it("a run that completed nothing is a failed point", () => {
    const r = pointFromLabResult({ ...LAB_RESULT, completed: 0 }, "x.json", point, gpus, true);
    expect(r.status).toBe("failed");
    expect(r.failureReason).toBe("the lab's client completed none of 40 requests");
    expect(r.emulated).toBe(true);
  });
});
