import { describe, expect, it } from "vitest";
import {
  AGENTIC_CLIENT_DEFAULTS,
  AgenticClient,
  agenticClientFromEnv,
  describeAgenticClient,
  resolveAgenticClient,
} from "./agentic-client.js";

describe("resolveAgenticClient", () => {
  it("fills in build_replay_cmd's defaults, the live gate following the post-run one", () => {
    expect(resolveAgenticClient(undefined, 3600)).toEqual({
      durationS: 3600,
      warmupRequestsPerLane: 10,
      warmupGraceS: 1800,
      liveFailureThreshold: 0.1,
      failureThreshold: 0.1,
      gapCapS: 300,
      graceS: 30,
      extraInputs: {},
      sessionHeaders: [],
    });
    const r = resolveAgenticClient({ failureThreshold: 0.2 }, 3600);
    expect([r.failureThreshold, r.liveFailureThreshold]).toEqual([0.2, 0.2]);
    expect(resolveAgenticClient({ failureThreshold: 0.1, liveFailureThreshold: 0.25 }, 3600).liveFailureThreshold).toBe(
      0.25,
    );
  });

  it("fast mode: 1200 s and one warm-up request per lane, whatever the env says", () => {
    const r = resolveAgenticClient({ fast: true, warmupRequestsPerLane: 7, warmupGraceS: 3600 }, 3600);
    expect([r.durationS, r.warmupRequestsPerLane, r.warmupGraceS]).toEqual([
      AGENTIC_CLIENT_DEFAULTS.fastDurationS,
      1,
      3600,
    ]);
  });
});

describe("agenticClientFromEnv", () => {
  it("reads the names build_replay_cmd reads and lists the client's others", () => {
    const r = agenticClientFromEnv({
      AGENTIC_WARMUP_GRACE_PERIOD: "3600",
      AIPERF_WARMUP_REQUESTS_PER_LANE: "10",
      AIPERF_LIVE_FAILED_REQUEST_THRESHOLD: "0.25",
      AIPERF_FAILED_REQUEST_THRESHOLD: 0.1,
      AIPERF_TRACE_IDLE_GAP_CAP_SECONDS: "300",
      AIPERF_BENCHMARK_GRACE_PERIOD: "30",
      AIPERF_EXPERIMENTAL_FAST: "1",
      AIPERF_EXTRA_INPUTS: "thinking:true  effort:high n:2",
      AIPERF_HTTP_TCP_USER_TIMEOUT: "900000",
      AIPERF_SERVER_METRICS_URLS: "http://localhost:8000/metrics",
      AIPERF_SOMETHING_NEW: "1",
      VLLM_USE_V1: "1",
    });
    expect(r.problems).toEqual([]);
    expect(r.options).toEqual({
      warmupGraceS: 3600,
      warmupRequestsPerLane: 10,
      liveFailureThreshold: 0.25,
      failureThreshold: 0.1,
      gapCapS: 300,
      graceS: 30,
      fast: true,
      extraInputs: { thinking: true, effort: "high", n: 2 },
    });
    expect(AgenticClient.parse(r.options)).toEqual(r.options);
    expect(r.notModelled).toEqual(["AIPERF_HTTP_TCP_USER_TIMEOUT", "AIPERF_SERVER_METRICS_URLS"]);
    expect(r.unknown).toEqual(["AIPERF_SOMETHING_NEW"]);
  });

  it("the correlation-id header switches name the headers that carry the conversation's id", () => {
    const r = agenticClientFromEnv({
      AIPERF_HTTP_X_SMG_ROUTING_KEY_FROM_CORRELATION_ID: "true",
      AIPERF_HTTP_X_SESSION_ID_FROM_CORRELATION_ID: "1",
      AIPERF_HTTP_X_DYNAMO_SESSION_ID_FROM_CORRELATION_ID: "false",
    });
    expect(r.options).toEqual({ sessionHeaders: ["x-session-id", "x-smg-routing-key"] });
    expect(r.notModelled).toEqual([]);
    expect(agenticClientFromEnv({ AIPERF_HTTP_X_SESSION_ID_FROM_CORRELATION_ID: "maybe" }).problems).toEqual([
      {
        name: "AIPERF_HTTP_X_SESSION_ID_FROM_CORRELATION_ID",
        message: 'AIPERF_HTTP_X_SESSION_ID_FROM_CORRELATION_ID="maybe": true or false',
      },
    ]);
  });

  it("AIPERF_EXPERIMENTAL_FAST=0 sets nothing", () => {
    expect(agenticClientFromEnv({ AIPERF_EXPERIMENTAL_FAST: "0" }).options).toEqual({});
  });

  it("names each value that is not what its name takes", () => {
    const r = agenticClientFromEnv({
      AIPERF_WARMUP_REQUESTS_PER_LANE: "2.5",
      AIPERF_FAILED_REQUEST_THRESHOLD: "10%",
      AIPERF_LIVE_FAILED_REQUEST_THRESHOLD: "1.5",
      AGENTIC_WARMUP_GRACE_PERIOD: "0",
      AIPERF_TRACE_IDLE_GAP_CAP_SECONDS: "-1",
      AIPERF_EXPERIMENTAL_FAST: "yes",
      AIPERF_EXTRA_INPUTS: "thinking",
    });
    expect(r.options).toEqual({});
    expect(r.problems.map((p) => p.message)).toEqual([
      'AIPERF_WARMUP_REQUESTS_PER_LANE="2.5": a whole number of requests, 0 or more',
      'AIPERF_FAILED_REQUEST_THRESHOLD="10%": not a number',
      'AIPERF_LIVE_FAILED_REQUEST_THRESHOLD="1.5": a ratio from 0 to 1',
      'AGENTIC_WARMUP_GRACE_PERIOD="0": seconds, more than 0',
      'AIPERF_TRACE_IDLE_GAP_CAP_SECONDS="-1": seconds, 0 or more',
      'AIPERF_EXPERIMENTAL_FAST="yes": 1 or 0 (build_replay_cmd tests for "1")',
      'AIPERF_EXTRA_INPUTS="thinking": "thinking" is not name:value',
    ]);
  });
});

describe("describeAgenticClient", () => {
  it("names each setting a point carries, in words", () => {
    expect(describeAgenticClient(undefined)).toBe("lab defaults");
    expect(describeAgenticClient({})).toBe("lab defaults");
    expect(
      describeAgenticClient({
        warmupGraceS: 3600,
        liveFailureThreshold: 0.25,
        gapCapS: 300,
        extraInputs: { thinking: true },
      }),
    ).toBe("warm-up grace 3600 s, live error gate 0.25, gap cap 300 s, body thinking=true");
    expect(describeAgenticClient({ fast: true })).toBe("fast (1200 s, 1 warm-up request/lane)");
  });
});
