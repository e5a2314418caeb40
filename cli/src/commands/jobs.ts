/** `benchfleet jobs ls|show|cancel|retry|lift-exclusion`. */
import {
  CliError,
  durationText,
  type JobDetail,
  type JobView,
  liveText,
  type Page,
  remainingText,
} from "@benchfleet/shared";
import type { Command } from "commander";
import { ApiClient, ago, printJson, qs, withConn } from "../client.js";
import { renderTable } from "../table.js";

export function register(program: Command): void {
  const jobs = program.command("jobs").description("list and manage jobs (one deployment each)");

  withConn(
    jobs
      .command("ls")
      .description("list jobs")
      .option("--sweep <id>", "of this sweep")
      .option("--status <list>", "queued,running,succeeded,failed,cancelled")
      .option("--sku <sku>")
      .option("--node <id>", "running on this node")
      .option("--offset <n>", "skip this many", "0")
      .option("--limit <n>", "at most this many", "100")
      .option("--json", "JSON output"),
  ).action(async (o) => {
    const r = await new ApiClient(o).get<Page<JobView>>(
      `/api/v1/jobs${qs({ sweep: o.sweep, status: o.status, sku: o.sku, node: o.node, offset: o.offset, limit: o.limit })}`,
    );
    if (o.json) return printJson(r);
    process.stdout.write(
      renderTable(
        r.items.map((j) => ({
          job: j.jobId,
          config: j.configKey.slice(0, 40),
          sku: j.sku,
          parallelism: j.parallelism ?? "",
          conc: (j.concurrencies ?? []).join(","),
          nodes: j.live ? j.live.nodes.join(",") : String(j.nodes),
          status: j.status,
          tries: String(j.attempts),
          points: `${j.pointsDone}/${j.pointsTotal}`,
          elapsed: j.timing?.elapsedS !== undefined ? durationText(j.timing.elapsedS) : "",
          left: j.timing && j.timing.basis !== "finished" ? `~${durationText(j.timing.remainingS)}` : "",
          now: j.live ? liveText(j.live, j.pointsTotal) : "",
          note: (j.status === "queued" ? (j.waitingReason ?? "") : (j.lastError ?? "")).slice(0, 60),
        })),
      ),
    );
    if (r.total > r.items.length)
      process.stdout.write(`(${r.items.length} of ${r.total} from offset ${r.offset}; use --offset/--limit)\n`);
  });

  withConn(jobs.command("show <job>").description("one job with its attempts").option("--json", "JSON output")).action(
    async (id: string, o) => {
      const j = await new ApiClient(o).get<JobDetail>(`/api/v1/jobs/${encodeURIComponent(id)}`);
      if (o.json) return printJson(j);
      process.stdout.write(
        `${j.jobId}  ${j.configKey}  ${j.sku}  ${j.status}  points ${j.pointsDone}/${j.pointsTotal}\n`,
      );
      if (j.parallelism)
        process.stdout.write(`parallelism: ${j.parallelism}  concurrency: ${(j.concurrencies ?? []).join(",")}\n`);
      if (j.live)
        process.stdout.write(
          `now: ${liveText(j.live, j.pointsTotal)} on ${j.live.nodes.join(", ")}, attempt ${j.live.attemptId} running ${durationText(j.live.elapsedS)}\n`,
        );
      if (j.timing) {
        const ran = j.timing.elapsedS !== undefined ? `ran ${durationText(j.timing.elapsedS)}` : "";
        const left = remainingText(j.timing);
        if (ran || left) process.stdout.write(`time: ${[ran, left].filter(Boolean).join(", ")}\n`);
      }
      if (j.waitingReason) process.stdout.write(`waiting: ${j.waitingReason}\n`);
      if (j.lastError) process.stdout.write(`last error: ${j.lastError}\n`);
      for (const line of exclusionLines(j)) process.stdout.write(`${line}\n`);
      process.stdout.write(
        renderTable(
          j.attempts.map((a) => ({
            attempt: a.attemptId,
            state: a.state,
            nodes: a.gang.map((m) => m.agentId).join(","),
            started: ago(a.createdAt),
            reason: (a.reason ?? "").slice(0, 60),
          })),
        ),
      );
    },
  );

  withConn(
    jobs
      .command("cancel <job>")
      .description("cancel a queued or running job")
      .option("--reason <text>")
      .option("--json", "JSON output"),
  ).action(async (id: string, o) => {
    const j = await new ApiClient(o).post<JobView>(`/api/v1/jobs/${encodeURIComponent(id)}/cancel`, {
      reason: o.reason,
    });
    if (o.json) return printJson(j);
    process.stdout.write(`${j.jobId}: ${j.status}\n`);
  });

  withConn(
    jobs
      .command("lift-exclusion <job> [nodes...]")
      .description("let a job run again on nodes it excluded after they failed one of its attempts")
      .option("--all", "every node the job excludes")
      .option("--json", "JSON output"),
  ).action(async (id: string, nodes: string[], o) => {
    if (nodes.length === 0 && !o.all) throw new CliError("name the nodes to lift, or --all");
    const j = await new ApiClient(o).post<JobView>(
      `/api/v1/jobs/${encodeURIComponent(id)}/lift-exclusion`,
      o.all ? {} : { nodes },
    );
    if (o.json) return printJson(j);
    process.stdout.write(`${j.jobId}: excludes ${j.excludedNodes.join(", ") || "no node"}\n`);
  });

  withConn(jobs.command("retry <job>").description("re-queue a finished job").option("--json", "JSON output")).action(
    async (id: string, o) => {
      const j = await new ApiClient(o).post<JobView>(`/api/v1/jobs/${encodeURIComponent(id)}/retry`);
      if (o.json) return printJson(j);
      process.stdout.write(`${j.jobId}: ${j.status}\n`);
    },
  );
}

/** `excluded: node-a: <reason> (attempt …, since 12:01:02; may go back from 12:05:00)` per exclusion */
function exclusionLines(j: JobDetail): string[] {
  const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);
  const list =
    j.exclusions ?? j.excludedNodes.map((nodeId) => ({ nodeId, reason: "", attemptId: "", at: 0, retryOnAt: 0 }));
  return list.map((e) => {
    const when = [
      e.attemptId ? `attempt ${e.attemptId}` : "",
      e.at ? `since ${time(e.at)}` : "",
      e.retryOnAt > Date.now() ? `may go back from ${time(e.retryOnAt)} if no other node can run it` : "",
    ].filter(Boolean);
    return `excluded: ${e.nodeId}${e.reason ? `: ${e.reason}` : ""}${when.length ? ` (${when.join("; ")})` : ""}`;
  });
}
