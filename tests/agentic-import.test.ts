/**
 * `results import` of the reference lab's agentic result files against a running controller: the
 * points join the agentic frontier (with their hit rates and per-turn latencies), stay out of the
 * fixed-seq-len frontier, show in `results agentic`, and a second import stores nothing new.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgenticFrontier } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCliAsync } from "./helpers/cli.js";
import { startTestController, type TestController, TOKENS } from "./helpers/controller.js";
import { labAgenticResult } from "./helpers/lab-agentic.js";

describe("results import of the lab's agentic result files", () => {
  let c: TestController;
  beforeAll(async () => {
    c = await startTestController(inject("redisUrl"));
  });
  afterAll(async () => c?.stop());

  it("imports agentic points into the agentic frontier, idempotently", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-agentic-import-"));
    writeFileSync(
      join(dir, "agentic_c4.json"),
      JSON.stringify(labAgenticResult({ conc: 4, totalTps: 8000, hit: 0.72 })),
    );
    writeFileSync(
      join(dir, "agentic_c32.json"),
      JSON.stringify(labAgenticResult({ conc: 32, totalTps: 40_000, hit: 0.88 }), null, 2),
    );
    writeFileSync(
      join(dir, "broken.json"),
      JSON.stringify({ ...labAgenticResult({ conc: 8, totalTps: 1, hit: 0 }), hw: "" }),
    );
    const env = { BENCHFLEET_URL: c.url, BENCHFLEET_TOKEN: TOKENS.operator };
    const first = await runCliAsync(["results", "import", dir, "--sweep", "lab-agentic"], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(
      "3 file(s), 0 row(s) and 2 agentic point(s) read: 2 new, 0 already imported; 1 skipped",
    );
    expect(first.stdout).toMatch(/skipped .*broken\.json: "hw" must be a non-empty string/);
    const again = await runCliAsync(["results", "import", dir, "--sweep", "lab-agentic"], { env });
    expect(again.stdout).toContain("0 new, 2 already imported");

    const f = await c.api("GET", "/api/v1/results/agentic-frontier?sweep=lab-agentic", undefined, TOKENS.viewer);
    expect(f.status).toBe(200);
    const groups = f.body.groups as AgenticFrontier[];
    expect(groups).toHaveLength(1);
    expect(groups[0]!.group).toMatchObject({ sku: "h200", kvOffloading: "dram", kvOffloadBackend: "vllm-native" });
    expect(groups[0]!.measured).toBe(2);
    const byConc = new Map([...groups[0]!.points, ...groups[0]!.dominated].map((p) => [p.concurrency, p]));
    expect(byConc.get(4)).toMatchObject({ hitRate: 0.72, imported: true, jobId: null, y: 2000 });
    expect(byConc.get(32)!.hitRate).toBe(0.88);
    expect(byConc.get(32)!.turns.ttftMs.median).toBeCloseTo(800);
    // imported agentic points are real results: the default (non-emulated) frontier has them too
    const all = await c.api("GET", "/api/v1/results/agentic-frontier", undefined, TOKENS.viewer);
    expect((all.body.groups as AgenticFrontier[]).length).toBe(1);
    // and they never join the fixed-seq-len frontiers
    const fixed = await c.api("GET", "/api/v1/results/frontier?sweep=lab-agentic", undefined, TOKENS.viewer);
    expect(fixed.body.groups).toEqual([]);

    const table = await runCliAsync(["results", "agentic", "--sweep", "lab-agentic", "--csv"], {
      env: { ...env, BENCHFLEET_TOKEN: TOKENS.viewer },
    });
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain("88.0%");
  }, 60_000);
});
