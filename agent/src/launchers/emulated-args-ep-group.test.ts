/**
 * A node's process of a vLLM data-parallel group launched one process per node
 * (`--data-parallel-size-local`, srtctl's per-node DP launch) models its node's ranks; with expert
 * parallelism its GPUs hold their share of the experts of the whole group (tp × the global DP size).
 */
import { describe, expect, it } from "vitest";
import { makeDeployment, processSpec } from "../test-support/assignment.js";
import { emulateArgs, flagValue } from "./emulated-args.js";

const args = (argv: string[], ep = 1) =>
  emulateArgs({
    spec: processSpec({ name: "w", argv, ports: { http: 8000 } }),
    deployment: makeDeployment({ framework: "dynamo-vllm", ep }),
  });
const perNode = ["python3", "-m", "dynamo.vllm", "--tensor-parallel-size", "1", "--data-parallel-hybrid-lb"];

describe("emulated launcher: an expert-parallel group spanning nodes", () => {
  it("gives a per-node DEP process its node's GPUs and the group's expert shards", () => {
    const a = args([
      ...perNode,
      "--data-parallel-size",
      "8",
      "--data-parallel-size-local",
      "4",
      "--enable-expert-parallel",
    ]);
    expect([flagValue(a, ["--tp"]), flagValue(a, ["--ep"]), flagValue(a, ["--ep-group"])]).toEqual(["4", "4", "8"]);
  });

  it("no group beyond the process without expert parallelism or when the group is the node", () => {
    const noEp = args([...perNode, "--data-parallel-size", "8", "--data-parallel-size-local", "4"]);
    expect(flagValue(noEp, ["--ep-group"])).toBeUndefined();
    const oneNode = args([
      ...perNode,
      "--data-parallel-size",
      "4",
      "--data-parallel-size-local",
      "4",
      "--enable-expert-parallel",
    ]);
    expect([flagValue(oneNode, ["--ep"]), flagValue(oneNode, ["--ep-group"])]).toEqual(["4", undefined]);
    // a deployment's EP wider than the node's process, without the flag
    const wide = args([...perNode, "--data-parallel-size", "8", "--data-parallel-size-local", "4"], 8);
    expect([flagValue(wide, ["--ep"]), flagValue(wide, ["--ep-group"])]).toEqual(["4", "8"]);
  });
});
