import { describe, expect, it } from "vitest";
import { classifyEngineExit } from "./engine-failure.js";

describe("engine exit classification", () => {
  it("OOM at this parallelism is not retryable", () => {
    expect(classifyEngineExit(["torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"])).toEqual({
      retryable: false,
      kind: "oom",
    });
    expect(classifyEngineExit(["error: out of memory: model needs 83.9 GB per GPU"])).toMatchObject({
      retryable: false,
    });
    expect(classifyEngineExit(["RuntimeError: HIP out of memory"])).toMatchObject({ kind: "oom" });
  });
  it("bad engine arguments are not retryable", () => {
    expect(classifyEngineExit(["launch_server.py: error: unrecognized arguments: --tpp 8"])).toEqual({
      retryable: false,
      kind: "bad-arguments",
    });
  });
  it("anything else is a retryable crash", () => {
    expect(classifyEngineExit(["Segmentation fault (core dumped)"])).toEqual({ retryable: true, kind: "crash" });
    expect(classifyEngineExit([])).toEqual({ retryable: true, kind: "crash" });
  });
});
