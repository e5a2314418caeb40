import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseNvidiaComputeApps, parseNvidiaHealth, parseXidLines } from "./discovery/gpu-health.js";
import { evaluatePreflight, gatherPreflightFacts, type PreflightFacts, portFree } from "./preflight.js";

const healthy: PreflightFacts = {
  gpuCount: 8,
  gpuProcesses: [],
  gpuErrors: [],
  xids: [],
  diskFreeBytes: 500 * 2 ** 30,
  diskPath: "/data",
  portsInUse: [],
  notChecked: [],
};
const expect8 = { gpuCount: 8, minDiskFreeBytes: 100 * 2 ** 30 };

describe("preflight verdict", () => {
  it("passes a healthy node", () => {
    expect(evaluatePreflight(healthy, expect8)).toMatchObject({ ok: true, reasons: [] });
  });
  it("fails on a missing GPU", () => {
    const h = evaluatePreflight({ ...healthy, gpuCount: 7 }, expect8);
    expect(h.ok).toBe(false);
    expect(h.reasons).toEqual(["expected 8 GPUs, found 7"]);
  });
  it("fails on foreign processes holding GPU memory but not on our own", () => {
    const apps = parseNvidiaComputeApps(
      "4242, python3, 70000, 00000000:18:00.0\n777, /usr/bin/sglang, 1000, 00000000:28:00.0\n",
    );
    const h = evaluatePreflight({ ...healthy, gpuProcesses: apps }, { ...expect8, ownPids: new Set([777]) });
    expect(h.reasons).toEqual(["foreign processes hold GPU memory: pid 4242 python3 (70000 MiB)"]);
  });
  it("fails on ECC, pending retirement / remapping and critical XIDs", () => {
    const errs = parseNvidiaHealth("0, 0, [N/A], No, No\n1, 3, No, Yes, No\n2, 0, Yes, No, Yes\n");
    const xids = parseXidLines(
      "[  12.3] NVRM: Xid (PCI:0000:18:00): 13, pid=1, Graphics Exception\n[ 99.1] NVRM: Xid (PCI:0000:28:00): 79, pid=2, GPU has fallen off the bus.\n",
    );
    const h = evaluatePreflight({ ...healthy, gpuErrors: errs, xids }, expect8);
    expect(h.reasons).toEqual([
      "GPU 1: 3 uncorrected ECC errors since boot",
      "GPU 1: remapped rows pending (reset needed)",
      "GPU 2: retired pages pending (reset needed)",
      "GPU 2: row remapping failed",
      "kernel log reports Xid 79 on 0000:28:00",
    ]);
  });
  it("parses the health query captured on a real H100 as healthy", () => {
    const real = parseNvidiaHealth(
      readFileSync(join(import.meta.dirname, "discovery/fixtures/nvidia-smi-health-h100.csv"), "utf8"),
    );
    expect(real).toEqual([
      {
        index: 0,
        eccUncorrectedVolatile: 0,
        retiredPagesPending: false,
        remappedRowsPending: false,
        remappedRowsFailure: false,
      },
    ]);
    expect(evaluatePreflight({ ...healthy, gpuCount: 1, gpuErrors: real }, { ...expect8, gpuCount: 1 }).ok).toBe(true);
  });
  it("fails on low disk and busy ports", () => {
    const h = evaluatePreflight({ ...healthy, diskFreeBytes: 10 * 2 ** 30, portsInUse: [30000] }, expect8);
    expect(h.reasons).toEqual(["only 10.0 GiB free on /data, need 100.0 GiB", "ports already in use: 30000"]);
  });
  it("gathers real facts: a port held by a listener is reported, disk is read", async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "0.0.0.0", () => r()));
    const busy = (srv.address() as { port: number }).port;
    try {
      expect(await portFree(busy)).toBe(false);
      const facts = await gatherPreflightFacts({ vendor: "none", emulated: true, dataDir: tmpdir(), ports: [busy] });
      expect(facts.portsInUse).toEqual([busy]);
      expect(facts.diskFreeBytes).toBeGreaterThan(0);
      expect(facts.gpuCount).toBeUndefined();
      const h = evaluatePreflight(facts, { gpuCount: 8, minDiskFreeBytes: 1 });
      expect(h.ok).toBe(false);
      expect(h.reasons).toEqual([`ports already in use: ${busy}`]);
      // a node without GPUs that expects some fails
      const bare = await gatherPreflightFacts({ vendor: "none", emulated: false, dataDir: tmpdir(), ports: [] });
      expect(evaluatePreflight(bare, { gpuCount: 8, minDiskFreeBytes: 1 }).reasons).toEqual([
        "expected 8 GPUs, found 0",
      ]);
    } finally {
      srv.close();
    }
  });

  it("on an AMD node reads amd-smi: GPU count, processes holding VRAM, uncorrectable/deferred RAS errors", async () => {
    // no AMD GPU here: a stand-in amd-smi on PATH prints what the real one prints (formats in discovery/amd-health.ts)
    const dir = mkdtempSync(join(tmpdir(), "amd-smi-"));
    const script = (ecc: string) =>
      [
        "#!/bin/sh",
        'case "$*" in',
        `  "list --json") echo '[{"gpu":0},{"gpu":1}]' ;;`,
        `  "process --json") echo '[{"gpu":0,"process_list":[{"process_info":"No running processes detected"}]},{"gpu":1,"process_list":[{"process_info":{"name":"python3","pid":999999,"mem_usage":{"value":1048576,"unit":"B"}}}]}]' ;;`,
        `  "metric --ecc --json") echo '${ecc}' ;;`,
        "  *) exit 2 ;;",
        "esac",
      ].join("\n");
    const path = process.env.PATH;
    try {
      writeFileSync(
        join(dir, "amd-smi"),
        script(
          '{"gpu_data":[{"gpu":0,"ecc":{"total_uncorrectable_count":0}},{"gpu":1,"ecc":{"total_uncorrectable_count":1,"total_deferred_count":1}}]}',
        ),
        { mode: 0o755 },
      );
      process.env.PATH = `${dir}:${path}`;
      const facts = await gatherPreflightFacts({ vendor: "amd", emulated: false, dataDir: tmpdir(), ports: [] });
      expect(facts.gpuCount).toBe(2);
      expect(facts.notChecked).toEqual([]);
      expect(evaluatePreflight(facts, { gpuCount: 2, minDiskFreeBytes: 1 }).reasons).toEqual([
        "foreign processes hold GPU memory: pid 999999 python3 (1 MiB)",
        "GPU 1: 2 uncorrected ECC errors since boot",
      ]);
      // output it cannot read is reported as not checked, never taken as healthy silently
      writeFileSync(join(dir, "amd-smi"), script("not json"), { mode: 0o755 });
      const broken = await gatherPreflightFacts({ vendor: "amd", emulated: false, dataDir: tmpdir(), ports: [] });
      expect(broken.notChecked).toHaveLength(1);
      expect(broken.notChecked[0]).toMatch(/^ECC \/ RAS state \(amd-smi output did not parse/);
    } finally {
      process.env.PATH = path;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
