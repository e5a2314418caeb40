/**
 * The agent processes of `benchfleet up`: each a real `benchfleet agent start` child in its own
 * process group, logs to a file, stopped with SIGTERM (then SIGKILL) so nothing is left running.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { FleetMember } from "./demo-fleet.js";

export const CLI_MAIN = new URL("../main.ts", import.meta.url).pathname;

export const MARKER_ENV = "BENCHFLEET_UP_RUN";

export interface AgentProcess {
  member: FleetMember;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
}

export function spawnAgent(args: {
  member: FleetMember;
  controllerWs: string;
  token: string;
  dataDir: string;
  timeScale: number;
  /** env marker inherited by the agent and every engine it starts (see findMarkedProcesses) */
  marker: string;
}): AgentProcess {
  const { member } = args;
  const dir = join(args.dataDir, member.agentId);
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, "agent.log");
  const out = createWriteStream(logFile, { flags: "a" });
  const child = spawn(
    process.execPath,
    [
      "--conditions=source",
      "--import",
      "tsx",
      CLI_MAIN,
      "agent",
      "start",
      "--controller",
      args.controllerWs,
      "--token",
      args.token,
      "--agent-id",
      member.agentId,
      ...(member.slurm
        ? ["--launcher", "slurm", "--slurm-partition", member.slurm.partition]
        : ["--launcher", "emulated", "--emulate-ip", member.ip, "--domain", member.domain]),
      "--emulate-sku",
      member.sku,
      "--emulate-gpus",
      String(member.gpus),
      "--data-dir",
      dir,
      "--time-scale",
      String(args.timeScale),
      ...(member.labels?.length ? ["--labels", member.labels.join(",")] : []),
    ],
    {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...member.slurm?.env, [MARKER_ENV]: args.marker },
    },
  );
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      out.end();
      resolve(code);
    }),
  );
  return { member, child, logFile, exited };
}

/** Pids of live processes whose environment carries `BENCHFLEET_UP_RUN=<marker>` (Linux /proc). */
export function findMarkedProcesses(marker: string): number[] {
  const needle = `${MARKER_ENV}=${marker}\0`;
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${e}/environ`, "latin1");
      if (`${env}\0`.includes(needle)) out.push(Number(e));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

/** SIGTERM to each agent's process group (the agent tears down its engines), SIGKILL after the grace. */
export async function stopAgents(agents: AgentProcess[], graceMs = 10_000): Promise<void> {
  const signal = (a: AgentProcess, sig: NodeJS.Signals) => {
    if (a.child.exitCode !== null || a.child.signalCode !== null || !a.child.pid) return;
    try {
      process.kill(-a.child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  for (const a of agents) signal(a, "SIGTERM");
  await Promise.race([Promise.all(agents.map((a) => a.exited)), new Promise((r) => setTimeout(r, graceMs))]);
  for (const a of agents) signal(a, "SIGKILL");
  await Promise.all(agents.map((a) => a.exited));
}

/** Kills whatever carries the marker still (engines orphaned by a killed agent); returns their pids. */
export function reapMarked(marker: string): number[] {
  const left = findMarkedProcesses(marker);
  for (const pid of left) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  return left;
}
