/**
 * `pnpm bench:faults --seed S --faults N [--agents A] [--jobs J] [--per-sweep K] [--gang-pct P]
 * [--timeout-scale F] [--json]`: the randomized fault suite. Does the promise "nothing run twice, nothing lost, nobody blamed wrongly"
 * hold while things die at random moments?
 *
 * Real components: a private Redis with AOF (appendfsync everysec, as deploy/README.md prescribes),
 * the controller as its own process (`benchfleet controller start`), A emulated agents as their own
 * processes (`benchfleet agent start --emulate-sku h200`, engines on a compressed clock), each
 * connected through a TCP proxy in this process that can partition it (stop forwarding both ways
 * without closing either socket). Sweeps of J small jobs run one after another (P % of them 2-node
 * disaggregated gangs, so faults hit gang members: the ready barrier, one member killed, stopped or
 * partitioned); during each, K faults
 * are drawn from the seeded generator, one at a time at random moments: kill -9 of an agent, an
 * engine, the controller or Redis (each restarted after a random outage); SIGSTOP of an agent or of
 * the controller beyond the heartbeat timeout; drain then undrain of a busy node; a partition of an
 * agent (some beyond the heartbeat timeout). The same seed replays the same decisions (their timing
 * follows the machine).
 *
 * After each sweep it proves, from the results database (SQLite, read directly), the controller's
 * records and the agents' own logs:
 * - no point lost: every point an agent logged as delivered is stored under its attempt; a point the
 *   controller refused is one a newer attempt took over; a succeeded job has all its points;
 * - none duplicated: no (job, point) stored twice;
 * - no finished attempt re-run: no attempt its leader logged as succeeded has a later attempt, unless
 *   an agent-side fault (its agent killed, stopped or partitioned beyond the timeouts) cut it off;
 * - no job stuck: after its last fault the sweep never goes 240 s without progress (a job changing
 *   state or a point stored) before it ends;
 * - nobody blamed wrongly: every failure recorded against a node (and so every quarantine) coincides
 *   with an agent-side fault on that node (kill, stop, partition, engine kill); one that does not is
 *   reported with the controller-side faults in its window (if any) and the share of the attempt the
 *   host was CPU-starved (Linux PSI);
 * - no orphaned process: when the fleet is idle, and at the end, no engine marked by our agents lives.
 * Prints one outcome table (and JSON with --json); exits 1 when any promise was broken.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { createRequire } from "node:module";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RedisHandle, startRedis } from "@benchfleet/controller";
import { type Deployment, freePort } from "@benchfleet/shared";
import { TOKENS, testEnv } from "../tests/helpers/controller.js";
import { type ControllerProcess, spawnController } from "../tests/helpers/controller-process.js";
import { makeDeployment, twoNodeDisagg } from "../tests/helpers/deployments.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI_MAIN = join(ROOT, "cli/src/main.ts");
const Database = createRequire(join(ROOT, "controller/package.json"))("better-sqlite3") as new (
  file: string,
  o: { readonly: boolean; fileMustExist: boolean },
) => { prepare(sql: string): { all(...a: unknown[]): unknown[] }; close(): void };

// ---------------------------------------------------------------- arguments, seeded randomness

const args = process.argv.slice(2);
const num = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} needs a non-negative integer, got ${args[i + 1]}`);
  return v;
};
const SEED = num("--seed", 1);
const FAULTS = num("--faults", 20);
const AGENTS = Math.max(2, num("--agents", 4));
const JOBS = Math.max(1, num("--jobs", 6));
const PER_SWEEP = Math.max(1, num("--per-sweep", 5));
/** share of jobs that run on a 2-node gang (percent) */
const GANG_PCT = Math.min(100, num("--gang-pct", 25));
/**
 * Multiplies the controller's heartbeat timeout and grace periods: on a small, shared host the
 * agents' heartbeats miss a 5 s timeout when the host is starved. Default 2 on hosts with fewer
 * than 4 CPUs, else 1.
 */
const TIMEOUT_SCALE = Math.max(1, num("--timeout-scale", availableParallelism() < 4 ? 2 : 1));
const JSON_OUT = args.includes("--json");
/** keep the run's directory (logs, results DB, Redis AOF) even when every promise held */
const KEEP = args.includes("--keep");

/** mulberry32: a small seeded generator; every random decision of the run comes from it */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(SEED);
const between = (lo: number, hi: number) => Math.round(lo + rand() * (hi - lo));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// controller timings: short, so a fault beyond them is a few seconds
const HB_MS = 500;
const HB_TIMEOUT_MS = 5000 * TIMEOUT_SCALE;
const DISCONNECT_GRACE_MS = 5000 * TIMEOUT_SCALE;
const RECONNECT_GRACE_MS = 8000 * TIMEOUT_SCALE;
const AGENT_RECONNECT_MAX_MS = 2000;
const SWEEP_DEADLINE_MS = 240_000;

const root = mkdtempSync(join(tmpdir(), `bf-faults-${SEED}-`));
const say = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);

// ---------------------------------------------------------------- components

let redis: RedisHandle | undefined;
const redisPort = await freePort();
const redisDir = join(root, "redis");
async function startOurRedis(): Promise<void> {
  mkdirSync(redisDir, { recursive: true });
  redis = await startRedis({ dataDir: redisDir, port: redisPort });
}

const ctlPort = await freePort();
const ctlDataDir = join(root, "controller");
const ctlEnv: NodeJS.ProcessEnv = {
  ...testEnv(),
  REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  BENCHFLEET_KEY_PREFIX: `faults${SEED}`,
  BENCHFLEET_DATA_DIR: ctlDataDir,
  BENCHFLEET_PORT: String(ctlPort),
  BENCHFLEET_HEARTBEAT_INTERVAL_MS: String(HB_MS),
  BENCHFLEET_HEARTBEAT_TIMEOUT_MS: String(HB_TIMEOUT_MS),
  BENCHFLEET_DISCONNECT_GRACE_MS: String(DISCONNECT_GRACE_MS),
  BENCHFLEET_RECONNECT_GRACE_MS: String(RECONNECT_GRACE_MS),
  BENCHFLEET_AGENT_RECONNECT_MAX_MS: String(AGENT_RECONNECT_MAX_MS),
  BENCHFLEET_LOCK_DURATION_MS: "20000",
  BENCHFLEET_STALLED_INTERVAL_MS: "5000",
  BENCHFLEET_DISPATCH_INTERVAL_MS: "250",
  BENCHFLEET_BACKOFF_MS: "500",
  BENCHFLEET_JOB_ATTEMPTS: "8",
  BENCHFLEET_QUARANTINE_K: "2",
  BENCHFLEET_QUARANTINE_WINDOW_MS: "30000",
  BENCHFLEET_EXCLUSION_BACKOFF_MS: "4000",
  BENCHFLEET_REDIS_STARTUP_TIMEOUT_MS: "60000",
};
let ctl: ControllerProcess | undefined;
const ctlUrl = `http://127.0.0.1:${ctlPort}`;
/** a controller (re)start through tsx takes minutes on a starved host: the suite waits, then gives up */
const CTL_START_MS = 300_000;
async function startCtl(): Promise<void> {
  const t = Date.now();
  ctl = await spawnController(ctlEnv, CTL_START_MS);
  ctlStarts.push(Date.now() - t);
}
/** how long each controller start took (ms) */
const ctlStarts: number[] = [];
/** the controller's own output (warnings and errors), kept across its restarts */
function saveCtlLog(): void {
  if (ctl) appendFileSync(join(root, "controller.log"), ctl.output());
}

/** A TCP proxy in front of the controller for one agent: `partitioned` holds every byte both ways. */
class PartitionProxy {
  port = 0;
  partitioned = false;
  private server: Server | undefined;
  private readonly pairs = new Set<{ a: Socket; c: Socket; held: Array<[Socket, Buffer]>; deadSide?: Socket }>();

  async start(): Promise<void> {
    this.server = createServer((a) => {
      const c = tcpConnect(ctlPort, "127.0.0.1");
      const pair = { a, c, held: [] as Array<[Socket, Buffer]>, deadSide: undefined as Socket | undefined };
      this.pairs.add(pair);
      const forward = (to: Socket) => (b: Buffer) => {
        if (this.partitioned) pair.held.push([to, b]);
        else to.write(b);
      };
      a.on("data", forward(c));
      c.on("data", forward(a));
      const end = (side: Socket, other: Socket) => () => {
        // a close does not cross a partition: the other side learns of it when the partition heals
        if (this.partitioned) pair.deadSide ??= side;
        else {
          other.destroy();
          this.pairs.delete(pair);
        }
      };
      a.on("close", end(a, c));
      c.on("close", end(c, a));
      a.on("error", () => {});
      c.on("error", () => {});
    });
    this.port = await new Promise<number>((resolve) => {
      this.server!.listen(0, "127.0.0.1", () => {
        const addr = this.server!.address();
        resolve(typeof addr === "object" && addr ? addr.port : 0);
      });
    });
  }

  heal(): void {
    this.partitioned = false;
    for (const p of [...this.pairs]) {
      if (p.deadSide) {
        (p.deadSide === p.a ? p.c : p.a).destroy();
        this.pairs.delete(p);
        continue;
      }
      for (const [to, b] of p.held.splice(0)) if (!to.destroyed) to.write(b);
    }
  }

  close(): void {
    for (const p of this.pairs) {
      p.a.destroy();
      p.c.destroy();
    }
    this.server?.close();
  }
}

interface AgentProc {
  id: string;
  ip: string;
  dataDir: string;
  logFile: string;
  proxy: PartitionProxy;
  child?: ChildProcess;
  exited?: Promise<void>;
}
const agents: AgentProc[] = [];
const ipNet = 20 + (SEED % 200);

function startAgentProc(a: AgentProc): void {
  const fd = openSync(a.logFile, "a");
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
      `ws://127.0.0.1:${a.proxy.port}`,
      "--token",
      TOKENS.enrol,
      "--agent-id",
      a.id,
      "--domain",
      "d1",
      "--emulate-sku",
      "h200",
      "--emulate-gpus",
      "8",
      "--emulate-ip",
      a.ip,
      "--time-scale",
      "0.02",
      "--reconnect-max-ms",
      String(AGENT_RECONNECT_MAX_MS),
      "--data-dir",
      a.dataDir,
    ],
    { cwd: ROOT, stdio: ["ignore", fd, fd] },
  );
  closeSync(fd);
  a.child = child;
  a.exited = new Promise((r) => child.once("exit", () => r()));
}

// ---------------------------------------------------------------- the controller's API

async function api<T = any>(method: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`${ctlUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${TOKENS.admin}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await r.text();
      if (r.status >= 500 || r.status === 0) throw new Error(`${r.status} ${text.slice(0, 200)}`);
      return JSON.parse(text) as T;
    } catch (e) {
      // the controller or Redis is being restarted by a fault: try again
      if (Date.now() > deadline) throw new Error(`${method} ${path}: ${(e as Error).message}`);
      await sleep(300);
    }
  }
}

interface NodeView {
  id: string;
  state: string;
  adminState: string;
  attemptId?: string;
}
interface JobView {
  jobId: string;
  status: string;
  pointsTotal: number;
  lastError?: string;
  attempts: Array<{
    attemptId: string;
    attemptNumber: number;
    state: string;
    reason?: string;
    failureKind?: string;
    gang: Array<{ agentId: string; rank: number }>;
    startedAtMs: number;
    finishedAtMs?: number;
  }>;
}

// ---------------------------------------------------------------- faults

const FAULT_KINDS = [
  "kill-agent",
  "kill-engine",
  "kill-controller",
  "kill-redis",
  "stop-agent",
  "stop-controller",
  "drain",
  "partition",
] as const;
type FaultKind = (typeof FAULT_KINDS)[number];
const AGENT_SIDE: ReadonlySet<FaultKind> = new Set(["kill-agent", "kill-engine", "stop-agent", "partition"]);

interface Fault {
  n: number;
  kind: FaultKind;
  target?: string;
  durationMs: number;
  startedAt: number;
  endedAt: number;
  note?: string;
}
const faults: Fault[] = [];

/** processes carrying our agents' engine marker: pid → agent id */
function markedProcesses(): Map<number, string> {
  const out = new Map<number, string>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    let env: string;
    try {
      env = readFileSync(`/proc/${d}/environ`, "latin1");
    } catch {
      continue;
    }
    const m = /BENCHFLEET_AGENT_MARK=([^:\0]+):/.exec(env);
    if (m && agents.some((a) => a.id === m[1])) out.set(Number(d), m[1]!);
  }
  return out;
}

async function busyAgent(): Promise<AgentProc> {
  const nodes = await api<NodeView[] | { items: NodeView[] }>("GET", "/api/v1/nodes");
  const list = Array.isArray(nodes) ? nodes : nodes.items;
  const busy = agents.filter((a) => list.some((n) => n.id === a.id && n.attemptId));
  return pick(busy.length ? busy : agents);
}

async function inject(kind: FaultKind, n: number): Promise<Fault> {
  const f: Fault = { n, kind, durationMs: 0, startedAt: Date.now(), endedAt: 0 };
  switch (kind) {
    case "kill-agent": {
      const a = await busyAgent();
      f.target = a.id;
      f.durationMs = between(300, 4000);
      a.child?.kill("SIGKILL");
      await a.exited;
      await sleep(f.durationMs);
      startAgentProc(a);
      break;
    }
    case "kill-engine": {
      const a = await busyAgent();
      f.target = a.id;
      const pids = [...markedProcesses()].filter(([, id]) => id === a.id).map(([pid]) => pid);
      if (pids.length === 0) f.note = "no engine running";
      else {
        const pid = pick(pids.sort((x, y) => x - y));
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          f.note = "engine already gone";
        }
      }
      break;
    }
    case "kill-controller":
      f.durationMs = between(300, 5000);
      await ctl?.kill("SIGKILL");
      saveCtlLog();
      await sleep(f.durationMs);
      await startCtl();
      break;
    case "kill-redis":
      f.durationMs = between(300, 5000);
      if (redis) process.kill(redis.pid, "SIGKILL");
      await sleep(f.durationMs);
      await startOurRedis();
      break;
    case "stop-agent": {
      const a = await busyAgent();
      f.target = a.id;
      f.durationMs = between(HB_TIMEOUT_MS + 500, HB_TIMEOUT_MS + 3000);
      a.child?.kill("SIGSTOP");
      await sleep(f.durationMs);
      a.child?.kill("SIGCONT");
      break;
    }
    case "stop-controller":
      f.durationMs = between(HB_TIMEOUT_MS + 500, HB_TIMEOUT_MS + 3000);
      ctl?.child.kill("SIGSTOP");
      await sleep(f.durationMs);
      ctl?.child.kill("SIGCONT");
      break;
    case "drain": {
      const a = await busyAgent();
      f.target = a.id;
      f.durationMs = between(1000, 8000);
      await api("POST", `/api/v1/nodes/${a.id}/drain`, { reason: `fault ${n}` });
      await sleep(f.durationMs);
      await api("POST", `/api/v1/nodes/${a.id}/undrain`).catch(() => {});
      break;
    }
    case "partition": {
      const a = await busyAgent();
      f.target = a.id;
      f.durationMs = between(500, HB_TIMEOUT_MS + 3000);
      a.proxy.partitioned = true;
      await sleep(f.durationMs);
      a.proxy.heal();
      break;
    }
  }
  f.endedAt = Date.now();
  return f;
}

// ---------------------------------------------------------------- work

/** one job of a sweep: mostly 1-node vLLM with 1–3 points, some 2-node disaggregated SGLang gangs */
function deployment(sweep: number, j: number): Deployment {
  const seed = `faults-${SEED}-${sweep}-${j}`;
  if (rand() * 100 < GANG_PCT) {
    return twoNodeDisagg(seed, { osl: 32 });
  }
  const concs = [1, 2, 4, 8];
  const k = between(1, 3);
  const points = [...new Set(Array.from({ length: k }, () => pick(concs)))].map((c) => ({
    concurrency: c,
    isl: 128,
    osl: 32,
  }));
  return {
    ...makeDeployment({ seed, sku: "h200", points, phaseTimeoutS: 60 }),
    model: "meta-llama/Llama-3.1-8B-Instruct",
    modelPrefix: "llama3-8b",
    framework: "vllm",
    isl: 128,
    osl: 32,
    promptsPerConc: 2,
  };
}

// ---------------------------------------------------------------- checks

interface Tally {
  sweeps: number;
  jobs: number;
  jobsSucceeded: number;
  jobsFailed: number;
  pointsStored: number;
  pointsDelivered: number;
  pointsLost: number;
  pointsDuplicated: number;
  finishedRerun: number;
  rerunAfterAgentFault: number;
  jobsStuck: number;
  blames: number;
  wrongfulBlames: number;
  /** of the wrongful blames: those in the window of a controller-side fault (controller, Redis, drain) */
  blamesInControllerFault: number;
  quarantines: number;
  wrongfulQuarantines: number;
  orphans: number;
}
const tally: Tally = {
  sweeps: 0,
  jobs: 0,
  jobsSucceeded: 0,
  jobsFailed: 0,
  pointsStored: 0,
  pointsDelivered: 0,
  pointsLost: 0,
  pointsDuplicated: 0,
  finishedRerun: 0,
  rerunAfterAgentFault: 0,
  jobsStuck: 0,
  blames: 0,
  wrongfulBlames: 0,
  blamesInControllerFault: 0,
  quarantines: 0,
  wrongfulQuarantines: 0,
  orphans: 0,
};
const problems: string[] = [];
const problem = (line: string) => {
  problems.push(line);
  say(`PROBLEM: ${line}`);
};

const safeId = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");

/** the controller-side faults (controller, Redis, drain of `node`) that overlap [from, to] */
function controllerFaultsNear(node: string, from: number, to: number): Fault[] {
  return faults.filter(
    (f) =>
      !AGENT_SIDE.has(f.kind) &&
      (f.target === undefined || f.target === node) &&
      f.startedAt <= to &&
      f.endedAt >= from,
  );
}

/** the host's CPU stall total (Linux PSI `some`, ms) sampled every 2 s: [epoch ms, stall ms] */
const stallSamples: Array<[number, number]> = [];
const stallTimer = setInterval(() => {
  try {
    const m = /^some\b.*\btotal=(\d+)/m.exec(readFileSync("/proc/pressure/cpu", "utf8"));
    if (m) stallSamples.push([Date.now(), Number(m[1]) / 1000]);
  } catch {
    /* no pressure information on this kernel */
  }
}, 2000);
stallTimer.unref();
/** share of [from, to] during which the host had tasks waiting for a CPU, or undefined */
function hostStallShare(from: number, to: number): number | undefined {
  const a = stallSamples.find(([t]) => t >= from);
  const b = stallSamples.findLast(([t]) => t <= to);
  if (!a || !b || b[0] - a[0] < 2000) return undefined;
  return (b[1] - a[1]) / (b[0] - a[0]);
}

/** the agent-side faults on `node` that overlap [from, to] */
function agentFaultsOn(node: string, from: number, to: number): Fault[] {
  return faults.filter((f) => AGENT_SIDE.has(f.kind) && f.target === node && f.startedAt <= to && f.endedAt >= from);
}

interface AgentLog {
  delivered: Set<string>;
  rejected: Array<{ msgId: string; reason: string }>;
  /** attempts this agent led (rank 0) that it logged as succeeded */
  ledSucceeded: Set<string>;
}
function readAgentLogs(): AgentLog {
  const out: AgentLog = { delivered: new Set(), rejected: [], ledSucceeded: new Set() };
  for (const a of agents) {
    const text = readFileSync(a.logFile, "utf8");
    const leader = new Set<string>();
    for (const line of text.split("\n")) {
      let m = /protocol: delivered (\S+)/.exec(line);
      if (m) out.delivered.add(m[1]!);
      m = /protocol: controller rejected (\S+): (.*)$/.exec(line);
      if (m) out.rejected.push({ msgId: m[1]!, reason: m[2]! });
      m = /attempt (\S+) of job \S+: rank 0 of/.exec(line);
      if (m) leader.add(m[1]!);
      m = /attempt (\S+) succeeded$/.exec(line);
      if (m && leader.has(m[1]!)) out.ledSucceeded.add(m[1]!);
    }
  }
  return out;
}

async function verifySweep(sweepId: string, finished: boolean): Promise<void> {
  const jobs: JobView[] = [];
  const list = await api<{ items: Array<{ jobId: string }> }>("GET", `/api/v1/jobs?sweep=${sweepId}&limit=500`);
  for (const j of list.items) jobs.push(await api<JobView>("GET", `/api/v1/jobs/${j.jobId}`));
  const db = new Database(join(ctlDataDir, "results.sqlite"), { readonly: true, fileMustExist: true });
  const rows = db
    .prepare("SELECT job_id, point_key, attempt_id FROM point_results WHERE sweep_id = ?")
    .all(sweepId) as Array<{
    job_id: string;
    point_key: string;
    attempt_id: string;
  }>;
  db.close();
  const stored = new Set(rows.map((r) => `${safeId(r.attempt_id)}.${r.point_key}`));
  const perJobPoint = new Map<string, number>();
  for (const r of rows)
    perJobPoint.set(`${r.job_id} ${r.point_key}`, (perJobPoint.get(`${r.job_id} ${r.point_key}`) ?? 0) + 1);
  tally.sweeps++;
  tally.jobs += jobs.length;
  tally.pointsStored += rows.length;
  for (const [k, n] of perJobPoint)
    if (n > 1) {
      tally.pointsDuplicated += n - 1;
      problem(`duplicated: ${k} stored ${n} times`);
    }
  const logs = readAgentLogs();
  const attemptsOfSweep = new Map<string, JobView>();
  for (const j of jobs) for (const a of j.attempts) attemptsOfSweep.set(safeId(a.attemptId), j);
  // every point an agent logged as delivered is stored under its attempt
  for (const msgId of logs.delivered) {
    const m = /^(.*)\.(c\d+-i\d+-o\d+)$/.exec(msgId);
    if (!m || !attemptsOfSweep.has(m[1]!)) continue;
    tally.pointsDelivered++;
    if (!stored.has(msgId)) {
      tally.pointsLost++;
      problem(`lost: ${msgId} was acknowledged but is not stored`);
    }
  }
  for (const r of logs.rejected) {
    const m = /^(.*)\.(c\d+-i\d+-o\d+)$/.exec(r.msgId);
    if (!m) continue;
    const job = attemptsOfSweep.get(m[1]!);
    if (!job) continue;
    const own = job.attempts.find((a) => safeId(a.attemptId) === m[1]);
    const newer = job.attempts.some((a) => own && a.attemptNumber > own.attemptNumber);
    if (!/superseded/.test(r.reason) || !newer) {
      tally.pointsLost++;
      problem(`lost: ${r.msgId} refused (${r.reason}) with no newer attempt to take it over`);
    }
  }
  for (const j of jobs) {
    if (j.status === "succeeded") {
      tally.jobsSucceeded++;
      const have = [...perJobPoint.keys()].filter((k) => k.startsWith(`${j.jobId} `)).length;
      if (have !== j.pointsTotal) {
        tally.pointsLost += j.pointsTotal - have;
        problem(`lost: job ${j.jobId} succeeded with ${have} of ${j.pointsTotal} points stored`);
      }
    } else if (j.status === "failed" || j.status === "cancelled") {
      tally.jobsFailed++;
      say(`job ${j.jobId} ${j.status}: ${j.lastError}`);
    } else {
      tally.jobsStuck++;
      problem(`stuck: job ${j.jobId} still ${j.status}; its sweep made no progress for ${SWEEP_DEADLINE_MS / 1000} s`);
    }
    for (const a of j.attempts) {
      if (!logs.ledSucceeded.has(a.attemptId)) continue;
      const later = j.attempts.filter((b) => b.attemptNumber > a.attemptNumber);
      if (later.length === 0) continue;
      const cut = a.gang.some((m) => agentFaultsOn(m.agentId, a.startedAtMs, a.finishedAtMs ?? Date.now()).length > 0);
      if (cut) tally.rerunAfterAgentFault++;
      else {
        tally.finishedRerun++;
        problem(
          `re-run: ${a.attemptId} finished on its agent but the job ran again (${later.map((b) => b.attemptId).join(", ")}); it failed: ${a.reason}`,
        );
      }
    }
  }
  if (!finished) problem(`sweep ${sweepId} did not end`);
}

async function verifyBlame(): Promise<void> {
  const nodes = await api<NodeView[] | { items: NodeView[] }>("GET", "/api/v1/nodes");
  const list = Array.isArray(nodes) ? nodes : nodes.items;
  for (const n of list) {
    const detail = await api<
      NodeView & { failures: Array<{ jobId: string; attemptId?: string; at: number; reason: string }> }
    >("GET", `/api/v1/nodes/${n.id}`);
    let wrongful = false;
    for (const f of detail.failures) {
      if (seenBlames.has(`${n.id} ${f.attemptId} ${f.at}`)) continue;
      seenBlames.add(`${n.id} ${f.attemptId} ${f.at}`);
      tally.blames++;
      const job = await api<JobView>("GET", `/api/v1/jobs/${f.jobId}`);
      const att = job.attempts.find((a) => a.attemptId === f.attemptId);
      const from = att?.startedAtMs ?? f.at - 60_000;
      if (agentFaultsOn(n.id, from - 1000, f.at + 1000).length === 0) {
        wrongful = true;
        tally.wrongfulBlames++;
        const ctlFaults = controllerFaultsNear(n.id, from - 1000, f.at + 1000);
        if (ctlFaults.length) tally.blamesInControllerFault++;
        const share = hostStallShare(from, f.at);
        const during = ctlFaults.length
          ? `during ${ctlFaults.map((x) => `fault ${x.n} ${x.kind}`).join(", ")}`
          : "with no fault in its window";
        const load = share === undefined ? "" : `; host CPU-starved ${(share * 100).toFixed(0)} % of the attempt`;
        problem(`blamed wrongly: ${n.id} for ${f.attemptId ?? f.jobId} ${during}: ${f.reason}${load}`);
      }
    }
    if (detail.adminState === "quarantine") {
      tally.quarantines++;
      if (wrongful) tally.wrongfulQuarantines++;
      await api("POST", `/api/v1/nodes/${n.id}/release`);
    }
  }
}
const seenBlames = new Set<string>();

async function checkOrphans(when: string): Promise<void> {
  const nodes = await api<NodeView[] | { items: NodeView[] }>("GET", "/api/v1/nodes");
  const list = Array.isArray(nodes) ? nodes : nodes.items;
  // an agent still starting after a kill has not reaped its predecessor's engines yet: only a
  // registered, idle agent's engines count
  const idle = new Set(list.filter((n) => n.state === "idle").map((n) => n.id));
  await sleep(1500);
  for (const [pid, id] of markedProcesses()) {
    if (!idle.has(id)) continue;
    tally.orphans++;
    problem(`orphan ${when}: pid ${pid} of ${id} lives while its agent is idle`);
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
}

// ---------------------------------------------------------------- the run

/** stops everything this run started (also on SIGINT/SIGTERM, so an interrupted run leaves nothing) */
async function cleanup(): Promise<void> {
  for (const a of agents) {
    a.child?.kill("SIGCONT");
    a.child?.kill("SIGKILL");
    a.proxy.close();
  }
  for (const pid of markedProcesses().keys())
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  ctl?.child.kill("SIGCONT");
  await ctl?.kill("SIGKILL").catch(() => {});
  saveCtlLog();
  await redis?.stop().catch(() => {});
}
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.once(sig, () => {
    say(`${sig}: stopping; data kept in ${root}`);
    void cleanup().finally(() => process.exit(130));
  });

const t0 = Date.now();
let exitCode = 0;
try {
  await startOurRedis();
  await startCtl();
  for (let i = 0; i < AGENTS; i++) {
    const proxy = new PartitionProxy();
    await proxy.start();
    const a: AgentProc = {
      id: `fa${SEED}-${i}`,
      ip: `127.${ipNet}.0.${10 + i}`,
      dataDir: join(root, `agent-${i}`),
      logFile: join(root, `agent-${i}.log`),
      proxy,
    };
    agents.push(a);
    startAgentProc(a);
  }
  const deadline = Date.now() + 120_000;
  for (;;) {
    const nodes = await api<NodeView[] | { items: NodeView[] }>("GET", "/api/v1/nodes");
    const list = Array.isArray(nodes) ? nodes : nodes.items;
    if (list.filter((n) => n.state === "idle").length === AGENTS) break;
    if (Date.now() > deadline)
      throw new Error(`agents did not register: ${JSON.stringify(list.map((n) => [n.id, n.state]))}`);
    await sleep(500);
  }
  say(`seed ${SEED}: timeouts ×${TIMEOUT_SCALE} (heartbeat ${HB_TIMEOUT_MS} ms), ${GANG_PCT} % 2-node gangs`);
  say(`seed ${SEED}: ${AGENTS} agents up in ${((Date.now() - t0) / 1000).toFixed(1)} s; data in ${root}`);
  let sweep = 0;
  while (faults.length < FAULTS) {
    const deployments = Array.from({ length: JOBS }, (_, j) => deployment(sweep, j));
    const created = await api<{ sweepId: string }>("POST", "/api/v1/sweeps", {
      name: `faults-${SEED}-${sweep}`,
      deployments,
    });
    const sweepId = created.sweepId;
    const k = Math.min(PER_SWEEP, FAULTS - faults.length);
    let ended = false;
    for (let i = 0; i < k; i++) {
      await sleep(between(300, 4000));
      const s = await api<{ status: string }>("GET", `/api/v1/sweeps/${sweepId}`);
      if (["succeeded", "failed", "cancelled"].includes(s.status)) {
        ended = true;
        break;
      }
      const kind = pick(FAULT_KINDS);
      const f = await inject(kind, faults.length + 1);
      faults.push(f);
      say(`fault ${f.n} ${f.kind}${f.target ? ` ${f.target}` : ""} ${f.durationMs} ms${f.note ? ` (${f.note})` : ""}`);
    }
    // a job is stuck when its sweep makes no progress (no job changes state, no point is stored)
    // for SWEEP_DEADLINE_MS after the last fault: on a starved host queued jobs may start late
    let until = Date.now() + SWEEP_DEADLINE_MS;
    let progress = "";
    while (!ended && Date.now() < until) {
      const s = await api<{ status: string; counts?: unknown; pointsDone?: number }>(
        "GET",
        `/api/v1/sweeps/${sweepId}`,
      );
      ended = ["succeeded", "failed", "cancelled"].includes(s.status);
      const now = JSON.stringify([s.counts, s.pointsDone]);
      if (now !== progress) {
        progress = now;
        until = Date.now() + SWEEP_DEADLINE_MS;
      }
      if (!ended) await sleep(500);
    }
    // the agents' last acks and teardowns settle
    await sleep(1500);
    await verifySweep(sweepId, ended);
    await verifyBlame();
    await checkOrphans(`after sweep ${sweep}`);
    say(`sweep ${sweep} ${ended ? "ended" : "DID NOT END"}; faults so far ${faults.length}; ${JSON.stringify(tally)}`);
    say(`controller starts so far took ${ctlStarts.map((ms) => (ms / 1000).toFixed(0)).join(", ")} s`);
    sweep++;
  }
  // everything stops the way an operator stops it, once every agent is back (a restarted one reaps
  // its predecessor's engines when it starts); nothing of our agents may be left running
  const backBy = Date.now() + 120_000;
  while (Date.now() < backBy) {
    const nodes = await api<NodeView[] | { items: NodeView[] }>("GET", "/api/v1/nodes");
    const list = Array.isArray(nodes) ? nodes : nodes.items;
    if (list.filter((n) => n.state === "idle").length === AGENTS) break;
    await sleep(1000);
  }
  for (const a of agents) a.child?.kill("SIGTERM");
  await Promise.race([Promise.all(agents.map((a) => a.exited)), sleep(30_000)]);
  await sleep(1000);
  for (const [pid, id] of markedProcesses()) {
    tally.orphans++;
    problem(`orphan at the end: pid ${pid} of ${id}`);
  }
} catch (e) {
  problem(`run aborted: ${(e as Error).stack ?? e}`);
} finally {
  await cleanup();
}

const byKind = Object.fromEntries(FAULT_KINDS.map((k) => [k, faults.filter((f) => f.kind === k).length]));
const wallS = Math.round((Date.now() - t0) / 1000);
const broken =
  tally.pointsLost +
  tally.pointsDuplicated +
  tally.finishedRerun +
  tally.jobsStuck +
  tally.wrongfulBlames +
  tally.wrongfulQuarantines +
  tally.orphans;
if (JSON_OUT)
  process.stdout.write(
    `${JSON.stringify({ seed: SEED, faults: faults.length, byKind, tally, problems, wallS, ctlStarts }, null, 2)}\n`,
  );
else {
  const row = (k: string, v: number | string) => `| ${k.padEnd(44)} | ${String(v).padStart(6)} |\n`;
  let out = `seed ${SEED}: ${faults.length} faults over ${tally.sweeps} sweeps, ${AGENTS} agents, ${wallS} s\n\n`;
  out += `| ${"".padEnd(44)} | ${"".padStart(6)} |\n|${"-".repeat(46)}|${"-".repeat(8)}:|\n`;
  for (const k of FAULT_KINDS) out += row(`faults: ${k}`, byKind[k]!);
  out += row("jobs (succeeded / failed)", `${tally.jobsSucceeded}/${tally.jobsFailed}`);
  out += row("points stored", tally.pointsStored);
  out += row("points the agents logged as delivered", tally.pointsDelivered);
  out += row("points lost", tally.pointsLost);
  out += row("points duplicated", tally.pointsDuplicated);
  out += row("finished attempts re-run", tally.finishedRerun);
  out += row("re-runs after an agent-side fault cut it off", tally.rerunAfterAgentFault);
  out += row("jobs stuck", tally.jobsStuck);
  out += row("failures blamed on nodes (all explained)", tally.blames - tally.wrongfulBlames);
  out += row("wrongful blames", tally.wrongfulBlames);
  out += row("of which during a controller-side fault", tally.blamesInControllerFault);
  out += row("quarantines (wrongful)", `${tally.quarantines} (${tally.wrongfulQuarantines})`);
  out += row("orphaned processes", tally.orphans);
  process.stdout.write(out);
  if (problems.length) process.stdout.write(`\nproblems:\n${problems.map((p) => `- ${p}`).join("\n")}\n`);
}
if (broken > 0 || problems.length > 0) exitCode = 1;
if (exitCode === 0 && !KEEP) rmSync(root, { recursive: true, force: true });
else say(`kept ${root} for inspection (replay: pnpm bench:faults --seed ${SEED} --faults ${FAULTS})`);
process.exit(exitCode);
