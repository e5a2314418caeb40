/**
 * The lab client's settings of an agentic script: traced as build_replay_cmd would read them (a
 * script written for these tests in the lab's format, fixtures/lab/.../democlient_fp8_h200.sh) and
 * held against a point's client settings.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compareAgenticClient, formatAgenticClientSummary, summarizeAgenticClient } from "./lab-agentic-client.js";
import { type ScriptInputs, traceLabScript } from "./lab-script-trace.js";

const SCRIPT = fileURLToPath(
  new URL("./fixtures/lab/benchmarks/single_node/agentic/democlient_fp8_h200.sh", import.meta.url),
);

const inputs = (conc: number): ScriptInputs => ({
  model: "org/Demo",
  isl: 0,
  osl: 0,
  tp: 8,
  ep: 1,
  dpAttn: false,
  conc,
  maxModelLen: 0,
  precision: "fp8",
  framework: "vllm",
  spec: "none",
  agentic: { kvOffloading: "none", totalCpuDramGb: 0, durationS: 1800, dcp: 1 },
});

describe("the client env of a traced agentic script", () => {
  it("is what build_replay_cmd reads: the script's exports, those after its server is up, the defaults", () => {
    const low = traceLabScript(SCRIPT, inputs(8));
    expect(low.command.engine).toBe("vllm");
    expect(low.client).toEqual({
      env: {
        AIPERF_EXPERIMENTAL_FAST: "0",
        AIPERF_FAILED_REQUEST_THRESHOLD: "0.10",
        AIPERF_HTTP_TCP_USER_TIMEOUT: "900000",
        AIPERF_LIVE_FAILED_REQUEST_THRESHOLD: "0.10",
        AIPERF_TRACE_IDLE_GAP_CAP_SECONDS: "300",
        AIPERF_WARMUP_REQUESTS_PER_LANE: "4",
        DURATION: "1800",
      },
    });
    const high = traceLabScript(SCRIPT, inputs(32));
    expect(high.client && "env" in high.client && high.client.env.AGENTIC_WARMUP_GRACE_PERIOD).toBe("3600");
  });

  it("a script that fails after its server is up keeps its launch; the client says why it was not reached", () => {
    const t = traceLabScript(SCRIPT, inputs(13));
    expect(t.command.flags["tensor-parallel-size"]).toBe("8");
    expect(t.client).toEqual({ error: "exited 3 after its server was up: no replay at 13" });
  });
});

describe("compareAgenticClient", () => {
  const env = (extra: Record<string, string>) => ({
    AIPERF_EXPERIMENTAL_FAST: "0",
    AIPERF_FAILED_REQUEST_THRESHOLD: "0.10",
    AIPERF_LIVE_FAILED_REQUEST_THRESHOLD: "0.10",
    AIPERF_TRACE_IDLE_GAP_CAP_SECONDS: "300",
    DURATION: "3600",
    ...extra,
  });

  it("the lab's defaults equal a point without client settings", () => {
    expect(compareAgenticClient(env({}), undefined, 3600)).toEqual({ differences: [], notModelled: [] });
  });

  it("names each setting that differs with both values, and lists what sets nothing here", () => {
    const c = compareAgenticClient(
      env({ AGENTIC_WARMUP_GRACE_PERIOD: "3600", AIPERF_HTTP_TCP_USER_TIMEOUT: "900000", MAX_MODEL_LEN: "262144" }),
      undefined,
      3600,
    );
    expect(c.differences).toEqual(["client warmupGraceS (AGENTIC_WARMUP_GRACE_PERIOD): script 3600, ours 1800"]);
    expect(c.notModelled).toEqual(["AIPERF_HTTP_TCP_USER_TIMEOUT", "MAX_MODEL_LEN"]);
    expect(compareAgenticClient(env({ AGENTIC_WARMUP_GRACE_PERIOD: "3600" }), { warmupGraceS: 3600 }, 3600)).toEqual({
      differences: [],
      notModelled: [],
    });
  });

  it("the live gate set by benchmark_lib.sh before a script's own threshold, fast mode, unknown and bad env", () => {
    // a script that raises only the post-run threshold: the live one stays what the library set
    const c = compareAgenticClient(env({ AIPERF_FAILED_REQUEST_THRESHOLD: "0.2" }), { failureThreshold: 0.2 }, 3600);
    expect(c.differences).toEqual([
      "client liveFailureThreshold (AIPERF_LIVE_FAILED_REQUEST_THRESHOLD): script 0.1, ours 0.2",
    ]);
    expect(compareAgenticClient(env({ AIPERF_EXPERIMENTAL_FAST: "1" }), undefined, 3600).differences).toEqual([
      "client durationS (DURATION / AIPERF_EXPERIMENTAL_FAST): script 1200, ours 3600",
      "client warmupRequestsPerLane (AIPERF_WARMUP_REQUESTS_PER_LANE): script 1, ours 10",
    ]);
    expect(
      compareAgenticClient(env({ AIPERF_NEW_KNOB: "1", AIPERF_WARMUP_REQUESTS_PER_LANE: "many" }), undefined, 3600)
        .differences,
    ).toEqual([
      'client env AIPERF_WARMUP_REQUESTS_PER_LANE="many": not a number',
      "client env AIPERF_NEW_KNOB: not known to benchfleet (shared/src/agentic-client.ts)",
    ]);
  });
});

describe("the client census", () => {
  it("per script: points equal, not traced, what differs; scripts equal at every point first", () => {
    const same = { differences: [], notModelled: ["AIPERF_HTTP_TCP_USER_TIMEOUT"] };
    const grace = {
      differences: ["client warmupGraceS (AGENTIC_WARMUP_GRACE_PERIOD): script 3600, ours 1800"],
      notModelled: [],
    };
    const s = summarizeAgenticClient([
      { key: "b.sh", client: same },
      { key: "b.sh", client: grace },
      { key: "b.sh" },
      { key: "a.sh", client: same },
    ]);
    expect(s).toEqual([
      { key: "a.sh", points: 1, equal: 1, unknown: 0, differences: [], notModelled: ["AIPERF_HTTP_TCP_USER_TIMEOUT"] },
      {
        key: "b.sh",
        points: 3,
        equal: 1,
        unknown: 1,
        differences: [{ what: grace.differences[0], points: 1 }],
        notModelled: ["AIPERF_HTTP_TCP_USER_TIMEOUT"],
      },
    ]);
    const text = formatAgenticClientSummary(s);
    expect(text).toMatch(/^agentic client: 1 of 2 scripts .* at every point \(2 of 4 points\)\n/);
    expect(text).toContain("  ≠ b.sh: 1 of 3 points equal, 1 not traced to the client");
  });
});
