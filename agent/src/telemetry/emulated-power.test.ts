import type { EnergySummary } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import {
  EMULATED_IDLE_FRACTION,
  emulatedEnergy,
  emulatedGpuSamples,
  emulatedPowerW,
  utilisationBetween,
} from "./emulated-power.js";
import { TelemetrySampler } from "./sampler.js";

describe("emulated GPU power model", () => {
  it("is linear from idle (10 % of TDP, as a real H100 idled: 71 W of 700 W) to TDP", () => {
    expect(EMULATED_IDLE_FRACTION).toBe(0.1);
    expect(emulatedPowerW(700, 0)).toBe(70);
    expect(emulatedPowerW(700, 1)).toBe(700);
    expect(emulatedPowerW(700, 0.5)).toBe(385);
    expect(emulatedPowerW(1000, 0.25)).toBe(325);
    expect(emulatedPowerW(700, 0.5, 0.2)).toBe(420);
  });
  it("clamps utilisation outside [0, 1] and treats NaN as idle", () => {
    expect(emulatedPowerW(700, 1.7)).toBe(700);
    expect(emulatedPowerW(700, -0.3)).toBe(70);
    expect(emulatedPowerW(700, Number.NaN)).toBe(70);
  });
  it("utilisation is Δbusy ÷ Δwall between readings; the first reading gives the average since start", () => {
    expect(utilisationBetween(undefined, { busyWallMs: 250, wallMs: 1000 })).toBe(0.25);
    expect(utilisationBetween({ busyWallMs: 250, wallMs: 1000 }, { busyWallMs: 650, wallMs: 1500 })).toBeCloseTo(0.8);
    // steps run back to back when the engine is late: never above 1
    expect(utilisationBetween({ busyWallMs: 0, wallMs: 0 }, { busyWallMs: 600, wallMs: 500 })).toBe(1);
    // no time passed: unknown
    expect(utilisationBetween({ busyWallMs: 10, wallMs: 100 }, { busyWallMs: 10, wallMs: 100 })).toBeNull();
    // the engine restarted (its clock went back): the average since its start
    expect(utilisationBetween({ busyWallMs: 900, wallMs: 5000 }, { busyWallMs: 100, wallMs: 400 })).toBe(0.25);
  });
  it("samples every GPU of the node: engines' GPUs at their utilisation, the others (and unknown ones) idle", () => {
    const s = emulatedGpuSamples({
      t: 1000,
      gpuCount: 8,
      tdpW: 700,
      engines: [
        { gpus: [0, 1, 2, 3], utilisation: 1, memUsedMiB: 80_000 },
        { gpus: [4, 5], utilisation: null, memUsedMiB: null },
        // an index the node does not have is ignored
        { gpus: [9], utilisation: 1, memUsedMiB: 1 },
      ],
    });
    expect(s).toHaveLength(8);
    expect(s[0]).toEqual({
      t: 1000,
      index: 0,
      powerW: 700,
      utilPct: 100,
      memUsedMiB: 80_000,
      tempC: null,
      smClockMHz: null,
    });
    expect(s.slice(0, 4).every((g) => g.powerW === 700)).toBe(true);
    expect(s.slice(4).map((g) => [g.powerW, g.utilPct, g.memUsedMiB])).toEqual(Array(4).fill([70, 0, 0]));
    const total = s.reduce((a, g) => a + (g.powerW ?? 0), 0);
    expect(total).toBe(4 * 700 + 4 * 70);
  });
  it("puts wall-clock energy on the emulated clock and labels it emulated", () => {
    const wall: EnergySummary = {
      complete: true,
      gpus: 8,
      avgPowerW: 4000,
      totalEnergyJ: 400,
      joulesPerOutputToken: 0.4,
      joulesPerTotalToken: 0.1,
    };
    // at --time-scale 0.05, 0.1 wall s of a point is 2 emulated s: 20× the energy at the same power
    expect(emulatedEnergy(wall, 0.05)).toEqual({
      ...wall,
      totalEnergyJ: 8000,
      joulesPerOutputToken: 8,
      joulesPerTotalToken: 2,
      emulated: true,
    });
    expect(emulatedEnergy(wall, 1)).toEqual({ ...wall, emulated: true });
    const none: EnergySummary = { ...wall, complete: false, avgPowerW: null, totalEnergyJ: null, note: "x" };
    expect(emulatedEnergy({ ...none, joulesPerOutputToken: null, joulesPerTotalToken: null }, 0.05)).toMatchObject({
      totalEnergyJ: null,
      joulesPerOutputToken: null,
      emulated: true,
    });
  });
  it("feeds the sampler as tool 'emulated': telemetry and energy labelled, energy on the engines' clock", async () => {
    let add: ((s: ReturnType<typeof emulatedGpuSamples>[number]) => void) | undefined;
    const sampler = new TelemetrySampler({
      tool: "emulated",
      hostStats: false,
      source: { start: (a) => (add = a), stop: () => {}, timeScale: () => 0.5 },
    });
    sampler.start();
    expect(sampler.gpuTelemetry).toBe(true);
    for (let t = 0; t <= 2000; t += 500) {
      const engines = [{ gpus: [0, 1], utilisation: 1, memUsedMiB: 1000 }];
      for (const s of emulatedGpuSamples({ t, gpuCount: 4, tdpW: 1000, engines })) add?.(s);
    }
    const snap = await sampler.snapshot();
    expect(snap).toMatchObject({ gpuTelemetry: true, emulated: true });
    expect(snap.gpus.map((g) => g.powerW)).toEqual([1000, 1000, 100, 100]);
    // 2 GPUs at 1000 W over 2 wall s = 4000 J of wall time; at time scale 0.5 that is 4 emulated s
    const e = sampler.energy([0, 1], 0, 2000, 100, 400);
    expect(e).toMatchObject({ complete: true, gpus: 2, avgPowerW: 2000, totalEnergyJ: 8000, emulated: true });
    expect(e.joulesPerOutputToken).toBe(80);
    sampler.stop();
    expect(new TelemetrySampler({ tool: "emulated" }).gpuTelemetry).toBe(false);
  });
});
