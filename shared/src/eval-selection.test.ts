/** The default eval selection against the reference generator's mark_eval_entries rules. */
import { describe, expect, it } from "vitest";
import { allEvalsChoice, evalConcurrencies, selectAgenticEvals, selectEvals } from "./eval-selection.js";

const pts = (...c: number[]) => c.map((concurrency) => ({ concurrency, isl: 8192, osl: 1024 }));
const single = (o: { tp?: number; concs: number[]; dpAttn?: boolean; isl?: number; framework?: string }) => ({
  model: "org/m",
  runner: "h200",
  framework: o.framework ?? "sglang",
  precision: "fp8",
  isl: o.isl ?? 8192,
  osl: 1024,
  specDecoding: "none" as const,
  dpAttn: o.dpAttn ?? false,
  multinode: false,
  scenario: "fixed-seq-len" as const,
  points: pts(...o.concs),
  tp: o.tp ?? 8,
});

describe("selectEvals (mark_eval_entries)", () => {
  it("single node: the highest and the median eligible concurrency of a group, over every TP", () => {
    // eligible concs of the group: 16, 32, 64, 128 → highest 128, median (index 2) 64
    const out = selectEvals([
      single({ tp: 4, concs: [4, 8, 16, 32, 64] }),
      single({ tp: 8, concs: [4, 8, 16, 32, 64, 128] }),
      single({ tp: 2, concs: [4, 8, 16, 32] }),
    ]);
    // tp8 holds both: it evaluates at both in its one launch, as the lab's two rows do
    expect(out).toEqual([{ eval: true, evalConcs: [64] }, { eval: true, evalConcs: [64, 128] }, { eval: false }]);
  });

  it("only 8k/1k and concurrency >= 16; DP attention and framework make their own groups", () => {
    const out = selectEvals([
      single({ concs: [4, 8] }),
      single({ concs: [16, 64], isl: 1024 }),
      single({ concs: [16, 32], dpAttn: true }),
      single({ concs: [16, 32], framework: "vllm" }),
    ]);
    // eligible 16, 32: the highest is 32 and the median (index 1) is 32
    expect(out).toEqual([
      { eval: false },
      { eval: false },
      { eval: true, evalConcs: [32] },
      { eval: true, evalConcs: [32] },
    ]);
  });

  it("multi node: each topology at its highest eligible concurrency; agentic rows never", () => {
    const mn = { ...single({ concs: [8, 16, 64] }), multinode: true };
    const low = { ...single({ concs: [4, 8] }), multinode: true };
    const agentic = { ...single({ concs: [16, 32] }), scenario: "agentic-coding" as const };
    expect(selectEvals([mn, low, agentic])).toEqual([
      { eval: true, evalConcs: [64] },
      { eval: false },
      { eval: false },
    ]);
  });

  it("a median apart from the highest: three eligible concurrencies evaluate at the middle and the top", () => {
    expect(selectEvals([single({ concs: [4, 16, 32, 64] })])).toEqual([{ eval: true, evalConcs: [32, 64] }]);
  });
});

describe("allEvalsChoice (mark_all_eval_entries)", () => {
  it("every 8k/1k concurrency, below 16 too; other lengths and agentic rows none", () => {
    expect(allEvalsChoice(single({ concs: [4, 8, 64] }))).toEqual({ eval: true, evalConcs: [4, 8, 64] });
    expect(allEvalsChoice(single({ concs: [4, 8], isl: 1024 }))).toEqual({ eval: false });
    expect(allEvalsChoice({ ...single({ concs: [16] }), scenario: "agentic-coding" })).toEqual({ eval: false });
  });
});

describe("evalConcurrencies", () => {
  it("reads a deployment planned with one evalConc as a list of one", () => {
    expect(evalConcurrencies({ evalConc: 64 })).toEqual([64]);
    expect(evalConcurrencies({ evalConc: 128, evalConcs: [64, 128] })).toEqual([64, 128]);
    expect(evalConcurrencies({})).toBeUndefined();
  });
});

describe("selectAgenticEvals (include_agentic, then mark_all_eval_entries)", () => {
  const ag = (o: { conc: number; multinode?: boolean; topology?: string; all?: boolean; runner?: string }) => ({
    model: "org/m",
    runner: o.runner ?? "cluster:b300-nv",
    framework: "vllm",
    precision: "fp4",
    multinode: o.multinode ?? false,
    topology: o.topology ?? "t1",
    conc: o.conc,
    all: o.all ?? false,
  });

  it("single node: one eval per group, at its highest concurrency, over every parallelism", () => {
    expect(
      selectAgenticEvals([ag({ conc: 4, topology: "tp8" }), ag({ conc: 8, topology: "tp4" }), ag({ conc: 2 })]),
    ).toEqual([{ eval: false }, { eval: true, evalConcs: [8] }, { eval: false }]);
  });

  it("multi node: per topology the highest concurrency >= 16; all-evals the highest of any", () => {
    const mn = (conc: number, topology: string, all = false) => ag({ conc, multinode: true, topology, all });
    expect(selectAgenticEvals([mn(8, "a"), mn(32, "a"), mn(64, "b"), mn(4, "c")])).toEqual([
      { eval: false },
      { eval: true, evalConcs: [32] },
      { eval: true, evalConcs: [64] },
      { eval: false },
    ]);
    expect(selectAgenticEvals([mn(4, "c", true), mn(8, "c", true)])).toEqual([
      { eval: false },
      { eval: true, evalConcs: [8] },
    ]);
  });

  it("all-evals on single node: every deployment at its concurrency", () => {
    expect(selectAgenticEvals([ag({ conc: 1, all: true }), ag({ conc: 2, all: true })])).toEqual([
      { eval: true, evalConcs: [1] },
      { eval: true, evalConcs: [2] },
    ]);
  });
});
