/**
 * The lab's agentic client settings: what InferenceX's `build_replay_cmd` (benchmarks/benchmark_lib.sh)
 * reads from its environment to build the AIPerf command, as a script, an srt-slurm recipe's
 * `benchmark.env` or the workflow sets it, and the values they resolve to for one point:
 *
 * | env | AIPerf option | default |
 * |---|---|---|
 * | AIPERF_WARMUP_REQUESTS_PER_LANE | --warmup-requests-per-lane | 10 |
 * | AGENTIC_WARMUP_GRACE_PERIOD | --warmup-grace-period (s) | 1800 |
 * | AIPERF_LIVE_FAILED_REQUEST_THRESHOLD | --failed-request-threshold (live) | AIPERF_FAILED_REQUEST_THRESHOLD |
 * | AIPERF_FAILED_REQUEST_THRESHOLD | the post-run validity gate | 0.10 |
 * | AIPERF_TRACE_IDLE_GAP_CAP_SECONDS | --trace-idle-gap-cap-seconds | 300 |
 * | AIPERF_BENCHMARK_GRACE_PERIOD | --benchmark-grace-period (s) | 30 |
 * | AIPERF_EXTRA_INPUTS | --extra-inputs `name:value` …: fields added to every request body | none |
 * | AIPERF_HTTP_X_SMG_ROUTING_KEY_FROM_CORRELATION_ID, AIPERF_HTTP_X_SESSION_ID_FROM_CORRELATION_ID, AIPERF_HTTP_X_DYNAMO_SESSION_ID_FROM_CORRELATION_ID | the conversation's id in `x-smg-routing-key`, `x-session-id`, `x-dynamo-session-id` | off |
 * | AIPERF_EXPERIMENTAL_FAST=1 | duration 1200 s, 1 warm-up request per lane | 0 |
 *
 * Pure: the env is given, never read from the process.
 */
import { z } from "zod";

const fraction = z.number().min(0).max(1);
const BodyValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A point's client settings where they are not the lab's defaults (absent keys: the defaults). */
export const AgenticClient = z
  .object({
    warmupRequestsPerLane: z.number().int().nonnegative().optional(),
    /** the longest warm-up may take to drain before its requests are cancelled and measuring starts, s */
    warmupGraceS: z.number().positive().optional(),
    /** the error ratio that stops the run while it measures */
    liveFailureThreshold: fraction.optional(),
    /** the error ratio above which the point is invalid once measured */
    failureThreshold: fraction.optional(),
    /** the longest idle gap replayed before a turn, s */
    gapCapS: z.number().nonnegative().optional(),
    /** requests in flight when the duration ends get this long to finish, s */
    graceS: z.number().nonnegative().optional(),
    /** headers that carry the conversation's id on each of its requests (a router's session affinity) */
    sessionHeaders: z.array(z.enum(["x-smg-routing-key", "x-session-id", "x-dynamo-session-id"])).optional(),
    /** fields added to every request body (`thinking: true`) */
    extraInputs: z.record(z.string(), BodyValue).optional(),
    /** AIPERF_EXPERIMENTAL_FAST: a 1200 s duration and 1 warm-up request per lane */
    fast: z.literal(true).optional(),
  })
  .strict();
export type AgenticClient = z.infer<typeof AgenticClient>;

/** build_replay_cmd's defaults (and the workflow's AIPERF_FAILED_REQUEST_THRESHOLD) */
export const AGENTIC_CLIENT_DEFAULTS = {
  warmupRequestsPerLane: 10,
  warmupGraceS: 1800,
  failureThreshold: 0.1,
  gapCapS: 300,
  graceS: 30,
  fastDurationS: 1200,
  fastWarmupRequestsPerLane: 1,
} as const;

/** Every client setting of one point, defaults filled in. */
export interface ResolvedAgenticClient {
  durationS: number;
  warmupRequestsPerLane: number;
  warmupGraceS: number;
  liveFailureThreshold: number;
  failureThreshold: number;
  gapCapS: number;
  graceS: number;
  extraInputs: Record<string, string | number | boolean | null>;
  sessionHeaders: string[];
}

/** The settings a point with client options `c` and the row's duration runs with, as build_replay_cmd resolves them. */
export function resolveAgenticClient(c: AgenticClient | undefined, durationS: number): ResolvedAgenticClient {
  const d = AGENTIC_CLIENT_DEFAULTS;
  const failureThreshold = c?.failureThreshold ?? d.failureThreshold;
  return {
    durationS: c?.fast ? d.fastDurationS : durationS,
    warmupRequestsPerLane: c?.fast
      ? d.fastWarmupRequestsPerLane
      : (c?.warmupRequestsPerLane ?? d.warmupRequestsPerLane),
    warmupGraceS: c?.warmupGraceS ?? d.warmupGraceS,
    liveFailureThreshold: c?.liveFailureThreshold ?? failureThreshold,
    failureThreshold,
    gapCapS: c?.gapCapS ?? d.gapCapS,
    graceS: c?.graceS ?? d.graceS,
    extraInputs: c?.extraInputs ?? {},
    sessionHeaders: [...(c?.sessionHeaders ?? [])].sort(),
  };
}

/** A point's client settings in words (`warm-up grace 3600 s, live error gate 0.25`); `lab defaults` for none. */
export function describeAgenticClient(c: AgenticClient | undefined): string {
  if (!c) return "lab defaults";
  const parts = [
    ...(c.fast ? ["fast (1200 s, 1 warm-up request/lane)"] : []),
    ...(c.warmupRequestsPerLane !== undefined ? [`${c.warmupRequestsPerLane} warm-up requests/lane`] : []),
    ...(c.warmupGraceS !== undefined ? [`warm-up grace ${c.warmupGraceS} s`] : []),
    ...(c.liveFailureThreshold !== undefined ? [`live error gate ${c.liveFailureThreshold}`] : []),
    ...(c.failureThreshold !== undefined ? [`error threshold ${c.failureThreshold}`] : []),
    ...(c.gapCapS !== undefined ? [`gap cap ${c.gapCapS} s`] : []),
    ...(c.graceS !== undefined ? [`end grace ${c.graceS} s`] : []),
    ...Object.entries(c.extraInputs ?? {}).map(([k, v]) => `body ${k}=${JSON.stringify(v)}`),
    ...(c.sessionHeaders ?? []).map((h) => `conversation id in ${h}`),
  ];
  return parts.join(", ") || "lab defaults";
}

type Key = Exclude<keyof AgenticClient, "fast" | "extraInputs" | "sessionHeaders">;

/** the env that puts the conversation's id in a header, and the header (AIPerf's `X-…` names, lower-cased) */
const SESSION_HEADER_ENV = {
  AIPERF_HTTP_X_SMG_ROUTING_KEY_FROM_CORRELATION_ID: "x-smg-routing-key",
  AIPERF_HTTP_X_SESSION_ID_FROM_CORRELATION_ID: "x-session-id",
  AIPERF_HTTP_X_DYNAMO_SESSION_ID_FROM_CORRELATION_ID: "x-dynamo-session-id",
} as const;

/** the env each setting is read from, and how its text is checked */
const FROM_ENV: Record<string, { key: Key; kind: "count" | "seconds" | "positive-seconds" | "fraction" }> = {
  AIPERF_WARMUP_REQUESTS_PER_LANE: { key: "warmupRequestsPerLane", kind: "count" },
  AGENTIC_WARMUP_GRACE_PERIOD: { key: "warmupGraceS", kind: "positive-seconds" },
  AIPERF_LIVE_FAILED_REQUEST_THRESHOLD: { key: "liveFailureThreshold", kind: "fraction" },
  AIPERF_FAILED_REQUEST_THRESHOLD: { key: "failureThreshold", kind: "fraction" },
  AIPERF_TRACE_IDLE_GAP_CAP_SECONDS: { key: "gapCapS", kind: "seconds" },
  AIPERF_BENCHMARK_GRACE_PERIOD: { key: "graceS", kind: "seconds" },
};

/**
 * Env of the lab's client or harness that sets no replay option of benchfleet's, and why: transport,
 * routing headers, metrics scraping and the harness's own files. Named so that a new AIPERF_* a
 * script starts to set is reported as unknown, not passed over.
 */
export const AGENTIC_CLIENT_ENV_NOT_MODELLED: Readonly<Record<string, string>> = {
  AIPERF_HTTP_TCP_USER_TIMEOUT: "the client's TCP user timeout (ms); benchfleet's request timeouts are its own",
  AIPERF_USE_DYNAMO_CONV_AWARE_ROUTING: "Dynamo's conversation-aware routing (nvext.session_control)",
  AIPERF_DYNAMO_SESSION_TIMEOUT_SECONDS: "Dynamo's session affinity lease",
  AIPERF_SERVER_METRICS_URLS: "the Prometheus endpoints AIPerf scrapes; the agent scrapes the engines it launched",
  AIPERF_SERVER_METRICS_COLLECTION_INTERVAL: "AIPerf's server-metrics scrape interval",
  AIPERF_REQUIRED_SERVER_METRIC_PREFIX: "a post-run check that engine metrics were scraped",
  AIPERF_DATASET_MMAP_CACHE_DIR: "where AIPerf caches its dataset",
  AIPERF_DATASET_MMAP_CACHE_ENABLED: "whether AIPerf caches its dataset",
  AIPERF_DATASET_WEKA_LIVE_ASSISTANT_RESPONSES: "live assistant responses in the history (default 0: the trace's)",
  AGENTIC_VENV: "where a script installs the lab's agentic tools",
};

/** A client env value that is not what its name takes: its name and what it must be. */
export interface AgenticClientEnvProblem {
  name: string;
  message: string;
}

/**
 * The client settings env `env` gives: the names build_replay_cmd reads become options,
 * AIPERF_EXPERIMENTAL_FAST=1 sets `fast`; `notModelled` lists the names it holds that
 * AGENTIC_CLIENT_ENV_NOT_MODELLED names, `unknown` the other AIPERF_* / AGENTIC_* names; `problems`
 * the values that are not what their name takes (the caller locates them). Other names are not the
 * client's and are passed over.
 */
export function agenticClientFromEnv(env: Readonly<Record<string, string | number | boolean>>): {
  options: AgenticClient;
  notModelled: string[];
  unknown: string[];
  problems: AgenticClientEnvProblem[];
} {
  const options: AgenticClient = {};
  const notModelled: string[] = [];
  const unknown: string[] = [];
  const problems: AgenticClientEnvProblem[] = [];
  for (const [name, raw] of Object.entries(env)) {
    const text = String(raw).trim();
    const spec = FROM_ENV[name];
    if (spec) {
      const v = parseValue(text, spec.kind);
      if (typeof v === "number") options[spec.key] = v;
      else problems.push({ name, message: `${name}=${JSON.stringify(text)}: ${v.error}` });
      continue;
    }
    if (Object.hasOwn(SESSION_HEADER_ENV, name)) {
      const on = /^(1|true|yes|on)$/i.test(text);
      if (!on && !/^(0|false|no|off|)$/i.test(text))
        problems.push({ name, message: `${name}=${JSON.stringify(text)}: true or false` });
      else if (on)
        options.sessionHeaders = [
          ...(options.sessionHeaders ?? []),
          SESSION_HEADER_ENV[name as keyof typeof SESSION_HEADER_ENV],
        ].sort();
      continue;
    }
    if (name === "AIPERF_EXTRA_INPUTS") {
      const inputs = extraInputs(text);
      if ("error" in inputs) problems.push({ name, message: `${name}=${JSON.stringify(text)}: ${inputs.error}` });
      else if (Object.keys(inputs.fields).length) options.extraInputs = inputs.fields;
      continue;
    }
    if (name === "AIPERF_EXPERIMENTAL_FAST") {
      if (text === "1") options.fast = true;
      else if (text !== "0" && text !== "")
        problems.push({ name, message: `${name}=${JSON.stringify(text)}: 1 or 0 (build_replay_cmd tests for "1")` });
      continue;
    }
    if (Object.hasOwn(AGENTIC_CLIENT_ENV_NOT_MODELLED, name)) notModelled.push(name);
    else if (/^(AIPERF|AGENTIC)_/.test(name)) unknown.push(name);
  }
  return { options, notModelled: notModelled.sort(), unknown: unknown.sort(), problems };
}

/**
 * `--extra-inputs $AIPERF_EXTRA_INPUTS`: the shell splits the value at whitespace into `name:value`
 * words; a value that reads as JSON (`true`, `2`, `"x"`) is that value, any other is a string.
 */
function extraInputs(text: string): { fields: Record<string, string | number | boolean | null> } | { error: string } {
  const fields: Record<string, string | number | boolean | null> = {};
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const at = word.indexOf(":");
    if (at <= 0) return { error: `"${word}" is not name:value` };
    const raw = word.slice(at + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {}
    fields[word.slice(0, at)] = BodyValue.safeParse(value).success ? (value as string | number | boolean | null) : raw;
  }
  return { fields };
}

function parseValue(text: string, kind: (typeof FROM_ENV)[string]["kind"]): number | { error: string } {
  const v = Number(text);
  if (text === "" || !Number.isFinite(v)) return { error: "not a number" };
  if (kind === "count" && !(Number.isInteger(v) && v >= 0)) return { error: "a whole number of requests, 0 or more" };
  if (kind === "fraction" && !(v >= 0 && v <= 1)) return { error: "a ratio from 0 to 1" };
  if (kind === "seconds" && !(v >= 0)) return { error: "seconds, 0 or more" };
  if (kind === "positive-seconds" && !(v > 0)) return { error: "seconds, more than 0" };
  return v;
}
