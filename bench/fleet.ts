/**
 * `pnpm bench:fleet [--agents N] [--jobs M] [--heartbeat-ms H] [--subscribers S] [--json]`: does the
 * controller hold a lab's fleet? A real controller (its own process, production timings, private
 * Redis, SQLite results) and N protocol agents over real WebSockets in this process: 8-GPU nodes of
 * four SKUs in fabrics of 32, and GB200 nodes (4 GPUs) in NVL72 racks of 18. Each agent says hello,
 * heartbeats with GPU telemetry every H ms (phases spread over the interval), and plays every
 * assignment through (phases, logs, ready, gang barrier, two point results with acks, finished).
 * S dashboard-like event subscribers follow `fleet`, `sweeps` and every sweep. M jobs (single-node;
 * GB200 also gangs of 2 and 4 nodes in one rack) are submitted as sweeps of 500; the run ends when
 * all succeeded.
 *
 * Reports: time to register N agents; controller CPU/RSS while idle (heartbeats only, then with the
 * subscribers: CPU per heartbeat, telemetry fan-out); submission time; submission → all assigned /
 * all finished; jobs/s and results/s; controller CPU per job and peak RSS; dispatch round wall time
 * and allocator time p50/p99 (from the controller's histograms in /api/v1/status); event fan-out
 * (messages/s and MB/s received by the subscribers); latency of GET /api/v1/jobs (one sweep, and the
 * whole fleet's queued/running jobs), /api/v1/nodes and /api/v1/status under load.
 * `BENCH_CPU_PROF=dir`: a CPU profile of the controller, written when it exits.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type HistogramSnapshot, quantileBetween, startRedis } from "@benchfleet/controller";
import type { Deployment, SkuName, Telemetry } from "@benchfleet/shared";
import { freePort } from "@benchfleet/shared";
import { WebSocket } from "ws";
import { TOKENS, testEnv } from "../tests/helpers/controller.js";
import { makeDeployment } from "../tests/helpers/deployments.js";
import { ProtocolAgent, type ProtocolAgentOptions } from "../tests/helpers/protocol-agent.js";

const args = process.argv.slice(2);
const num = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} needs a non-negative number, got ${args[i + 1]}`);
  return v;
};
const N = num("--agents", 250);
const M = num("--jobs", 5000);
if (N < 1 || M < 1) throw new Error("--agents and --jobs need at least 1");
const HB = num("--heartbeat-ms", 5000);
const S = num("--subscribers", 4);
const JSON_OUT = args.includes("--json");
const SWEEP_SIZE = 500;
const EIGHT_GPU: SkuName[] = ["h100", "h200", "b200", "mi300x"];

// ---------------------------------------------------------------- fleet shape

interface NodeSpec {
  id: string;
  sku: SkuName;
  gpus: number;
  domain: string;
}
/** One in five agents is a GB200 node (racks of 18 × 4 GPUs); the rest 8-GPU nodes in fabrics of 32. */
function fleet(n: number): NodeSpec[] {
  const gb = Math.round(n / 5);
  const out: NodeSpec[] = [];
  for (let i = 0; i < gb; i++)
    out.push({ id: `gb200-${i}`, sku: "gb200", gpus: 4, domain: `nvl72-${Math.floor(i / 18)}` });
  const perSku = new Map<SkuName, number>();
  for (let i = 0; i < n - gb; i++) {
    const sku = EIGHT_GPU[i % EIGHT_GPU.length]!;
    const k = perSku.get(sku) ?? 0;
    perSku.set(sku, k + 1);
    out.push({ id: `${sku}-${k}`, sku, gpus: 8, domain: `ib-${sku}-${Math.floor(k / 32)}` });
  }
  return out;
}

/** Job i: SKU in the fleet's proportions; GB200 jobs are 1-node (half), 2-node or 4-node gangs. */
function deployment(i: number): Deployment {
  const seed = `fleet-${i}`;
  if (i % 5 === 0) {
    const r = (i / 5) % 10;
    const nodes = r < 5 ? 1 : r < 8 ? 2 : 4;
    return makeDeployment({ seed, sku: "gb200", gpusPerNode: 4, nodes });
  }
  return makeDeployment({ seed, sku: EIGHT_GPU[i % EIGHT_GPU.length]! });
}

// ---------------------------------------------------------------- agent with telemetry

class FleetAgent extends ProtocolAgent {
  private hbSeq = 0;
  private phaseTimer: NodeJS.Timeout | undefined;
  private everyTimer: NodeJS.Timeout | undefined;
  heartbeatsSent = 0;

  constructor(opts: ProtocolAgentOptions) {
    super(opts);
  }

  private telemetry(): Telemetry {
    const busy = this.running !== undefined;
    return {
      at: new Date().toISOString(),
      gpuTelemetry: true,
      gpus: Array.from({ length: this.opts.gpuCount ?? 8 }, (_, index) => ({
        index,
        powerW: busy ? 650 + Math.round(Math.random() * 50) : 90 + Math.round(Math.random() * 10),
        utilPct: busy ? 97 : 0,
        memUsedMiB: busy ? 150_000 : 500,
        tempC: busy ? 71 : 38,
        smClockMHz: busy ? 1980 : 345,
      })),
      cpuPct: busy ? 12.5 : 0.4,
      memUsedMiB: 48_000,
      memTotalMiB: 2_000_000,
    };
  }

  override heartbeat(): void {
    this.heartbeatsSent++;
    this.send({
      type: "heartbeat",
      seq: this.hbSeq++,
      health: { ok: true, reasons: [], checkedAt: new Date().toISOString() },
      telemetry: this.telemetry(),
      running: this.running,
    });
  }

  /** Like the real agent: first heartbeat at once, then every `ms`, at a random phase per agent. */
  override startHeartbeats(ms: number): void {
    this.stopHeartbeats();
    this.heartbeat();
    this.phaseTimer = setTimeout(() => {
      this.heartbeat();
      this.everyTimer = setInterval(() => this.heartbeat(), ms);
    }, Math.random() * ms);
  }

  override stopHeartbeats(): void {
    clearTimeout(this.phaseTimer);
    clearInterval(this.everyTimer);
  }
}

// ---------------------------------------------------------------- event subscriber (a dashboard)

class Subscriber {
  messages = 0;
  bytes = 0;
  readonly ws: WebSocket;
  constructor(url: string) {
    this.ws = new WebSocket(`${url.replace(/^http/, "ws")}/api/v1/events/ws`, {
      headers: { authorization: `Bearer ${TOKENS.viewer}` },
    });
    this.ws.on("message", (raw: Buffer) => {
      this.messages++;
      this.bytes += raw.length;
    });
    this.ws.on("error", () => {});
  }
  async open(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.ws.once("open", () => resolve());
      this.ws.once("error", reject);
    });
  }
  subscribe(topic: string, id?: string): void {
    this.ws.send(JSON.stringify({ type: "subscribe", topic, id }));
  }
}

// ---------------------------------------------------------------- helpers

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const TICK = 100; // USER_HZ of /proc/<pid>/stat
function procStat(pid: number): { cpuS: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const rssPages = Number(f[21]);
  return { cpuS: (Number(f[11]) + Number(f[12])) / TICK, rssMiB: (rssPages * 4096) / 2 ** 20 };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f1 = (x: number) => x.toFixed(1);

// ---------------------------------------------------------------- controller

const redis = await startRedis();
const dataDir = mkdtempSync(join(tmpdir(), "bf-fleet-"));
const port = await freePort();
const main = fileURLToPath(new URL("../cli/src/main.ts", import.meta.url));
const ctl = spawn(
  process.execPath,
  [
    ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_CPU_PROF] : []),
    "--conditions=source",
    "--import",
    "tsx",
    main,
    "controller",
    "start",
    "--redis-url",
    redis.url,
    "--data-dir",
    dataDir,
    "--port",
    String(port),
    "--key-prefix",
    "fleet",
    "--log-level",
    "warn",
    "--json",
  ],
  { env: { ...process.env, ...testEnv() }, stdio: ["ignore", "pipe", "inherit"] },
);
const url = await new Promise<string>((resolve, reject) => {
  let out = "";
  ctl.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    const nl = out.indexOf("\n");
    if (nl >= 0) resolve((JSON.parse(out.slice(0, nl)) as { url: string }).url);
  });
  ctl.once("exit", (c) => reject(new Error(`controller exited ${c}`)));
});
const api = async <T>(method: string, path: string, body?: unknown): Promise<{ ms: number; body: T }> => {
  const t = performance.now();
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKENS.admin}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const parsed = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(parsed).slice(0, 300)}`);
  return { ms: performance.now() - t, body: parsed };
};
interface Status {
  dispatchRounds: number;
  dispatchRoundMs: HistogramSnapshot;
  allocateMs: HistogramSnapshot;
}

const specs = fleet(N);
const domains = new Set(specs.map((s) => s.domain)).size;
const log = (line: string) => {
  if (!JSON_OUT) console.log(line);
};
log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}; ${N} agents in ${domains} domains ` +
    `(heartbeat ${HB} ms with telemetry), ${M} jobs, ${S} event subscribers`,
);
const agents: FleetAgent[] = [];
const subs: Subscriber[] = [];
let stopping = false;
const summary: Record<string, unknown> = {
  date: new Date().toISOString(),
  agents: N,
  jobs: M,
  heartbeatMs: HB,
  subscribers: S,
};
try {
  // ---- registration
  let t = performance.now();
  for (let i = 0; i < N; i += 50) {
    const batch = specs.slice(i, i + 50).map((s) => {
      const a = new FleetAgent({
        url,
        agentId: s.id,
        token: TOKENS.enrol,
        sku: s.sku,
        gpuCount: s.gpus,
        domain: s.domain,
        heartbeatMs: HB,
      });
      agents.push(a);
      return a.connect();
    });
    await Promise.all(batch);
  }
  const registerS = (performance.now() - t) / 1000;
  log(`registered ${N} agents in ${registerS.toFixed(2)} s`);
  summary.registerS = registerS;

  // ---- idle: N agents heartbeating (first alone, then with the dashboards subscribed to the fleet)
  const idleWindow = async (label: string) => {
    const hb0 = agents.reduce((s, a) => s + a.heartbeatsSent, 0);
    const m0 = subs.reduce((s, x) => s + x.messages, 0);
    const p0 = procStat(ctl.pid!);
    const t0 = performance.now();
    await sleep(2 * HB);
    const p1 = procStat(ctl.pid!);
    const secs = (performance.now() - t0) / 1000;
    const hbs = agents.reduce((s, a) => s + a.heartbeatsSent, 0) - hb0;
    const msgs = subs.reduce((s, x) => s + x.messages, 0) - m0;
    const cpu = (p1.cpuS - p0.cpuS) / secs;
    log(
      `idle ${label}: ${f1(hbs / secs)} heartbeats/s, controller CPU ${f1(cpu * 100)} % of a core ` +
        `(${((cpu / (hbs / secs)) * 1e6).toFixed(0)} µs per heartbeat), RSS ${p1.rssMiB.toFixed(0)} MiB` +
        (subs.length ? `, ${f1(msgs / secs)} event messages/s to ${subs.length} subscribers` : ""),
    );
    return {
      heartbeatsPerS: hbs / secs,
      cpuPct: cpu * 100,
      usPerHeartbeat: (cpu / (hbs / secs)) * 1e6,
      rssMiB: p1.rssMiB,
      eventMsgsPerS: msgs / secs,
    };
  };
  await sleep(HB); // let the first (synchronised) heartbeats pass
  summary.idle = await idleWindow("(no subscribers)");
  for (let i = 0; i < S; i++) {
    const s = new Subscriber(url);
    await s.open();
    s.subscribe("fleet");
    s.subscribe("sweeps");
    subs.push(s);
  }
  if (S) summary.idleSubscribed = await idleWindow(`(${S} subscribers on fleet)`);

  // ---- agents play every assignment through
  const assignedAt = new Map<string, number>();
  /** agent → its first assignment: when every agent has one, the fleet is filled */
  const firstAssignAt = new Map<string, number>();
  let done = 0;
  const loops = agents.map(async (a) => {
    let from = 0;
    while (!stopping) {
      let asg: Awaited<ReturnType<ProtocolAgent["nextAssignment"]>>;
      try {
        asg = await a.nextAssignment(2000, from);
      } catch {
        continue; // nothing for this agent yet
      }
      from = a.received.findIndex((m) => m.type === "assign" && m.assignment.attemptId === asg.attemptId) + 1;
      if (asg.rank === 0 && !assignedAt.has(asg.jobId)) assignedAt.set(asg.jobId, performance.now());
      if (!firstAssignAt.has(a.id)) firstAssignAt.set(a.id, performance.now());
      await a.runAssignment(asg);
      if (asg.rank === 0) done++;
    }
  });

  // ---- submit
  const status0 = (await api<Status>("GET", "/api/v1/status")).body;
  const busy0 = procStat(ctl.pid!);
  const msgs0 = subs.reduce((s, x) => s + x.messages, 0);
  const bytes0 = subs.reduce((s, x) => s + x.bytes, 0);
  t = performance.now();
  const submitStart = t;
  const sweeps: string[] = [];
  for (let i = 0; i < M; i += SWEEP_SIZE) {
    const deployments = Array.from({ length: Math.min(SWEEP_SIZE, M - i) }, (_, k) => deployment(i + k));
    const r = await api<{ sweepId: string }>("POST", "/api/v1/sweeps", { deployments });
    sweeps.push(r.body.sweepId);
    for (const s of subs) s.subscribe("sweep", r.body.sweepId);
  }
  const submitS = (performance.now() - t) / 1000;
  log(`submitted ${M} jobs in ${sweeps.length} sweeps in ${submitS.toFixed(2)} s`);
  summary.submitS = submitS;

  // ---- run to the end, sampling API latency
  const lat = { sweepJobs: [] as number[], fleetJobs: [] as number[], nodes: [] as number[], status: [] as number[] };
  let peakRss = busy0.rssMiB;
  let last = 0;
  let allAssignedS: number | undefined;
  while (done < M) {
    await sleep(1000);
    const sweep = sweeps[Math.floor(Math.random() * sweeps.length)];
    lat.sweepJobs.push((await api("GET", `/api/v1/jobs?sweep=${sweep}&limit=100`)).ms);
    lat.fleetJobs.push((await api("GET", "/api/v1/jobs?status=queued,running&limit=100")).ms);
    lat.nodes.push((await api("GET", "/api/v1/nodes?limit=1000")).ms);
    lat.status.push((await api("GET", "/api/v1/status")).ms);
    peakRss = Math.max(peakRss, procStat(ctl.pid!).rssMiB);
    const s = (performance.now() - submitStart) / 1000;
    if (allAssignedS === undefined && assignedAt.size >= M)
      allAssignedS = (Math.max(...assignedAt.values()) - submitStart) / 1000;
    if (s - last >= 10) {
      last = s;
      log(`  ${s.toFixed(0)} s: ${assignedAt.size}/${M} assigned, ${done}/${M} finished`);
    }
    if (s > 600) throw new Error(`only ${done}/${M} jobs finished in 600 s`);
  }
  const runS = (performance.now() - submitStart) / 1000;
  // every agent busy once (the first rounds), when there are jobs enough for all of them
  const fillS = firstAssignAt.size >= N ? (Math.max(...firstAssignAt.values()) - submitStart) / 1000 : undefined;
  allAssignedS ??= (Math.max(...assignedAt.values()) - submitStart) / 1000;
  const busy1 = procStat(ctl.pid!);
  const status1 = (await api<Status>("GET", "/api/v1/status")).body;
  const busyCpu = (busy1.cpuS - busy0.cpuS) / runS;
  const msgs = subs.reduce((s, x) => s + x.messages, 0) - msgs0;
  const bytes = subs.reduce((s, x) => s + x.bytes, 0) - bytes0;
  const q = (h: keyof Status, p: number) =>
    quantileBetween(status0[h] as HistogramSnapshot, status1[h] as HistogramSnapshot, p) ?? 0;
  const rounds = status1.dispatchRounds - status0.dispatchRounds;
  Object.assign(summary, {
    fleetFilledS: fillS,
    allAssignedS,
    allFinishedS: runS,
    jobsPerS: M / runS,
    resultsPerS: (2 * M) / runS,
    busyCpuPct: busyCpu * 100,
    cpuMsPerJob: ((busy1.cpuS - busy0.cpuS) / M) * 1000,
    peakRssMiB: peakRss,
    dispatch: {
      rounds,
      roundMsP50: Math.min(q("dispatchRoundMs", 0.5), status1.dispatchRoundMs.maxMs),
      roundMsP99: Math.min(q("dispatchRoundMs", 0.99), status1.dispatchRoundMs.maxMs),
      roundMsMax: status1.dispatchRoundMs.maxMs,
      roundMsMean: (status1.dispatchRoundMs.sumMs - status0.dispatchRoundMs.sumMs) / Math.max(1, rounds),
      allocateMsP50: q("allocateMs", 0.5),
      allocateMsP99: q("allocateMs", 0.99),
    },
    events: { msgsPerS: msgs / runS, mbPerS: bytes / runS / 1e6 },
    api: Object.fromEntries(Object.entries(lat).map(([k, v]) => [k, { p50: pct(v, 50), p99: pct(v, 99) }])),
  });
  const d = summary.dispatch as Record<string, number>;
  log(
    `ran ${M} jobs (${2 * M} point results): ` +
      (fillS !== undefined ? `every agent assigned once after ${fillS.toFixed(1)} s, ` : "") +
      `all assigned after ${allAssignedS.toFixed(1)} s, all finished after ` +
      `${runS.toFixed(1)} s: ${f1(M / runS)} jobs/s, ${f1((2 * M) / runS)} results/s; controller CPU ` +
      `${(busyCpu * 100).toFixed(0)} % of a core, ${(summary.cpuMsPerJob as number).toFixed(2)} ms CPU per job, peak RSS ${peakRss.toFixed(0)} MiB`,
  );
  log(
    `dispatch: ${rounds} rounds, wall p50 ${d.roundMsP50!.toFixed(2)} ms p99 ${d.roundMsP99!.toFixed(1)} ms max ` +
      `${d.roundMsMax!.toFixed(1)} ms mean ${d.roundMsMean!.toFixed(1)} ms; allocator p50 ${d.allocateMsP50!.toFixed(2)} ms ` +
      `p99 ${d.allocateMsP99!.toFixed(1)} ms`,
  );
  if (S) log(`events: ${f1(msgs / runS)} messages/s, ${((bytes / runS) * 8e-6).toFixed(1)} Mbit/s to ${S} subscribers`);
  log(
    `API under load (p50/p99 ms): GET /jobs?sweep (page of 100) ${f1(pct(lat.sweepJobs, 50))}/${f1(pct(lat.sweepJobs, 99))}; ` +
      `GET /jobs?status=queued,running ${f1(pct(lat.fleetJobs, 50))}/${f1(pct(lat.fleetJobs, 99))}; ` +
      `GET /nodes (${N}) ${f1(pct(lat.nodes, 50))}/${f1(pct(lat.nodes, 99))}; GET /status ${f1(pct(lat.status, 50))}/${f1(pct(lat.status, 99))}`,
  );
  if (JSON_OUT) console.log(JSON.stringify(summary));
  stopping = true;
  await Promise.race([Promise.all(loops), sleep(3000)]);
} finally {
  stopping = true;
  for (const s of subs) s.ws.terminate();
  await Promise.all(agents.map((a) => a.close()));
  ctl.kill("SIGTERM");
  await new Promise((r) => ctl.once("exit", r));
  await redis.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
