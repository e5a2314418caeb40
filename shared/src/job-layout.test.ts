import { describe, expect, it } from "vitest";
import { concurrenciesOf, parallelismOf } from "./job-layout.js";

const pool = (numWorker: number, tp: number, ep = 1, dpAttn = false) => ({
  numWorker,
  tp,
  ep,
  pp: 1,
  dpAttn,
  dcpSize: 1,
  pcpSize: 1,
  additionalSettings: [],
  gpusPerWorker: tp,
  gpus: numWorker * tp,
  nodes: Math.ceil((numWorker * tp) / 8),
});

describe("parallelismOf", () => {
  it("names single-node TP/EP/DPA and spec decoding", () => {
    expect(parallelismOf({ tp: 1, specDecoding: "none" })).toBe("TP1");
    expect(parallelismOf({ tp: 8, ep: 8, dpAttn: true, specDecoding: "mtp" })).toBe("TP8 EP8 DPA MTP");
    expect(parallelismOf({ tp: 4, ep: 1, pp: 2, specDecoding: "draft_model" })).toBe("TP4 PP2 draft");
  });

  it("tells four TP variants of one config apart", () => {
    const labels = [1, 2, 4, 8].map((tp) => parallelismOf({ tp, specDecoding: "none" }));
    expect(new Set(labels).size).toBe(4);
  });

  it("names the P/D layout of a disaggregated deployment and the workers of an aggregated one", () => {
    expect(parallelismOf({ prefill: pool(1, 4), decode: pool(2, 8, 8, true), specDecoding: "mtp" })).toBe(
      "1P(TP4)+2D(TP8 EP8 DPA) MTP",
    );
    expect(parallelismOf({ prefill: pool(2, 8, 8), decode: pool(0, 8), specDecoding: "none" })).toBe("2×(TP8 EP8)");
  });
});

describe("concurrenciesOf", () => {
  it("lists each concurrency once, ascending", () => {
    expect(
      concurrenciesOf([{ concurrency: 64 }, { concurrency: 4 }, { concurrency: 64 }, { concurrency: 16 }]),
    ).toEqual([4, 16, 64]);
  });
});
