/** The GPUs a point's throughput is normalised by: the pools', or the lab's count where it differs. */
import type { Assignment, Deployment } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { gpuCounts } from "./executor.js";

const pool = (numWorker: number, gpus: number) => ({ numWorker, gpus });
const of = (d: Partial<Deployment>) => gpuCounts({ deployment: d } as unknown as Assignment);

describe("gpuCounts", () => {
  it("disaggregated: the pools' GPUs", () => {
    expect(of({ disagg: true, gpus: 12, prefill: pool(1, 4), decode: pool(1, 8) } as Partial<Deployment>)).toEqual({
      total: 12,
      prefill: 4,
      decode: 8,
    });
  });

  it("aggregated: the deployment's GPUs, or `resultGpus` where the lab counts the row's instead", () => {
    expect(of({ disagg: false, gpus: 16 })).toEqual({ total: 16, prefill: 0, decode: 0 });
    expect(of({ disagg: false, gpus: 16, resultGpus: 4 })).toEqual({ total: 4, prefill: 0, decode: 0 });
  });
});
