/** `benchfleet nodes ls|show|drain|undrain|quarantine|release`. */
import type { Command } from "commander";
import { ApiClient, ago, printJson, qs, withConn } from "../client.js";
import { renderTable } from "../table.js";

interface NodeView {
  id: string;
  state: string;
  info: {
    sku: string;
    hostname: string;
    gpuCount: number;
    domain: string;
    labels: string[];
    launcher: string;
    /** a Slurm partition agent: its partition and node count */
    slurm?: { partition: string; nodes: number };
    emulated: boolean;
  };
  attemptId?: string;
  adminReason?: string;
  healthy: boolean;
  lastSeenAt: number;
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
    const n = await new ApiClient(o).get(`/api/v1/nodes/${encodeURIComponent(id)}`);
    printJson(n);
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
