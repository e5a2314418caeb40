/**
 * Which processes of a plan are scraped, and where: a worker's http port when it has one (srtctl's
 * direct `vllm serve` lists the unused Dynamo system port first), the reported base URL otherwise (a
 * Dynamo worker's system port); a `--headless` rank and non-engine processes not at all.
 */
import type { LaunchPlan } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { processSpec } from "../test-support/assignment.js";
import { engineMetricsTargets } from "./targets.js";

const vllm = (rank: number, extra: string[]) => [
  "vllm",
  "serve",
  "moonshotai/Kimi-K3",
  "--tensor-parallel-size",
  "8",
  "--pipeline-parallel-size",
  "2",
  "--node-rank",
  String(rank),
  ...extra,
];

const plan: LaunchPlan = {
  framework: "dynamo-vllm",
  nodes: [
    {
      rank: 0,
      hostname: "n0",
      ip: "10.0.0.1",
      processes: [
        processSpec({
          name: "agg-0-rank0",
          argv: vllm(0, ["--port", "20480"]),
          ports: { system: 20546, nixlSideChannel: 20568, http: 20480, master: 20547 },
        }),
        processSpec({
          name: "prefill-0-rank0",
          role: "prefill",
          argv: ["python3", "-m", "dynamo.vllm"],
          ports: { system: 20600 },
        }),
        processSpec({
          name: "frontend",
          role: "frontend",
          argv: ["python3", "-m", "dynamo.frontend"],
          ports: { http: 8000 },
        }),
      ],
    },
    {
      rank: 1,
      hostname: "n1",
      ip: "10.0.0.2",
      processes: [
        processSpec({
          name: "agg-0-rank1",
          argv: vllm(1, ["--headless"]),
          ports: { system: 20546, nixlSideChannel: 20568 },
        }),
      ],
    },
  ],
  endpoint: { baseUrl: "http://10.0.0.1:20480", model: "moonshotai/Kimi-K3", api: "completions" },
  gangHealth: [],
  notes: [],
};

describe("engine metrics targets", () => {
  it("scrapes serving workers at their http port, else the reported one; skips headless ranks and frontends", () => {
    const endpoints = {
      "agg-0-rank0": "http://10.0.0.1:20546",
      "prefill-0-rank0": "http://10.0.0.1:20600/",
      frontend: "http://10.0.0.1:8000",
      "agg-0-rank1": "http://10.0.0.2:20546",
    };
    expect(engineMetricsTargets(plan, endpoints)).toEqual([
      { role: "worker", process: "agg-0-rank0", url: "http://10.0.0.1:20480/metrics" },
      { role: "prefill", process: "prefill-0-rank0", url: "http://10.0.0.1:20600/metrics" },
    ]);
    // a process no member reported is not scraped
    expect(engineMetricsTargets(plan, { "agg-0-rank1": "http://10.0.0.2:20546" })).toEqual([]);
  });
});
