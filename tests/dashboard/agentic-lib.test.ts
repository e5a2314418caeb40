/**
 * The agentic view's pure model over the shared agentic frontier: one series per group, every
 * point drawn and only the frontier joined, the hit rate and per-turn latencies of each point,
 * its job, and the SKU / KV-offloading filters.
 */
import { type AgenticRow, agenticConfigOf, agenticFrontiers, type Deployment } from "@benchfleet/shared";
import { makeAgenticResult } from "@benchfleet/shared/test-support";
import { describe, expect, it } from "vitest";
import {
  agenticSeriesLabel,
  agenticTableRows,
  agenticTooltipText,
  buildAgenticChart,
  hostTierText,
} from "../../controller/dashboard/src/lib/agentic-chart.js";
import { makeAgenticDeployment } from "../helpers/agentic-deployments.js";

const dram = makeAgenticDeployment({ seed: "dram", concurrencies: [4, 16, 64], kvOffloading: "dram" });
const gpuOnly = makeAgenticDeployment({ seed: "gpu", concurrencies: [4, 16], kvOffloading: "none" });
const b200 = makeAgenticDeployment({ seed: "b200", sku: "b200", concurrencies: [8] });

let n = 0;
const row = (
  d: Deployment,
  s: Parameters<typeof makeAgenticResult>[0],
  jobId: string | null = "sw1.job",
): AgenticRow => ({
  id: `row-${++n}`,
  sweepId: "sw1",
  jobId,
  config: agenticConfigOf(d),
  result: makeAgenticResult(s),
});

// the launch's own host tier (16 GB on the one worker), under the row's budget of 400 GB
const launched = row(dram, { concurrency: 4, tputPerGpu: 500, interactivity: 90, hitRate: 0.81, ttftMedianMs: 120 });
launched.result.kvHostTiers = [
  { process: "worker-0", role: "worker", kind: "gb", gb: 16, setting: "--kv-offloading-size 14.9 (GiB, all ranks)" },
];

const rows: AgenticRow[] = [
  launched,
  row(dram, { concurrency: 16, tputPerGpu: 1500, interactivity: 60, hitRate: 0.86 }),
  row(dram, { concurrency: 64, tputPerGpu: 2500, interactivity: 30, hitRate: 0.9 }),
  // dominated: less throughput and less interactivity than conc 16
  row(dram, { concurrency: 8, tputPerGpu: 1000, interactivity: 50, hitRate: 0.7 }),
  row(gpuOnly, { concurrency: 4, tputPerGpu: 400, interactivity: 80, hitRate: 0.5 }, null),
  row(gpuOnly, { concurrency: 16, tputPerGpu: 900, interactivity: 40, hitRate: null }),
  row(b200, { concurrency: 8, tputPerGpu: 3000, interactivity: 70, hitRate: 0.6 }),
  // failed points never reach the frontier
  row(b200, { concurrency: 64, tputPerGpu: 9000, interactivity: 99, hitRate: 0.6, status: "failed" }),
];

describe("agentic frontier and chart model", () => {
  const groups = agenticFrontiers(rows);

  it("groups by KV offloading and SKU; keeps dominated points apart from the frontier", () => {
    expect(
      groups.map((g) => [g.group.sku, g.group.kvOffloading, g.measured, g.points.length, g.dominated.length]),
    ).toEqual([
      ["b200", "none", 1, 1, 0],
      ["h200", "dram", 4, 3, 1],
      ["h200", "none", 2, 2, 0],
    ]);
    const h200dram = groups.find((g) => g.group.kvOffloading === "dram")!;
    expect(h200dram.dominated[0]).toMatchObject({ concurrency: 8, hitRate: 0.7 });
    expect(h200dram.points.find((p) => p.concurrency === 4)).toMatchObject({
      jobId: "sw1.job",
      emulated: true,
      hitRate: 0.81,
      dramOffloadGb: 400,
      hostTier: { gbPerProcess: 16, totalGb: 16, label: "16 GB" },
      offloadTokens: 5000,
      trace: "synthetic(seed=42)",
      turns: { ttftMs: { median: 120, p99: 360 } },
    });
  });

  it("draws every point, joins only the frontier, and filters by SKU and offloading", () => {
    const chart = buildAgenticChart(groups);
    expect(chart.series.map((s) => s.label)).toEqual([
      "Llama-3.1-8B-Instruct · bf16 · b200 · vllm · no-spec · no offload",
      "Llama-3.1-8B-Instruct · bf16 · h200 · vllm · no-spec · dram (vllm-native)",
      "Llama-3.1-8B-Instruct · bf16 · h200 · vllm · no-spec · no offload",
    ]);
    expect(chart.pointAt.map((p) => p.x)).toEqual([30, 40, 50, 60, 70, 80, 90]);
    expect(chart.data).toHaveLength(1 + 2 * 3);
    // the DRAM series: scatter holds all four points, the line only the three on the frontier
    expect(chart.data[3]).toEqual([2500, null, 1000, 1500, null, null, 500]);
    expect(chart.data[4]).toEqual([2500, null, null, 1500, null, null, 500]);
    expect(buildAgenticChart(groups, { skus: ["h200"] }).series).toHaveLength(2);
    const dramOnly = buildAgenticChart(groups, { kvOffloading: "dram" });
    expect(dramOnly.series.map((s) => s.group.kvOffloadBackend)).toEqual(["vllm-native"]);
    expect(agenticSeriesLabel({ ...dramOnly.series[0]!.group, specDecoding: "mtp" })).toContain("· mtp ·");
  });

  it("tooltip and table give the hit rate, per-turn latencies and the job", () => {
    const chart = buildAgenticChart(groups, { kvOffloading: "dram" });
    const p = chart.pointAt.find((q) => q.concurrency === 4)!;
    const tip = agenticTooltipText(p, "on the frontier");
    expect(tip).toContain("prefix-cache hit rate 81.0%");
    expect(tip).toContain(
      "host tier 16 GB · DRAM budget 400 GB · launched worker ×1: 16 GB (--kv-offloading-size 14.9 (GiB, all ranks))",
    );
    expect(hostTierText(p)).toBe("16 GB");
    expect(tip).toMatch(/per turn \(median \/ p99\): TTFT 120\.0 \/ 360\.0 ms · ITL 11\.1 \/ 33\.3 ms · E2E /);
    expect(tip).toContain("4 trajectories in flight");
    expect(tip).toContain("job sw1.job (click to open)");
    const table = agenticTableRows(chart);
    expect(table.map((r) => [r.point.concurrency, r.onFrontier])).toEqual([
      [64, true],
      [16, true],
      [4, true],
      [8, false],
    ]);
    // a point without engine metrics shows no hit rate; an imported one no job
    const none = buildAgenticChart(groups, { kvOffloading: "none", skus: ["h200"] });
    const noMetrics = none.pointAt.find((q) => q.concurrency === 16)!;
    expect(agenticTooltipText(noMetrics)).toContain("prefix-cache hit rate –");
    // no launch record: the budget alone, and no host tier
    expect(agenticTooltipText(noMetrics)).toContain("host tier – · DRAM budget 0 GB\n");
    expect(hostTierText(noMetrics)).toBe("–");
    const imported = none.pointAt.find((q) => q.concurrency === 4)!;
    expect(agenticTooltipText(imported)).not.toContain("click to open");
  });
});
