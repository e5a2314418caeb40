/**
 * The emulated engine's pipeline stages come from the engine's own launch flags (vLLM
 * `--pipeline-parallel-size` / `-pp`, SGLang `--pp-size`, trtllm-serve `--pp_size`), or from the
 * deployment where the argv names no parallelism at all (a TensorRT-LLM config file).
 */
import { describe, expect, it } from "vitest";
import { makeDeployment, processSpec } from "../test-support/assignment.js";
import { emulateArgs, flagValue } from "./emulated-args.js";

const pp = (argv: string[], over: Parameters<typeof makeDeployment>[0] = {}) =>
  flagValue(
    emulateArgs({ spec: processSpec({ name: "w", argv, ports: { http: 8000 } }), deployment: makeDeployment(over) }),
    ["--pp"],
  );

describe("emulated launcher: pipeline parallelism", () => {
  it("reads each engine's PP flag next to its TP", () => {
    expect(pp(["vllm", "serve", "m", "--tensor-parallel-size", "8", "--pipeline-parallel-size", "2"])).toBe("2");
    expect(pp(["vllm", "serve", "m", "-tp", "8", "-pp=4"])).toBe("4");
    expect(pp(["python3", "-m", "sglang.launch_server", "--tp-size", "8", "--pp-size", "2"])).toBe("2");
    expect(pp(["trtllm-serve", "m", "--tp_size", "8", "--pp_size", "2"])).toBe("2");
  });

  it("one stage where the flags give TP and no PP; the deployment's PP where they give neither", () => {
    expect(pp(["vllm", "serve", "m", "--tensor-parallel-size", "8"], { pp: 2 })).toBeUndefined();
    expect(pp(["vllm", "serve", "m", "--pipeline-parallel-size", "1"])).toBeUndefined();
    const args = emulateArgs({
      spec: processSpec({ name: "w", argv: ["trtllm-serve", "m", "--config", "c.yaml"], ports: { http: 8000 } }),
      deployment: makeDeployment({ framework: "trt", tp: 8, pp: 2 }),
    });
    expect(flagValue(args, ["--tp"])).toBe("8");
    expect(flagValue(args, ["--pp"])).toBe("2");
  });
});
