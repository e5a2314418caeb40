/**
 * A real Slurm cluster on this host, for tests and `benchfleet up --slurm`: its own munged (own key and socket), a slurmctld and
 * one `slurmd -N nodeK` per node, all from Debian's slurm-wlm 22.05 + munge, configured in a fresh
 * temp dir (../shared/reference/slurm-local-example.conf). Each node has its own loopback address
 * (NodeAddr 127.x.y.K), so processes of different "nodes" can listen on the same port, as on real
 * nodes. Commands reach it through `SLURM_CONF` (see `env`).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@benchfleet/shared";

export interface SlurmCluster {
  dir: string;
  conf: string;
  partition: string;
  /** node name → its address */
  nodes: Array<{ name: string; addr: string }>;
  /** environment for Slurm commands (and agents) talking to this cluster */
  env: Record<string, string>;
  /** runs a Slurm command against this cluster; returns stdout */
  cmd(bin: string, args: string[]): string;
  /** stops slurmctld (the nodes and their jobs keep running), for fault tests */
  stopController(): Promise<void>;
  /** starts slurmctld again from its saved state and waits until it answers */
  startController(): Promise<void>;
  /**
   * Cancels every job of the cluster and waits until its queue is empty (their steps are slurmstepd
   * processes, not children of slurmd), so the next test finds all nodes free. Throws if jobs remain.
   */
  cancelAll(): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function slurmInstalled(): boolean {
  return ["slurmctld", "slurmd", "munged", "sbatch", "srun"].every(
    (b) => spawnSync("sh", ["-c", `command -v ${b}`]).status === 0,
  );
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function kill(pid: number | undefined, signal: NodeJS.Signals = "SIGTERM"): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, signal);
  } catch {
    /* gone */
  }
}

const alive = (pid: number | undefined) => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export async function startSlurmCluster(
  o: {
    nodes?: number;
    partition?: string;
    cpus?: number;
    /** configure this many GPUs per node as GRES (counted only: there are no devices behind them) */
    gpus?: number;
  } = {},
): Promise<SlurmCluster> {
  if (!slurmInstalled())
    throw new Error("Slurm is not installed: run scripts/bootstrap.sh (installs slurm-wlm and munge from Debian)");
  const count = o.nodes ?? 3;
  const partition = o.partition ?? "gpu";
  const dir = mkdtempSync(join(tmpdir(), "bf-slurm-"));
  chmodSync(dir, 0o755);
  for (const d of ["munge", "state", "spool", "log"]) mkdirSync(join(dir, d));
  chmodSync(join(dir, "munge"), 0o700);
  const key = join(dir, "munge", "munge.key");
  writeFileSync(key, Buffer.from(Array.from({ length: 1024 }, () => Math.floor(Math.random() * 256))));
  chmodSync(key, 0o400);
  const sock = join(dir, "munge", "sock");
  execFileSync("munged", [
    "--force",
    `--key-file=${key}`,
    `--socket=${sock}`,
    `--pid-file=${join(dir, "munge", "munged.pid")}`,
    `--log-file=${join(dir, "munge", "munged.log")}`,
    `--seed-file=${join(dir, "munge", "seed")}`,
  ]);
  // a loopback /24 of its own, so clusters of test files running side by side never share addresses
  const net = `127.${10 + Math.floor(Math.random() * 240)}.${Math.floor(Math.random() * 250)}`;
  // Slurm matches SlurmctldHost and NodeHostname against the short hostname (`hostname -s`)
  const host = hostname().split(".")[0]!;
  const ctldPort = await freePort();
  const nodes = Array.from({ length: count }, (_, i) => ({ name: `node${i + 1}`, addr: `${net}.${i + 1}` }));
  const nodePorts: number[] = [];
  for (let i = 0; i < count; i++) nodePorts.push(await freePort());
  const conf = join(dir, "slurm.conf");
  writeFileSync(
    conf,
    [
      "ClusterName=bftest",
      `SlurmctldHost=${host}(127.0.0.1)`,
      "SlurmUser=root",
      `SlurmctldPort=${ctldPort}`,
      "AuthType=auth/munge",
      `AuthInfo=socket=${sock}`,
      "CredType=cred/munge",
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool/%n`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd-%n.pid`,
      `SlurmctldLogFile=${dir}/log/ctld.log`,
      `SlurmdLogFile=${dir}/log/slurmd-%n.log`,
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "SchedulerType=sched/backfill",
      "SelectType=select/cons_tres",
      "MpiDefault=none",
      ...(o.gpus ? ["GresTypes=gpu"] : []),
      "ReturnToService=2",
      // quick reaction to dead steps and nodes (defaults are minutes)
      "KillWait=5",
      "SlurmdTimeout=30",
      "MessageTimeout=5",
      ...nodes.map(
        (n, i) =>
          `NodeName=${n.name} NodeAddr=${n.addr} NodeHostname=${host} Port=${nodePorts[i]} CPUs=${o.cpus ?? 2} RealMemory=2000${o.gpus ? ` Gres=gpu:${o.gpus}` : ""} State=UNKNOWN`,
      ),
      `PartitionName=${partition} Nodes=node[1-${count}] Default=YES MaxTime=INFINITE State=UP`,
      "",
    ].join("\n"),
  );
  if (o.gpus) {
    // stand-in device files: Slurm's gpu plugin counts GPUs by their files
    mkdirSync(join(dir, "dev"));
    for (let g = 0; g < o.gpus; g++) writeFileSync(join(dir, "dev", `gpu${g}`), "");
    writeFileSync(join(dir, "gres.conf"), `AutoDetect=off\nName=gpu File=${dir}/dev/gpu[0-${o.gpus - 1}]\n`);
  }
  const env = { SLURM_CONF: conf };
  const cmd = (bin: string, args: string[]) =>
    execFileSync(bin, args, { env: { ...process.env, ...env }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const cluster: SlurmCluster = {
    dir,
    conf,
    partition,
    nodes,
    env,
    cmd,
    async stopController() {
      const pid = readPid(join(dir, "slurmctld.pid"));
      kill(pid);
      for (let i = 0; i < 100 && alive(pid); i++) await sleep(50);
    },
    async startController() {
      execFileSync("slurmctld", ["-f", conf], { env: { ...process.env, ...env } });
      for (let i = 0; ; i++) {
        if (spawnSync("squeue", ["-h"], { env: { ...process.env, ...env } }).status === 0) return;
        if (i > 150) throw new Error("slurmctld did not come back");
        await sleep(100);
      }
    },
    async cancelAll() {
      let left = "";
      for (let i = 0; i < 75; i++) {
        spawnSync("scancel", ["--partition", partition], { env: { ...process.env, ...env } });
        const q = spawnSync("squeue", ["-h", "-o", "%i %T"], { env: { ...process.env, ...env }, encoding: "utf8" });
        if (q.status !== 0) throw new Error(`squeue failed: ${q.stderr.trim()}`);
        left = q.stdout.trim();
        if (!left) return;
        await sleep(200);
      }
      throw new Error(`Slurm jobs still queued 15 s after scancel: ${left.replace(/\n/g, ", ")}`);
    },
    async stop() {
      // killing the daemons below ends whatever cancelAll could not (e.g. slurmctld already down)
      await cluster.cancelAll().catch(() => {});
      const pids = [
        readPid(join(dir, "slurmctld.pid")),
        ...nodes.map((n) => readPid(join(dir, `slurmd-${n.name}.pid`))),
        readPid(join(dir, "munge", "munged.pid")),
      ];
      for (const p of pids) kill(p);
      for (let i = 0; i < 50 && pids.some(alive); i++) await sleep(100);
      for (const p of pids) if (alive(p)) kill(p, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    execFileSync("slurmctld", ["-f", conf], { env: { ...process.env, ...env } });
    for (const n of nodes) execFileSync("slurmd", ["-f", conf, "-N", n.name], { env: { ...process.env, ...env } });
    for (let i = 0; ; i++) {
      const out = spawnSync("sinfo", ["-h", "-N", "-o", "%N %T"], {
        env: { ...process.env, ...env },
        encoding: "utf8",
      });
      const idle = (out.stdout ?? "").split("\n").filter((l) => / idle$/.test(l)).length;
      if (idle === count) break;
      if (i > 150) {
        const log = existsSync(join(dir, "log", "ctld.log")) ? readFileSync(join(dir, "log", "ctld.log"), "utf8") : "";
        throw new Error(`Slurm test cluster did not come up: sinfo: ${out.stdout}${out.stderr}\n${log.slice(-2000)}`);
      }
      await sleep(100);
    }
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
