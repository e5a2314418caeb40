import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  GpuParseError,
  parseAmdSmiStatic,
  parseNvidiaSmiQuery,
  parseRocmSmiProduct,
  parseRocmSmiVram,
} from "./gpu-parsers.js";
import { skuFromProduct, skuOfNode } from "./sku-map.js";

const fx = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");

describe("nvidia-smi query parser", () => {
  it("parses the output captured on a real H100", () => {
    const gpus = parseNvidiaSmiQuery(fx("nvidia-smi-h100-1gpu.csv"));
    expect(gpus).toEqual([
      {
        vendor: "nvidia",
        index: 0,
        name: "NVIDIA H100 80GB HBM3",
        uuid: "GPU-59e5cf6a-c5cd-4226-bd06-0c9a01fc2ec3",
        memoryMiB: 81559,
        busId: "00000000:00:06.0",
        powerLimitW: 700,
        maxSmClockMHz: 1980,
        driver: "580.159.04",
      },
    ]);
    expect(skuOfNode(gpus)).toMatchObject({ sku: "h100" });
  });

  it.each([
    ["nvidia-smi-h100-8gpu.csv", 8, "h100"],
    ["nvidia-smi-h200-8gpu.csv", 8, "h200"],
    ["nvidia-smi-b200-8gpu.csv", 8, "b200"],
    ["nvidia-smi-gb200-4gpu.csv", 4, "gb200"],
  ])("%s → %i GPUs of %s", (file, count, sku) => {
    const gpus = parseNvidiaSmiQuery(fx(file));
    expect(gpus).toHaveLength(count);
    expect(gpus.map((g) => g.index)).toEqual([...Array(count).keys()]);
    expect(skuOfNode(gpus).sku).toBe(sku);
  });

  it("reports an unknown GPU as unknown with the reason", () => {
    const gpus = parseNvidiaSmiQuery(fx("nvidia-smi-unknown-a100.csv"));
    const m = skuOfNode(gpus);
    expect(m.sku).toBe("unknown");
    expect(m.reason).toContain("NVIDIA A100-SXM4-80GB");
  });

  it("leaves [N/A] fields out instead of failing", () => {
    const [g] = parseNvidiaSmiQuery(fx("nvidia-smi-na-fields.csv"));
    expect(g.powerLimitW).toBeUndefined();
    expect(g.maxSmClockMHz).toBeUndefined();
    expect(g.memoryMiB).toBe(81559);
  });

  it("names the line of malformed output", () => {
    expect(() => parseNvidiaSmiQuery("0, NVIDIA H100 80GB HBM3, GPU-x, 81559\n")).toThrow(/line 1: expected 8 columns/);
    expect(() => parseNvidiaSmiQuery("0, NVIDIA H100 80GB HBM3, GPU-x, lots, 580, 0:0, 700, 1980\n")).toThrow(
      GpuParseError,
    );
  });
});

describe("amd-smi static --json parser", () => {
  it("parses the array form (MI300X, bare MB sizes)", () => {
    const gpus = parseAmdSmiStatic(fx("amd-smi-static-mi300x.json"));
    expect(gpus).toHaveLength(8);
    expect(gpus[0]).toMatchObject({
      vendor: "amd",
      index: 0,
      name: "AMD Instinct MI300X",
      memoryMiB: 196592,
      gfxVersion: "gfx942",
      powerLimitW: 750,
      busId: "0000:05:00.0",
    });
    expect(skuOfNode(gpus).sku).toBe("mi300x");
  });
  it("parses the gpu_data form with {value, unit} sizes (MI355X, MI325X)", () => {
    const mi355 = parseAmdSmiStatic(fx("amd-smi-static-mi355x.json"));
    expect(mi355[7]).toMatchObject({ index: 7, memoryMiB: 294896, gfxVersion: "gfx950" });
    expect(skuOfNode(mi355).sku).toBe("mi355x");
    expect(skuOfNode(parseAmdSmiStatic(fx("amd-smi-static-mi325x.json"))).sku).toBe("mi325x");
  });
  it("rejects output that is not the documented shape", () => {
    expect(() => parseAmdSmiStatic("{")).toThrow(/not valid JSON/);
    expect(() => parseAmdSmiStatic('{"x":1}')).toThrow(/gpu_data/);
    expect(() => parseAmdSmiStatic('[{"gpu":0,"asic":{}}]')).toThrow(/gpu 0 has no asic.market_name/);
  });
});

describe("rocm-smi --showproductname --json parser", () => {
  it("reads the VF card series as mi300x", () => {
    const gpus = parseRocmSmiProduct(fx("rocm-smi-productname-mi300x-vf.json"));
    expect(gpus).toHaveLength(8);
    expect(gpus[0]).toMatchObject({ name: "AMD Instinct MI300X VF", gfxVersion: "gfx942", memoryMiB: 0 });
    expect(skuOfNode(gpus).sku).toBe("mi300x");
  });
  it("decides a generic gfx942 by VRAM size, and says unknown without it", () => {
    const vram = parseRocmSmiVram(fx("rocm-smi-meminfo-vram-mi325x.json"));
    expect(vram).toEqual({ 0: 262128, 1: 262128 });
    const withMem = parseRocmSmiProduct(fx("rocm-smi-productname-generic-gfx942.json"), vram);
    expect(withMem).toHaveLength(2);
    expect(skuOfNode(withMem).sku).toBe("mi325x");
    const noMem = skuOfNode(parseRocmSmiProduct(fx("rocm-smi-productname-generic-gfx942.json")));
    expect(noMem.sku).toBe("unknown");
    expect(noMem.reason).toMatch(/gfx942 could be mi300x or mi325x/);
  });
});

describe("product name → SKU", () => {
  it("tests gb* before b* and mi355x before shorter names", () => {
    expect(skuFromProduct("NVIDIA GB300", 284208).sku).toBe("gb300");
    expect(skuFromProduct("NVIDIA GB200", 189471).sku).toBe("gb200");
    expect(skuFromProduct("NVIDIA B300 SXM6 AC", 275040).sku).toBe("b300");
    expect(skuFromProduct("NVIDIA B200", 183359).sku).toBe("b200");
    expect(skuFromProduct("AMD Instinct MI355X", 294896).sku).toBe("mi355x");
    expect(skuFromProduct("NVIDIA H200 NVL", 143771).sku).toBe("h200");
  });
  it("refuses a name whose memory does not fit", () => {
    const m = skuFromProduct("NVIDIA H100 80GB HBM3", 24576);
    expect(m.sku).toBe("unknown");
    expect(m.reason).toMatch(/does not fit/);
  });
  it("unknown families stay unknown", () => {
    expect(skuFromProduct("AMD Instinct MI350X", 294896).sku).toBe("unknown");
    expect(skuFromProduct("Tesla V100-SXM2-32GB", 32510).sku).toBe("unknown");
    expect(skuOfNode([]).reason).toBe("no GPUs found");
    expect(
      skuOfNode([
        { name: "NVIDIA H100 80GB HBM3", memoryMiB: 81559 },
        { name: "NVIDIA H200", memoryMiB: 143771 },
      ]).reason,
    ).toMatch(/mixed/);
  });
});
