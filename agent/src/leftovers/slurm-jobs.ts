/**
 * Reaping for a Slurm-mode agent: the allocations its previous incarnation submitted carry the
 * agent's marker as their job comment (`sbatch --comment`), so a restarted agent finds them with
 * squeue and cancels them (and only them) before it claims work. The time limit of every
 * allocation ends them anyway; this gives the nodes back at once.
 */
import { execa } from "execa";
import { markedJobs } from "../launchers/slurm-args.js";
import type { ReapFailure } from "./reaper.js";

export async function reapSlurmJobs(o: {
  prefix: string;
  env?: Record<string, string>;
  log: (line: string) => void;
}): Promise<{ reaped: string[]; failures: ReapFailure[] }> {
  const env = { ...process.env, ...o.env };
  const q = await execa("squeue", ["-h", "-o", "%i|%k"], { env, reject: false });
  if (q.exitCode !== 0) {
    const why = `${q.stderr || q.shortMessage}`.trim().split("\n").pop() ?? "";
    return { reaped: [], failures: [{ what: "Slurm jobs of a previous run", why: `squeue failed: ${why}`, pids: [] }] };
  }
  const reaped: string[] = [];
  const failures: ReapFailure[] = [];
  for (const j of markedJobs(String(q.stdout), o.prefix)) {
    const r = await execa("scancel", [j.jobId], { env, reject: false });
    const what = `Slurm job ${j.jobId} (attempt ${j.attemptId})`;
    if (r.exitCode === 0) {
      reaped.push(`cancelled ${what}`);
      o.log(`leftovers: cancelled ${what} left by the previous run`);
    } else failures.push({ what, why: `scancel failed: ${String(r.stderr).trim()}`, pids: [] });
  }
  return { reaped, failures };
}
