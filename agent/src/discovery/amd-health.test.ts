import { describe, expect, it } from "vitest";
import { AmdSmiParseError, parseAmdEcc, parseAmdProcesses } from "./amd-health.js";

describe("amd-smi process --json", () => {
  it("reads nothing from an idle node (the sentinel string is not a process)", () => {
    const doc = [0, 1].map((gpu) => ({ gpu, process_list: [{ process_info: "No running processes detected" }] }));
    expect(parseAmdProcesses(doc)).toEqual([]);
  });

  it("reads pid, name and VRAM of processes (mem_usage or memory_usage.vram_mem)", () => {
    const doc = [
      {
        gpu: 0,
        process_list: [{ process_info: { name: "python3", pid: 4242, mem_usage: { value: 270846402560, unit: "B" } } }],
      },
      {
        gpu: 3,
        process_list: [
          { process_info: { name: "sglang", pid: 77, memory_usage: { vram_mem: { value: 2048, unit: "MB" } } } },
        ],
      },
    ];
    expect(parseAmdProcesses(doc)).toEqual([
      { pid: 4242, name: "python3", usedMiB: 258299, busId: "gpu 0" },
      { pid: 77, name: "sglang", usedMiB: 2048, busId: "gpu 3" },
    ]);
  });

  it("fails closed on an unknown sentinel and accepts the gpu_data wrapper", () => {
    const doc = { gpu_data: [{ gpu: 1, process_list: [{ process_info: "something new" }] }] };
    const [p] = parseAmdProcesses(doc);
    expect(p).toMatchObject({ pid: -1, busId: "gpu 1" });
    expect(p!.name).toContain("something new");
  });

  it("bad documents: an error naming what was expected", () => {
    expect(() => parseAmdProcesses({ nope: 1 })).toThrow(AmdSmiParseError);
    expect(() => parseAmdProcesses({ nope: 1 })).toThrow(/expected a list of GPUs/);
    expect(() => parseAmdProcesses([{ gpu: 0, process_list: "x" }])).toThrow(/GPU 0: process_list is not a list/);
  });
});

describe("amd-smi metric --ecc --json", () => {
  it("sums uncorrectable and deferred errors per GPU; correctable ones do not count", () => {
    const doc = {
      gpu_data: [
        { gpu: 0, ecc: { total_correctable_count: 12, total_deferred_count: 0, total_uncorrectable_count: 0 } },
        { gpu: 1, ecc: { total_correctable_count: 0, total_deferred_count: 2, total_uncorrectable_count: 1 } },
        { gpu: 2, ecc: "N/A" },
      ],
    };
    expect(parseAmdEcc(doc).map((g) => [g.index, g.eccUncorrectedVolatile])).toEqual([
      [0, 0],
      [1, 3],
      [2, undefined],
    ]);
  });

  it("reads the older list form and rejects an entry without an index", () => {
    expect(parseAmdEcc([{ gpu: 5, ecc: { total_uncorrectable_count: 0 } }])[0]!.index).toBe(5);
    expect(() => parseAmdEcc([{ ecc: {} }])).toThrow(/without a "gpu" index/);
  });
});
