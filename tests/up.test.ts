/**
 * `benchfleet up` end to end as a real process: a private redis-server, the controller, emulated agent
 * processes, a local Slurm cluster with a partition agent (`--slurm`), and a tiny sweep; it must finish
 * with every point stored and leave nothing running.
 */

import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findMarkedProcesses } from "@benchfleet/cli";
import { ResultsDb } from "@benchfleet/controller";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "bf-up-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("benchfleet up", () => {
  it("runs a tiny sweep on emulated agents and a Slurm partition to the end and leaves no process behind", () => {
    const marker = randomUUID();
    // REDIS_URL empty: up must start its own redis-server
    const env: Record<string, string> = { BENCHFLEET_UP_MARKER: marker, REDIS_URL: "" };
    const r = runCli(
      [
        "up",
        "--agents",
        "2",
        "--skus",
        "h100",
        "--slurm",
        "mi300x:2",
        "--sweep",
        "tests/fixtures/up-tiny.yaml",
        "--port",
        "0",
        "--until-done",
        "--json",
        "--data-dir",
        dir,
        "--timeout-s",
        "240",
      ],
      { env, timeoutMs: 280_000 },
    );
    expect(r.stderr).toMatch(/redis: started redis-server pid \d+/);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const lines = r.stdout.trim().split("\n");
    const summary = JSON.parse(lines[lines.length - 1]!);
    expect(summary).toMatchObject({ status: "succeeded", deployments: 2, points: 4, succeeded: 4, failed: 0 });
    expect(summary.results).toHaveLength(4);
    for (const p of summary.results) {
      expect(p.emulated).toBe(true);
      expect(p.tputPerGpu).toBeGreaterThan(0);
      expect(p.interactivity).toBeGreaterThan(0);
    }
    // the Pareto table was printed
    expect(r.stdout).toMatch(/Pareto frontiers/);
    expect(r.stdout).toMatch(/h100 · vllm · gptoss fp4 · ISL\/OSL 256\/32/);

    // results are in the controller's DB on disk
    const db = new ResultsDb(join(dir, "controller"));
    try {
      const rows = db.queryPoints({ sweepId: summary.sweep, emulated: true });
      expect(rows).toHaveLength(4);
      expect(new Set(rows.map((x) => x.sku))).toEqual(new Set(["h100", "mi300x"]));
      // the MI300X deployment ran on the Slurm partition agent (as sbatch/srun job steps)
      for (const row of rows.filter((x) => x.sku === "mi300x")) expect(row.nodes).toEqual(["slurm-mi300x"]);
    } finally {
      db.db.close();
    }

    // nothing left running: redis, agents, and any engine that carries the run's marker
    expect(alive(summary.pids.redis)).toBe(false);
    for (const pid of summary.pids.agents) expect(alive(pid)).toBe(false);
    expect(findMarkedProcesses(marker)).toEqual([]);
    // the Slurm daemons are gone with their directory
    const slurmDir = /slurm: local cluster \(munge, slurmctld, 2 slurmd\) in (\S+), partition mi300x/.exec(
      r.stderr,
    )?.[1];
    expect(slurmDir).toBeDefined();
    expect(existsSync(slurmDir!)).toBe(false);
    expect(spawnSync("pgrep", ["-f", slurmDir!]).status).toBe(1);
  }, 300_000);

  it("says how to install Redis when redis-server is missing", () => {
    const emptyPath = join(dir, "empty-path");
    mkdirSync(emptyPath, { recursive: true });
    const r = runCli(
      ["up", "--agents", "1", "--skus", "h100", "--port", "0", "--until-done", "--data-dir", join(dir, "x")],
      {
        env: { PATH: emptyPath, REDIS_URL: "" },
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/apt-get install -y redis-server/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
