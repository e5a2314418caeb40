/**
 * What a Slurm-mode agent stands for: its partition's nodes (from `sinfo`), their GPUs per node
 * (from Gres), and whether the partition can take a job now (its health in heartbeats).
 */
import { execa } from "execa";
import { nodeUnusable, parseSinfoNodes } from "../launchers/slurm-args.js";

export interface PartitionInfo {
  partition: string;
  nodes: Array<{ name: string; gpus: number; state: string }>;
  /** most GPUs a node of the partition has by its Gres; 0 when none is configured */
  gpusPerNode: number;
  /** why the partition cannot take a job now (empty when it can) */
  problems: string[];
}

export async function discoverPartition(partition: string, env: Record<string, string> = {}): Promise<PartitionInfo> {
  // sinfo retries for a minute when its config cannot be read: bound it
  const run = (args: string[]) =>
    execa("sinfo", args, { env: { ...process.env, ...env }, reject: false, timeout: 15_000 });
  const r = await run(["-h", "-N", "-p", partition, "-o", "%N|%G|%T"]);
  if (r.exitCode !== 0 || r.failed) {
    const why = [r.timedOut ? "no answer in 15 s" : "", `${r.stderr || r.shortMessage}`.trim().split("\n").pop()]
      .filter(Boolean)
      .join(": ");
    return { partition, nodes: [], gpusPerNode: 0, problems: [`sinfo for partition ${partition} failed: ${why}`] };
  }
  const nodes = parseSinfoNodes(String(r.stdout));
  const problems: string[] = [];
  if (nodes.length === 0) problems.push(`Slurm partition ${partition} does not exist or has no nodes`);
  else {
    const avail = await run(["-h", "-p", partition, "-o", "%a"]);
    if (/\b(down|drain|inact)/i.test(String(avail.stdout)))
      problems.push(`Slurm partition ${partition} is ${String(avail.stdout).trim()}`);
    if (nodes.every((n) => nodeUnusable(n.state)))
      problems.push(
        `no node of Slurm partition ${partition} can take a job (${nodes.map((n) => `${n.name} ${n.state}`).join(", ")})`,
      );
  }
  return { partition, nodes, gpusPerNode: Math.max(0, ...nodes.map((n) => n.gpus)), problems };
}
