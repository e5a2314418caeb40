/** Reading server argvs into comparable commands, and holding a launch against a script's command. */
import { describe, expect, it } from "vitest";
import { compareWithScript } from "./script-check.js";
import { canonicalFlag, parseServerArgv } from "./server-command.js";

describe("parseServerArgv", () => {
  it("reads each engine's command, past wrappers, with canonical names and the spelling used", () => {
    const sgl = parseServerArgv([
      "python3",
      "-m",
      "sglang.launch_server",
      "--model-path=m",
      "--tp",
      "8",
      "--enable-dp-attention",
      "--mem-fraction-static",
      "0.82",
    ])!;
    expect(sgl.engine).toBe("sglang");
    expect(sgl.flags).toEqual({
      "model-path": "m",
      "tensor-parallel-size": "8",
      "enable-dp-attention": true,
      "mem-fraction-static": "0.82",
    });
    expect(sgl.spelling["tensor-parallel-size"]).toBe("tp");
    const vllm = parseServerArgv(["vllm", "serve", "org/model", "-tp", "4", "--compilation-config", '{"mode":3}'])!;
    expect(vllm).toMatchObject({
      engine: "vllm",
      flags: { "tensor-parallel-size": "4", "compilation-config": '{"mode":3}' },
    });
    expect(vllm.spelling["tensor-parallel-size"]).toBe("-tp");
    const trt = parseServerArgv(
      ["mpirun", "-n", "1", "--oversubscribe", "trtllm-serve", "m", "--max_batch_size", "64", "--config", "x.yml"],
      { NCCL_NVLS_ENABLE: "0" },
      "kv_cache_config:\n  dtype: fp8\n",
    )!;
    expect(trt).toMatchObject({
      engine: "trt",
      flags: { "max-batch-size": "64" },
      config: { kv_cache_config: { dtype: "fp8" } },
    });
    expect(trt.spelling["max-batch-size"]).toBe("max_batch_size");
    const atom = parseServerArgv([
      "python3",
      "-m",
      "atom.entrypoints.openai_server",
      "--kv_cache_dtype",
      "fp8",
      "-tp",
      "8",
    ])!;
    expect(atom.flags).toEqual({ "kv-cache-dtype": "fp8", "tensor-parallel-size": "8" });
  });

  it("returns undefined for a command that is no known server", () => {
    expect(parseServerArgv(["python3", "-m", "http.server"])).toBeUndefined();
    expect(parseServerArgv(["trtllm-serve", "disaggregated", "-c", "x.yaml"])).toBeUndefined();
  });

  it("aliases are per engine: --ep is SGLang's --ep-size, not vLLM's", () => {
    expect(canonicalFlag("sglang", "--ep")).toBe("ep-size");
    expect(canonicalFlag("vllm", "--ep")).toBe("ep");
    expect(canonicalFlag("atom", "--kv_cache_dtype")).toBe("kv-cache-dtype");
  });
});

describe("compareWithScript", () => {
  const script = parseServerArgv(
    [
      "vllm",
      "serve",
      "m",
      "--port",
      "8888",
      "--gpu-memory-utilization",
      "0.90",
      "--compilation-config",
      '{"a":1,"b":2}',
      "--async-scheduling",
    ],
    { VLLM_ROCM_USE_AITER_MOE: "1", HIP_VISIBLE_DEVICES: "0" },
  )!;

  it("passes when every script flag and env var is there with an equal value (numbers and JSON by value)", () => {
    const ours = parseServerArgv(
      [
        "vllm",
        "serve",
        "m",
        "--port",
        "20480",
        "--gpu-memory-utilization",
        "0.9",
        "--compilation-config",
        '{"b":2,"a":1}',
        "--async-scheduling",
        "--max-num-seqs",
        "64",
      ],
      { VLLM_ROCM_USE_AITER_MOE: "1" },
    )!;
    const c = compareWithScript(script, ours);
    expect(c.missing).toEqual([]);
    expect(c.extra).toEqual([{ kind: "flag", name: "max-num-seqs", ours: "64" }]);
  });

  it("names each flag, env var and option the launch lacks or sets otherwise", () => {
    const ours = parseServerArgv(["vllm", "serve", "m", "--gpu-memory-utilization", "0.8"], {})!;
    expect(compareWithScript(script, ours).missing).toEqual([
      { kind: "flag", name: "gpu-memory-utilization", script: "0.90", ours: "0.8" },
      { kind: "flag", name: "compilation-config", script: '{"a":1,"b":2}' },
      { kind: "flag", name: "async-scheduling", script: "(switch)" },
      { kind: "env", name: "VLLM_ROCM_USE_AITER_MOE", script: "1" },
    ]);
    const trtScript = parseServerArgv(
      ["trtllm-serve", "m"],
      {},
      "moe_config:\n  backend: TRTLLM\nstream_interval: 100\n",
    )!;
    const trtOurs = parseServerArgv(["trtllm-serve", "m"], {}, "moe_config:\n  backend: CUTLASS\n")!;
    expect(compareWithScript(trtScript, trtOurs).missing).toEqual([
      { kind: "config", name: "moe_config.backend", script: '"TRTLLM"', ours: '"CUTLASS"' },
      { kind: "config", name: "stream_interval", script: "100" },
    ]);
  });
});
