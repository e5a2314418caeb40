/** `benchfleet events`: follow live events (fleet, sweeps, a sweep, a job) until interrupted. */

import { CliError, printedLogText } from "@benchfleet/shared";
import type { Command } from "commander";
import WebSocket from "ws";
import { ApiClient, withConn } from "../client.js";
import { printedLiveLogLine } from "../log-line.js";

export interface Subscription {
  topic: "fleet" | "sweeps" | "sweep" | "job" | "job-logs";
  id?: string;
}

/** Opens the events socket, subscribes, and calls onFrame for every frame until closed. */
export async function followEvents(
  client: ApiClient,
  subs: Subscription[],
  onFrame: (f: any) => void,
  opts: { signal?: AbortSignal } = {},
): Promise<void> {
  const ws = new WebSocket(client.wsUrl("/api/v1/events/ws"), { headers: client.wsHeaders() });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) =>
      reject(
        new CliError(
          `events: the controller answered ${res.statusCode}${res.statusCode === 401 ? " (set --token or BENCHFLEET_TOKEN)" : ""}`,
        ),
      ),
    );
    ws.once("error", (e) => reject(new CliError(`cannot reach the controller at ${client.url} (${e.message})`)));
  });
  for (const s of subs) ws.send(JSON.stringify({ type: "subscribe", ...s }));
  opts.signal?.addEventListener("abort", () => ws.close());
  await new Promise<void>((resolve) => {
    ws.on("message", (raw: Buffer) => {
      try {
        onFrame(JSON.parse(raw.toString("utf8")));
      } catch {
        /* ignore a bad frame */
      }
    });
    ws.on("close", () => resolve());
    ws.on("error", () => resolve());
  });
}

/** One human-readable line per frame. */
export function describeFrame(f: any): string | undefined {
  if (f.type === "snapshot") {
    const d = f.data;
    if (f.topic === "fleet")
      return `fleet: ${d.nodes.length} nodes (${d.nodes.filter((n: any) => n.state === "idle").length} idle, ${d.nodes.filter((n: any) => n.state === "reserved").length} reserved, ${d.nodes.filter((n: any) => n.state === "busy").length} busy)`;
    if (f.topic === "sweeps") return `sweeps: ${d.sweeps.length}`;
    if (f.topic === "sweep")
      return `sweep ${d.sweep.sweepId} ${d.sweep.status}: ${d.sweep.counts.succeeded}/${d.sweep.jobCount} jobs done`;
    if (f.topic === "job") return `job ${d.job.jobId} ${d.job.status}`;
    if (f.topic === "job-logs")
      return d.lines.map((l: any) => printedLogText(l.process, l.at, l.line)).join("\n") || undefined;
    return undefined;
  }
  if (f.type === "dropped") return `(${f.count} telemetry/log events dropped: this client was slow)`;
  if (f.type === "error") return `error: ${f.message}`;
  if (f.type !== "event") return undefined;
  const e = f.event;
  const what = eventText(e);
  // log lines carry their own prefixes; every other event gets the time it arrived
  if (what === undefined || e.kind === "log") return what;
  return `${new Date().toISOString().slice(11, 19)} ${what}`;
}

/** What an event says, without the time; undefined for events not printed (telemetry). */
function eventText(e: any): string | undefined {
  switch (e.kind) {
    case "node":
      return `node ${e.nodeId} ${e.data.state}${e.data.attemptId ? ` (${e.data.attemptId})` : ""}`;
    case "telemetry":
      return undefined;
    case "sweep":
      return `sweep ${e.sweepId} ${e.data.status}: ${e.data.counts.succeeded}/${e.data.jobCount} succeeded, ${e.data.counts.running} running, ${e.data.counts.failed} failed; points ${e.data.pointsDone}/${e.data.pointsTotal}`;
    case "job":
      return `job ${e.jobId} ${jobName(e.data)}${e.data.status}${e.data.lastError && e.data.status !== "succeeded" ? ` (${e.data.lastError})` : ""}`;
    case "attempt":
      return `attempt ${e.attemptId} ${e.data.state}${e.data.reason ? ` (${e.data.reason})` : ""}`;
    case "phase":
      return `${e.attemptId} rank ${e.data.rank} ${e.data.phase} ${e.data.status}`;
    case "progress":
      return `${e.attemptId} point ${e.data.pointIndex + 1}/${e.data.points} c=${e.data.concurrency} ${e.data.stage}: ${e.data.done}/${e.data.total} requests${perGpuText(e.data.outputTokensPerS, e.data.gpus, " output")}`;
    case "point":
      return `point ${e.jobId} c=${e.data.point.concurrency}:${perGpuText(e.data.bench.total_token_throughput, e.data.gpus?.total, "")}${energyText(e.data.energy)}`;
    case "eval":
      return `eval ${e.jobId}${e.data.concurrency ? ` c=${e.data.concurrency}` : ""}: ${e.data.flexible.exactMatch.toFixed(3)} (${e.data.passed ? "passed" : "FAILED"})`;
    case "log":
      return e.lines
        .map((l: string, i: number) =>
          printedLiveLogLine(e.process, e.stream, l, e.times?.[i] ?? new Date().toISOString()),
        )
        .join("\n");
    default:
      return undefined;
  }
}

/** `test-key TP8 ` from a job record (older records have no parallelism) */
function jobName(j: { configKey?: string; parallelism?: string }): string {
  return [j.configKey, j.parallelism]
    .filter(Boolean)
    .map((x) => `${x} `)
    .join("");
}

/** ` 2,000 tok/s/GPU` (per GPU when the GPU count is known, else the total) */
function perGpuText(tokPerS: number, gpus: number | undefined, kind: string): string {
  const r = (x: number) => Math.round(x).toLocaleString("en-US");
  return gpus && gpus > 0 ? ` ${r(tokPerS / gpus)}${kind} tok/s/GPU` : ` ${r(tokPerS)}${kind} tok/s`;
}

/**
 * The identity and content of what a printed line says about one thing (node, job, attempt, a
 * job's progress): `events` prints a line only when that content changed, so a job saved ten times
 * while running prints "running" once. Progress prints once per point and stage.
 */
export function changeKey(e: any): { key: string; content: string } | undefined {
  switch (e.kind) {
    case "node":
      return { key: `node:${e.nodeId}`, content: `${e.data.state}|${e.data.attemptId ?? ""}` };
    case "sweep":
      return { key: `sweep:${e.sweepId}`, content: eventText(e) ?? "" };
    case "job":
      return { key: `job:${e.jobId}`, content: `${e.data.status}|${e.data.lastError ?? ""}` };
    case "attempt":
      return { key: `attempt:${e.attemptId}`, content: `${e.data.state}|${e.data.reason ?? ""}` };
    case "progress":
      return { key: `progress:${e.attemptId}`, content: `${e.data.pointIndex}|${e.data.stage}` };
    default:
      return undefined;
  }
}

/** Prints each frame's line unless it repeats what was last printed about the same thing. */
export class ChangeFilter {
  private readonly last = new Map<string, string>();

  line(f: any): string | undefined {
    // a snapshot says where things stand: the first event that repeats it prints nothing
    if (f.type === "snapshot" && f.topic === "job" && f.data?.job)
      this.seen({ kind: "job", jobId: f.data.job.jobId, data: f.data.job });
    if (f.type === "snapshot" && f.topic === "sweep")
      for (const j of f.data?.jobs ?? []) this.seen({ kind: "job", jobId: j.jobId, data: j });
    if (f.type === "snapshot" && f.topic === "fleet")
      for (const n of f.data?.nodes ?? []) this.seen({ kind: "node", nodeId: n.id, data: n });
    if (f.type === "event") {
      const k = changeKey(f.event);
      if (k) {
        if (this.last.get(k.key) === k.content) return undefined;
        this.last.set(k.key, k.content);
      }
    }
    return describeFrame(f);
  }

  private seen(e: any): void {
    const k = changeKey(e);
    if (k) this.last.set(k.key, k.content);
  }
}

/** `, 0.42 J/token` (`(partial)` while not every node's energy is in) */
function energyText(e: { joulesPerTotalToken: number | null; complete: boolean } | undefined): string {
  if (!e || e.joulesPerTotalToken === null) return "";
  return `, ${e.joulesPerTotalToken.toPrecision(3)} J/token${e.complete ? "" : " (partial)"}`;
}

export function register(program: Command): void {
  withConn(
    program
      .command("events")
      .description("follow live events: the fleet and all sweeps by default")
      .option("--sweep <id>", "one sweep's jobs, attempts and results")
      .option("--job <id>", "one job")
      .option("--logs", "with --job: its log lines too")
      .option("--no-fleet", "without node events")
      .option("--json", "print raw frames as JSON lines"),
  ).action(async (o) => {
    const subs: Subscription[] = [];
    if (o.sweep) subs.push({ topic: "sweep", id: o.sweep });
    if (o.job) subs.push({ topic: "job", id: o.job });
    if (o.job && o.logs) subs.push({ topic: "job-logs", id: o.job });
    if (!o.sweep && !o.job) {
      if (o.fleet) subs.push({ topic: "fleet" });
      subs.push({ topic: "sweeps" });
    }
    const ac = new AbortController();
    process.once("SIGINT", () => ac.abort());
    // every subscribe is answered by a snapshot or an error: when all were refused (unknown sweep or
    // job) there is nothing to follow, so say so and exit instead of waiting forever
    let answered = 0;
    const refused: string[] = [];
    const changes = new ChangeFilter();
    await followEvents(
      new ApiClient(o),
      subs,
      (f) => {
        if (answered < subs.length && (f.type === "snapshot" || f.type === "error")) {
          answered++;
          if (f.type === "error") refused.push(String(f.message));
          if (refused.length === subs.length) return ac.abort();
          if (answered === subs.length && refused.length) process.stderr.write(`error: ${refused.join("; ")}\n`);
          if (f.type === "error") return;
        }
        if (o.json) process.stdout.write(`${JSON.stringify(f)}\n`);
        else {
          const line = changes.line(f);
          if (line) process.stdout.write(`${line}\n`);
        }
      },
      { signal: ac.signal },
    );
    if (refused.length === subs.length) throw new CliError(refused.join("; "));
  });
}
