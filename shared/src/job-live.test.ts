import { describe, expect, it } from "vitest";
import type { AttemptRecord, JobRecord } from "./api-records.js";
import { durationText, jobLive, jobTiming, liveText, type PointProgress, sweepPaceFactor } from "./job-live.js";
import { ESTIMATE } from "./plan-estimate.js";

const T0 = Date.parse("2026-12-04T12:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

function job(o: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId: "j1",
    sweepId: "s1",
    queue: "deploy-h100",
    runner: "h100",
    sku: "h100",
    fingerprint: "f",
    configKey: "k",
    model: "m",
    framework: "vllm",
    nodes: 2,
    gpus: 16,
    priority: 0,
    estimatedSeconds: 7200,
    pointsTotal: 5,
    pointsDone: 1,
    evalWanted: false,
    evalDone: false,
    status: "running",
    attempts: 1,
    currentAttemptId: "a1",
    excludedNodes: [],
    createdAt: iso(T0),
    enqueuedAt: T0,
    updatedAt: iso(T0),
    startedAt: iso(T0),
    gpuSeconds: 0,
    ...o,
  };
}

function attempt(o: Partial<AttemptRecord> = {}): AttemptRecord {
  return {
    attemptId: "a1",
    jobId: "j1",
    sweepId: "s1",
    queue: "deploy-h100",
    attemptNumber: 1,
    fencingToken: 1,
    lockToken: "l",
    gang: [
      { agentId: "n2", hostname: "h2", ip: "10.0.0.2", rank: 1, gpuCount: 8, rdmaDevices: [] },
      { agentId: "n1", hostname: "h1", ip: "10.0.0.1", rank: 0, gpuCount: 8, rdmaDevices: [] },
    ],
    state: "running",
    phase: "load",
    phases: { "0:load": { status: "started", at: iso(T0 + 60_000) } },
    ready: {},
    gangReadySent: true,
    finishedMembers: [],
    portBase: 20000,
    emulated: true,
    gpus: 16,
    createdAt: iso(T0),
    startedAtMs: T0,
    deadlineAtMs: T0 + 3_600_000,
    ...o,
  };
}

/** the attempt measures 4 points (one was stored before); it is in the second, half done */
const progress: PointProgress = {
  pointIndex: 1,
  points: 4,
  concurrency: 64,
  isl: 1024,
  osl: 1024,
  stage: "run",
  done: 320,
  total: 640,
  outputTokensPerS: 32_000,
  elapsedS: 30,
  at: iso(T0 + 120_000),
};

describe("jobLive", () => {
  it("names phase, nodes leader first, elapsed time, job-level point number and per-GPU rate", () => {
    const live = jobLive(job(), attempt({ progress }), T0 + 150_000)!;
    expect(live.nodes).toEqual(["n1", "n2"]);
    expect(live.elapsedS).toBe(150);
    expect(live.phase).toBe("load");
    // 5 points in the job, the attempt's 4 are the last 4: its second is the job's third
    expect(live.pointNumber).toBe(3);
    expect(live.tokPerSPerGpu).toBe(2000);
    expect(liveText(live, 5)).toBe("load · point 3/5 c=64 · run 320/640 req · 2,000 tok/s/GPU");
  });

  it("is absent for an ended attempt and leaves progress out outside the load phase", () => {
    expect(jobLive(job(), attempt({ state: "succeeded", progress }), T0)).toBeUndefined();
    const live = jobLive(job(), attempt({ phase: "eval", progress }), T0 + 1000)!;
    expect(live.progress).toBeUndefined();
    expect(liveText(live, 5)).toBe("eval");
  });
});

describe("jobTiming", () => {
  it("estimates what is left from the measured pace of the load phase, not the plan", () => {
    // 90 s in the load phase for 1.5 points: 60 s a point, 2.5 points left
    const t = jobTiming(job(), attempt({ progress }), undefined, T0 + 150_000);
    expect(t.basis).toBe("measured");
    expect(t.remainingS).toBeCloseTo(150, 6);
    expect(t.elapsedS).toBe(150);
    const withEval = jobTiming(job({ evalWanted: true }), attempt({ progress }), undefined, T0 + 150_000);
    expect(withEval.remainingS).toBeCloseTo(150 + ESTIMATE.evalS, 6);
  });

  it("a warmup counts nothing measured yet: the plan, scaled by the sweep's pace", () => {
    const warm = { ...progress, pointIndex: 0, stage: "warmup" as const };
    const t = jobTiming(job(), attempt({ progress: warm }), 0.01, T0 + 30_000);
    expect(t.basis).toBe("sweep");
    expect(t.remainingS).toBeCloseTo(7200 * 0.01 - 30, 6);
    expect(jobTiming(job({ status: "queued", startedAt: undefined }), undefined, undefined, T0).basis).toBe("plan");
  });

  it("a finished job reports its wall time and nothing left", () => {
    const t = jobTiming(job({ status: "succeeded", finishedAt: iso(T0 + 245_000) }), undefined, undefined, T0 + 1e9);
    expect(t).toEqual({ elapsedS: 245, remainingS: 0, basis: "finished" });
  });
});

describe("sweepPaceFactor", () => {
  it("is measured over planned seconds of succeeded jobs only", () => {
    const done = (s: number, planned: number) =>
      job({ status: "succeeded", finishedAt: iso(T0 + s * 1000), estimatedSeconds: planned });
    expect(
      sweepPaceFactor([done(120, 7200), done(180, 7800), job({ status: "failed", finishedAt: iso(T0 + 1) })]),
    ).toBe(300 / 15000);
    expect(sweepPaceFactor([job()])).toBeUndefined();
  });
});

describe("durationText", () => {
  it("formats seconds, minutes and hours", () => {
    expect([0, 45, 245, 7800].map(durationText)).toEqual(["0s", "45s", "4m 05s", "2h 10m"]);
  });
});
