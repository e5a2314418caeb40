/**
 * A Slurm-mode agent as its own process (`benchfleet agent start --launcher slurm`, emulating H200
 * nodes at --time-scale 0.02), in its own process group so a test can SIGKILL it whole, with its
 * stderr collected.
 */
import type { ChildProcess } from "node:child_process";
import type { SlurmCluster } from "@benchfleet/cli";
import { spawnCli } from "./cli.js";
import { TOKENS, testEnv } from "./controller.js";

export interface AgentProcess {
  child: ChildProcess;
  out: { stderr: string };
  exited: Promise<NodeJS.Signals | number | null>;
}

export function startSlurmAgentProcess(o: {
  controllerUrl: string;
  cluster: SlurmCluster;
  agentId: string;
  dataDir: string;
  /** more `agent start` options */
  extra?: string[];
}): AgentProcess {
  const child = spawnCli(
    [
      "agent",
      "start",
      "--controller",
      o.controllerUrl.replace(/^http/, "ws"),
      "--token",
      TOKENS.enrol,
      "--agent-id",
      o.agentId,
      "--data-dir",
      o.dataDir,
      "--launcher",
      "slurm",
      "--slurm-partition",
      o.cluster.partition,
      "--emulate-sku",
      "h200",
      "--time-scale",
      "0.02",
      ...(o.extra ?? []),
    ],
    { stdio: ["ignore", "ignore", "pipe"], detached: true, env: { ...process.env, ...testEnv(), ...o.cluster.env } },
  );
  const out = { stderr: "" };
  child.stderr?.on("data", (b: Buffer) => (out.stderr += b.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((r) =>
    child.once("exit", (code, signal) => r(signal ?? code)),
  );
  return { child, out, exited };
}

/** signals a process group; a group already gone is fine */
export function killGroup(pgid: number | undefined, signal: NodeJS.Signals = "SIGKILL"): void {
  try {
    if (pgid) process.kill(-pgid, signal);
  } catch {
    /* gone */
  }
}
