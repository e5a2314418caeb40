/** `benchfleet nodes ls|show|drain|undrain|quarantine|release`. */

import type { NodeDetail, NodeView } from "@benchfleet/shared";
import type { Command } from "commander";
import { ApiClient, ago, printJson, qs, withConn } from "../client.js";
import { renderTable } from "../table.js";

/** `nodes show` without --json: what an operator reads before draining or releasing a node. */
export function describeNode(n: NodeDetail): string {
  const i = n.info;
  const gpus = i.slurm
    ? `${i.gpuCount} × ${i.slurm.nodes} nodes (Slurm partition ${i.slurm.partition})`
    : `${i.gpuCount}`;
  const lines = [
    `${n.id}  ${i.sku}  ${n.state}${n.adminReason ? ` (${n.adminReason})` : ""}`,
    `host      ${i.hostname}${i.ip ? ` (${i.ip})` : ""}${n.connected === false ? ", disconnected" : ""}, seen ${ago(new Date(n.lastSeenAt).toISOString())}`,
    `gpus      ${gpus}; domain ${i.domain}; launcher ${i.launcher}${i.emulated ? " (emulated)" : ""}`,
    `labels    ${i.labels.length ? i.labels.join(", ") : "(none)"}`,
    `health    ${n.healthy ? "ok" : "BAD"}${n.health?.reasons.length ? `: ${n.health.reasons.join("; ")}` : ""}`,
    `attempt   ${n.attemptId ?? "(none)"}`,
  ];
  const failures = n.failures ?? [];
  lines.push(failures.length ? "failures" : "failures  (none)");
  for (const f of failures) lines.push(`  ${new Date(f.at).toISOString().slice(0, 19)}Z  ${f.jobId}  ${f.reason}`);
  return `${lines.join("\n")}\n`;
}

export function register(program: Command): void {
  const nodes = program.command("nodes").description("the fleet: list nodes, drain, quarantine, release");

  withConn(
    nodes
      .command("ls")
      .description("list nodes")
      .option("--state <list>", "idle,busy,draining,drained,quarantined,offline")
      .option("--sku <sku>")
      .option("--json", "JSON output"),
  ).action(async (o) => {
    const r = await new ApiClient(o).get<{ items: NodeView[] }>(
      `/api/v1/nodes${qs({ state: o.state, sku: o.sku, limit: 1000 })}`,
    );
    if (o.json) return printJson(r);
    process.stdout.write(
      renderTable(
        r.items.map((n) => ({
          node: n.id,
          sku: n.info.sku,
          // a Slurm partition agent stands for several nodes of that many GPUs
          gpus: n.info.slurm ? `${n.info.gpuCount} × ${n.info.slurm.nodes} nodes` : String(n.info.gpuCount),
          domain: n.info.domain,
          state: n.state,
          health: n.healthy ? "ok" : "BAD",
          attempt: n.attemptId ?? "",
          seen: ago(new Date(n.lastSeenAt).toISOString()),
          note: (n.adminReason ?? "").slice(0, 50),
        })),
      ),
    );
  });

  withConn(
    nodes.command("show <node>").description("one node with its failures").option("--json", "JSON output"),
  ).action(async (id: string, o) => {
    const n = await new ApiClient(o).get<NodeDetail>(`/api/v1/nodes/${encodeURIComponent(id)}`);
    if (o.json) return printJson(n);
    process.stdout.write(describeNode(n));
  });

  const action = (name: string, description: string, withReason: boolean) => {
    const cmd = nodes.command(`${name} <node>`).description(description).option("--json", "JSON output");
    if (withReason) cmd.option("--reason <text>");
    withConn(cmd).action(async (id: string, o) => {
      const n = await new ApiClient(o).post<NodeView>(
        `/api/v1/nodes/${encodeURIComponent(id)}/${name}`,
        withReason ? { reason: o.reason } : undefined,
      );
      if (o.json) return printJson(n);
      process.stdout.write(`${n.id}: ${n.state}\n`);
    });
  };
  action("drain", "take no new work; the running attempt finishes", true);
  action("undrain", "take work again", false);
  action("quarantine", "no new work until released", true);
  action("release", "release from quarantine or drain (clears its failure history)", false);
}
