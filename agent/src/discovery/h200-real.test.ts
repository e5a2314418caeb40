/** Discovery and preflight parsers over the nvidia-smi outputs captured on a real H200 (docs/real-gpu.md). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { evaluatePreflight } from "../preflight.js";
import { parseNvidiaComputeApps, parseNvidiaHealth } from "./gpu-health.js";
import { parseNvidiaSmiQuery } from "./gpu-parsers.js";
import { skuOfNode } from "./sku-map.js";

const fx = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");

describe("nvidia-smi outputs of a real H200", () => {
  it("discovery: one NVIDIA H200 of 143771 MiB, driver 580.159.04, SKU h200", () => {
    const gpus = parseNvidiaSmiQuery(fx("nvidia-smi-h200-1gpu-real.csv"));
    expect(gpus).toEqual([
      {
        vendor: "nvidia",
        index: 0,
        name: "NVIDIA H200",
        uuid: "GPU-42effafa-9a51-60a4-88fa-f09799166806",
        memoryMiB: 143771,
        busId: "00000000:00:06.0",
        powerLimitW: 700,
        maxSmClockMHz: 1980,
        driver: "580.159.04",
      },
    ]);
    expect(skuOfNode(gpus).sku).toBe("h200");
  });

  it("preflight: ECC state with retired pages N/A (an HBM3e part remaps rows instead) is healthy", () => {
    const errors = parseNvidiaHealth(fx("nvidia-smi-health-h200-real.csv"));
    expect(errors).toEqual([
      {
        index: 0,
        eccUncorrectedVolatile: 0,
        retiredPagesPending: false,
        remappedRowsPending: false,
        remappedRowsFailure: false,
      },
    ]);
    const facts = {
      gpuCount: 1,
      gpuProcesses: [],
      gpuErrors: errors,
      xids: [],
      diskFreeBytes: 2 ** 40,
      diskPath: "/data",
      portsInUse: [],
      notChecked: [],
      checked: ["GPU count", "ECC / retired pages / row remapping"],
    };
    const h = evaluatePreflight(facts, { gpuCount: 1, minDiskFreeBytes: 2 ** 30 });
    expect(h).toMatchObject({ ok: true, reasons: [], checked: ["GPU count", "ECC / retired pages / row remapping"] });
    expect(h.notChecked).toBeUndefined();
  });

  it("preflight: the serving process holding GPU memory is foreign unless it is the agent's own", () => {
    const procs = parseNvidiaComputeApps(fx("nvidia-smi-compute-apps-h200-real.csv"));
    expect(procs).toEqual([{ pid: 840, name: "python3", usedMiB: 10638, busId: "00000000:00:06.0" }]);
    const facts = {
      gpuCount: 1,
      gpuProcesses: procs,
      gpuErrors: [],
      xids: [],
      diskFreeBytes: 2 ** 40,
      diskPath: "/data",
      portsInUse: [],
      notChecked: ["XID errors (kernel log not readable)"],
    };
    const foreign = evaluatePreflight(facts, { gpuCount: 1, minDiskFreeBytes: 0 });
    expect(foreign.ok).toBe(false);
    expect(foreign.reasons).toEqual(["foreign processes hold GPU memory: pid 840 python3 (10638 MiB)"]);
    expect(foreign.notChecked).toEqual(["XID errors (kernel log not readable)"]);
    expect(evaluatePreflight(facts, { gpuCount: 1, minDiskFreeBytes: 0, ownPids: new Set([840]) }).ok).toBe(true);
  });
});
