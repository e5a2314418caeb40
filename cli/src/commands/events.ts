/** `benchfleet events`: follow live events (fleet, sweeps, a sweep, a job) until interrupted. */

import { CliError } from "@benchfleet/shared";
import type { Command } from "commander";
import WebSocket from "ws";
import { ApiClient, withConn } from "../client.js";
import { printedLiveLogLine, printedLogLine } from "../log-line.js";

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
      return d.lines.map((l: any) => printedLogLine(l.process, l.line)).join("\n") || undefined;
    return undefined;
  }
  if (f.type === "dropped") return `(${f.count} telemetry/log events dropped: this client was slow)`;
  if (f.type === "error") return `error: ${f.message}`;
  if (f.type !== "event") return undefined;
  const e = f.event;
  const t = new Date().toISOString().slice(11, 19);
  switch (e.kind) {
    case "node":
      return `${t} node ${e.nodeId} ${e.data.state}${e.data.attemptId ? ` (${e.data.attemptId})` : ""}`;
    case "telemetry":
      return undefined;
    case "sweep":
      return `${t} sweep ${e.sweepId} ${e.data.status}: ${e.data.counts.succeeded}/${e.data.jobCount} succeeded, ${e.data.counts.running} running, ${e.data.counts.failed} failed; points ${e.data.pointsDone}/${e.data.pointsTotal}`;
    case "job":
      return `${t} job ${e.jobId} ${e.data.status}${e.data.lastError && e.data.status !== "succeeded" ? ` (${e.data.lastError})` : ""}`;
    case "attempt":
      return `${t} attempt ${e.attemptId} ${e.data.state}${e.data.reason ? ` (${e.data.reason})` : ""}`;
    case "phase":
      return `${t} ${e.attemptId} rank ${e.data.rank} ${e.data.phase} ${e.data.status}`;
    case "point":
      return `${t} point ${e.jobId} conc ${e.data.point.concurrency}: ${Math.round(e.data.bench.total_token_throughput)} tok/s${energyText(e.data.energy)}`;
    case "eval":
      return `${t} eval ${e.jobId}: ${e.data.flexible.exactMatch.toFixed(3)} (${e.data.passed ? "passed" : "FAILED"})`;
    case "log":
      return e.lines.map((l: string) => printedLiveLogLine(e.process, e.stream, l)).join("\n");
    default:
      return undefined;
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
          const line = describeFrame(f);
          if (line) process.stdout.write(`${line}\n`);
        }
      },
      { signal: ac.signal },
    );
    if (refused.length === subs.length) throw new CliError(refused.join("; "));
  });
}
