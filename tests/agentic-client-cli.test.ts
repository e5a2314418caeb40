/**
 * `recipe show` on an agentic row whose script preset (configs/recipes/scripts/agentic/
 * dsv4_fp4_mi355x_sglang_mtp.yaml) gives the lab's client a longer warm-up grace at CONC >= 32:
 * the points that carry it are named with the setting, the others are not.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const tmp = mkdtempSync(join(tmpdir(), "agentic-client-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const KEY = "dsv4-fp4-mi355x-sglang-agentic-mtp";
const CONFIG = `${KEY}:
  image: lmsysorg/sglang:v0.5.9-rocm700-mi35x
  model: deepseek-ai/DeepSeek-V4-Pro
  model-prefix: dsv4
  runner: cluster:mi355x-lab
  precision: fp4
  framework: sglang
  multinode: false
  scenarios:
    agentic-coding:
      - dram-utilization: 0.80
        search-space:
          - { tp: 8, spec-decoding: mtp, kv-offloading: none, conc-list: [4, 32] }
`;
const RUNNERS = `labels:
  cluster:mi355x-lab: [mi355x-lab_00]
hardware:
  cluster:mi355x-lab:
    available-cpu-dram-mib: 2_063_837
    gpus-per-node: 8
`;

describe("recipe show on an agentic row", () => {
  it("names the lab-client settings its script gives each point", () => {
    writeFileSync(join(tmp, "master.yaml"), CONFIG);
    writeFileSync(join(tmp, "runners.yaml"), RUNNERS);
    const r = runCli(["recipe", "show", KEY, "-c", join(tmp, "master.yaml"), "--runners", join(tmp, "runners.yaml")]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const headers = r.stdout.split("\n").filter((l) => l.startsWith("== "));
    expect(headers.length).toBeGreaterThan(0);
    const at32 = headers.filter((l) => /points (\d+,)*32\b/.test(l));
    expect(at32).toHaveLength(1);
    expect(at32[0]).toMatch(/; lab client: (.*; )?c=32 warm-up grace 3600 s(;|$)/);
    const at4 = headers.find((l) => /points 4(,|;|$)/.test(l));
    expect(at4).toBeDefined();
    expect(at4).not.toMatch(/c=4[ ,]/);
  });
});
