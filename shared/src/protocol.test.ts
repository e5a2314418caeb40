import { describe, expect, it } from "vitest";
import { AgentMessage, ControllerMessage, decodeMessage } from "./protocol.js";

const ref = { attemptId: "sw.job.a1-7", fencingToken: 7 };

describe("energy messages", () => {
  it("an energy-request and its report decode; a point key that is not a plain name is refused at the boundary", () => {
    const req = {
      type: "energy-request",
      ...ref,
      pointKey: "c64-i1024-o1024",
      startMs: 1,
      endMs: 2,
      outputTokens: 10,
      totalTokens: 20,
    };
    expect(decodeMessage(ControllerMessage, JSON.stringify(req))).toEqual({ ok: true, msg: req });
    expect(decodeMessage(ControllerMessage, JSON.stringify({ ...req, pointKey: "../../etc/x" }))).toEqual({
      ok: false,
      error: expect.stringMatching(/^invalid message: pointKey: /),
    });
    const energy = {
      complete: true,
      gpus: 8,
      avgPowerW: 3200,
      totalEnergyJ: 32_000,
      joulesPerOutputToken: 3.2,
      joulesPerTotalToken: 0.4,
    };
    const report = {
      type: "energy-report",
      msgId: "sw.job.a1-7.energy.c64-i1024-o1024",
      ...ref,
      pointKey: "c64-i1024-o1024",
      energy,
    };
    expect(decodeMessage(AgentMessage, JSON.stringify(report))).toEqual({ ok: true, msg: report });
    const bad = decodeMessage(AgentMessage, JSON.stringify({ ...report, energy: { ...energy, gpus: -1 } }));
    expect(bad).toEqual({ ok: false, error: expect.stringMatching(/^invalid message: energy\.gpus: /) });
  });
});
