import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ProcessLauncher } from "../launchers/process.js";
import { makeDeployment, processSpec } from "../test-support/assignment.js";
import { MARK_ENV, markPrefix } from "./marker.js";
import { procEnviron, procIdentity } from "./proc-identity.js";
import { RecordingLauncher } from "./recording-launcher.js";
import { LeftoverStore, STATE_FILE } from "./state-file.js";

describe("RecordingLauncher", () => {
  it("marks the process, records its group, start time and ports, and forgets it once stopped", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-record-"));
    const store = new LeftoverStore(dir, "boot-a");
    const prefix = markPrefix("node-a", dir);
    const launcher = new RecordingLauncher(new ProcessLauncher(), { store, prefix });
    const spec = processSpec({
      name: "worker-0",
      argv: [process.execPath, "-e", "setInterval(() => {}, 1000)"],
      ports: { http: 18001, metrics: 18002 },
    });
    const proc = await launcher.start(spec, {
      attemptId: "att-3",
      deployment: makeDeployment(),
      vendor: "nvidia",
      attemptDir: join(dir, "attempt"),
      onLine: () => {},
    });
    try {
      const pid = proc.pid as number;
      const read = new LeftoverStore(dir, undefined).read();
      expect(read).toMatchObject({
        ok: true,
        state: {
          version: 1,
          bootId: "boot-a",
          entries: [
            {
              attemptId: "att-3",
              process: "worker-0",
              group: { pgid: pid, startTicks: procIdentity(pid)?.startTicks },
              ports: [18001, 18002],
            },
          ],
        },
      });
      expect(procEnviron(pid)).toContain(`${MARK_ENV}=${prefix}att-3`);
    } finally {
      await launcher.stop(proc, 1000);
    }
    expect(proc.exit).toBeDefined();
    expect(existsSync(join(dir, STATE_FILE))).toBe(false);
  });

  it("adds the Slurm jobs a process reports to its entry, in the file at once, and passes them on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-record-"));
    const store = new LeftoverStore(dir, "boot-a");
    const inner = new ProcessLauncher();
    let report: ((jobId: string) => void) | undefined;
    const seen: string[] = [];
    const launcher = new RecordingLauncher(
      {
        kind: inner.kind,
        start: async (spec, ctx) => {
          ctx.onSlurmJob?.(spec.name, "41");
          report = (id) => ctx.onSlurmJob?.(spec.name, id);
          return inner.start(spec, ctx);
        },
        stop: (p, grace) => inner.stop(p, grace),
      },
      { store, prefix: markPrefix("node-a", dir) },
    );
    const proc = await launcher.start(
      processSpec({ name: "lab-script", argv: [process.execPath, "-e", "setInterval(() => {}, 1000)"] }),
      {
        attemptId: "att-4",
        deployment: makeDeployment(),
        vendor: "nvidia",
        attemptDir: join(dir, "attempt"),
        onLine: () => {},
        onSlurmJob: (_p, id) => seen.push(id),
      },
    );
    try {
      report?.("42");
      report?.("42");
      const read = new LeftoverStore(dir, undefined).read();
      expect(read).toMatchObject({
        ok: true,
        state: { entries: [{ process: "lab-script", slurmJobs: ["41", "42"] }] },
      });
      expect(seen).toEqual(["41", "42", "42"]);
    } finally {
      await launcher.stop(proc, 1000);
    }
    expect(existsSync(join(dir, STATE_FILE))).toBe(false);
  });
});
