/**
 * The lab client's settings at one agentic point, held against benchfleet's: what the traced
 * script had set when it called `build_replay_cmd` (its AIPERF_* / AGENTIC_* variables, the
 * workflow's and benchmark_lib.sh's defaults among them, and DURATION) resolved as build_replay_cmd
 * resolves them, against the point's `agenticClient` options resolved with the same defaults
 * (shared/src/agentic-client.ts). Settings that differ are named with both values, as is client env
 * benchfleet does not know; the client env that sets no replay option here (a non-zero
 * MAX_MODEL_LEN, which build_replay_cmd passes as `--max-context-length`, among it) is listed
 * apart, as not modelled. Pure.
 */
import {
  type AgenticClient,
  agenticClientFromEnv,
  type ResolvedAgenticClient,
  resolveAgenticClient,
} from "@benchfleet/shared";

/** the env each resolved setting comes from, for the census's words */
const SOURCE: Record<keyof ResolvedAgenticClient, string> = {
  durationS: "DURATION / AIPERF_EXPERIMENTAL_FAST",
  warmupRequestsPerLane: "AIPERF_WARMUP_REQUESTS_PER_LANE",
  warmupGraceS: "AGENTIC_WARMUP_GRACE_PERIOD",
  liveFailureThreshold: "AIPERF_LIVE_FAILED_REQUEST_THRESHOLD",
  failureThreshold: "AIPERF_FAILED_REQUEST_THRESHOLD",
  gapCapS: "AIPERF_TRACE_IDLE_GAP_CAP_SECONDS",
  graceS: "AIPERF_BENCHMARK_GRACE_PERIOD",
  extraInputs: "AIPERF_EXTRA_INPUTS",
  sessionHeaders: "AIPERF_HTTP_X_*_FROM_CORRELATION_ID",
};

export interface AgenticClientComparison {
  /** `client warmupGraceS (AGENTIC_WARMUP_GRACE_PERIOD): script 3600, ours 1800` */
  differences: string[];
  /** AIPERF_* / AGENTIC_* names the script set that set no replay option here */
  notModelled: string[];
}

/** The script's client settings (`scriptEnv`, as traced) against the point's (`ours`), for a row of `durationS`. */
export function compareAgenticClient(
  scriptEnv: Readonly<Record<string, string>>,
  ours: AgenticClient | undefined,
  durationS: number,
): AgenticClientComparison {
  const { DURATION, MAX_MODEL_LEN, ...env } = scriptEnv;
  const traced = agenticClientFromEnv(env);
  const differences = [
    ...traced.problems.map((p) => `client env ${p.message}`),
    ...traced.unknown.map((n) => `client env ${n}: not known to benchfleet (shared/src/agentic-client.ts)`),
  ];
  const scriptDuration = DURATION !== undefined && /^\d+$/.test(DURATION) ? Number(DURATION) : durationS;
  const theirs = resolveAgenticClient(traced.options, scriptDuration);
  const mine = resolveAgenticClient(ours, durationS);
  const show = (v: unknown) => (typeof v === "object" ? JSON.stringify(v) : String(v));
  for (const k of Object.keys(SOURCE) as (keyof ResolvedAgenticClient)[])
    if (show(theirs[k]) !== show(mine[k]))
      differences.push(`client ${k} (${SOURCE[k]}): script ${show(theirs[k])}, ours ${show(mine[k])}`);
  // build_replay_cmd passes a non-zero MAX_MODEL_LEN as --max-context-length
  const contextCap = MAX_MODEL_LEN !== undefined && MAX_MODEL_LEN !== "" && MAX_MODEL_LEN !== "0";
  return { differences, notModelled: [...traced.notModelled, ...(contextCap ? ["MAX_MODEL_LEN"] : [])] };
}

export interface AgenticClientSummary {
  /** the script's file name */
  key: string;
  points: number;
  /** points whose client settings equal the script's */
  equal: number;
  /** points the trace could not compare (the launch trace failed or did not reach the client) */
  unknown: number;
  /** distinct differences, each with the count of points it occurs at */
  differences: { what: string; points: number }[];
  /** client env the script sets that sets nothing here, over all its points */
  notModelled: string[];
}

/** Per script: how many of its points' client settings equal the script's, and what differs at the others. */
export function summarizeAgenticClient(
  checks: readonly { key: string; client?: AgenticClientComparison }[],
): AgenticClientSummary[] {
  const byKey = new Map<string, AgenticClientSummary>();
  for (const c of checks) {
    const s = byKey.get(c.key) ?? { key: c.key, points: 0, equal: 0, unknown: 0, differences: [], notModelled: [] };
    byKey.set(c.key, s);
    s.points++;
    if (!c.client) {
      s.unknown++;
      continue;
    }
    if (!c.client.differences.length) s.equal++;
    for (const w of c.client.differences) {
      const d = s.differences.find((x) => x.what === w);
      if (d) d.points++;
      else s.differences.push({ what: w, points: 1 });
    }
    for (const n of c.client.notModelled) if (!s.notModelled.includes(n)) s.notModelled.push(n);
  }
  for (const s of byKey.values()) s.notModelled.sort();
  return [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/** The client census as text: scripts whose every point's client settings equal, then the others. */
export function formatAgenticClientSummary(summaries: readonly AgenticClientSummary[], maxLines = 6): string {
  const same = (s: AgenticClientSummary) => s.equal === s.points;
  const points = summaries.reduce((n, s) => n + s.points, 0);
  const equalPoints = summaries.reduce((n, s) => n + s.equal, 0);
  const equal = summaries.filter(same);
  let text = `agentic client: ${equal.length} of ${summaries.length} scripts give the lab's client the settings benchfleet's replay uses at every point (${equalPoints} of ${points} points)\n`;
  const notModelled = (s: AgenticClientSummary) =>
    s.notModelled.length ? `; not modelled: ${s.notModelled.join(", ")}` : "";
  for (const s of equal) text += `  = ${s.key} (${s.points} points)${notModelled(s)}\n`;
  for (const s of summaries.filter((x) => !same(x))) {
    const unknown = s.unknown ? `, ${s.unknown} not traced to the client` : "";
    text += `  ≠ ${s.key}: ${s.equal} of ${s.points} points equal${unknown}${notModelled(s)}\n`;
    for (const d of s.differences.slice(0, maxLines)) text += `      ${d.what} (${d.points} points)\n`;
    if (s.differences.length > maxLines) text += `      … ${s.differences.length - maxLines} more\n`;
  }
  return text;
}
