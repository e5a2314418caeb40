/**
 * `pnpm bench:fleet [--agents N] [--jobs M] [--heartbeat-ms H]`: does the controller hold a lab's
 * fleet? A real controller (its own process, production timings, private Redis, SQLite results)
 * and N protocol agents over real WebSockets (in this process: hello, heartbeats every H ms,
 * each assignment played through — phases, ready, two point results with acks, finished).
 * M single-node jobs over four SKUs are submitted as sweeps of 500; the run ends when all succeeded.
 * Reports: time to register N agents; submission time; assignment throughput (jobs/s, results/s);
 * controller CPU (share of one core) and RSS while idle with N heartbeating agents and while busy;
 * API latency of GET /api/v1/jobs (a page) and /api/v1/nodes under load.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SkuName } from "@benchfleet/shared";
import { freePort, startRedis } from "../controller/src/redis-server.js";
import { TOKENS, testEnv } from "../tests/helpers/controller.js";
import { makeDeployment } from "../tests/helpers/deployments.js";
import { ProtocolAgent } from "../tests/helpers/protocol-agent.js";

const args = process.argv.slice(2);
const num = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const N = num("--agents", 250);
const M = num("--jobs", 5000);
const HB = num("--heartbeat-ms", 5000);
const SKUS: SkuName[] = ["h100", "h200", "b200", "mi300x"];

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

const redis = await startRedis();
const dataDir = mkdtempSync(join(tmpdir(), "bf-fleet-"));
const port = await freePort();
const main = fileURLToPath(new URL("../controller/src/cli/main.ts", import.meta.url));
const ctl = spawn(
  process.execPath,
  [
    // BENCH_CPU_PROF=dir: a CPU profile of the controller (written when it exits)
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

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}; ${N} agents (heartbeat ${HB} ms), ${M} jobs`,
);
const agents: ProtocolAgent[] = [];
let done = 0;
let stopping = false;
try {
  // ---- registration
  let t = performance.now();
  for (let i = 0; i < N; i += 50) {
    const batch = Array.from({ length: Math.min(50, N - i) }, (_, k) => {
      const a = new ProtocolAgent({
        url,
        agentId: `fleet-${i + k}`,
        token: TOKENS.enrol,
        sku: SKUS[(i + k) % SKUS.length],
        domain: `rack-${(i + k) % 16}`,
        heartbeatMs: HB,
      });
      agents.push(a);
      return a.connect();
    });
    await Promise.all(batch);
  }
  const registerS = (performance.now() - t) / 1000;
  console.log(`registered ${N} agents in ${registerS.toFixed(2)} s`);

  // ---- idle: N agents heartbeating
  const idle0 = procStat(ctl.pid!);
  await new Promise((r) => setTimeout(r, 3 * HB));
  const idle1 = procStat(ctl.pid!);
  const idleCpu = (idle1.cpuS - idle0.cpuS) / ((3 * HB) / 1000);
  console.log(`idle: controller CPU ${(idleCpu * 100).toFixed(1)} % of a core, RSS ${idle1.rssMiB.toFixed(0)} MiB`);

  // ---- agents play every assignment through
  const loops = agents.map(async (a) => {
    let from = 0;
    while (!stopping) {
      let asg: Awaited<ReturnType<ProtocolAgent["nextAssignment"]>>;
      try {
        asg = await a.nextAssignment(2000, from);
      } catch {
        continue; // nothing for this agent yet
      }
      from = a.received.length;
      await a.runAssignment(asg);
      done++;
    }
  });

  // ---- submit
  t = performance.now();
  const sweeps: string[] = [];
  for (let i = 0; i < M; i += 500) {
    const deployments = Array.from({ length: Math.min(500, M - i) }, (_, k) =>
      makeDeployment({ seed: `fleet-${i + k}`, sku: SKUS[(i + k) % SKUS.length] }),
    );
    const r = await api<{ sweepId: string }>("POST", "/api/v1/sweeps", { deployments });
    sweeps.push(r.body.sweepId);
  }
  const submitS = (performance.now() - t) / 1000;
  console.log(`submitted ${M} jobs in ${sweeps.length} sweeps in ${submitS.toFixed(2)} s`);

  // ---- run to the end, sampling API latency
  const busy0 = procStat(ctl.pid!);
  const jobsMs: number[] = [];
  const nodesMs: number[] = [];
  let peakRss = busy0.rssMiB;
  const runStart = performance.now();
  let last = 0;
  while (done < M) {
    await new Promise((r) => setTimeout(r, 1000));
    jobsMs.push((await api("GET", `/api/v1/jobs?sweep=${sweeps[sweeps.length - 1]}&limit=100`)).ms);
    nodesMs.push((await api("GET", "/api/v1/nodes")).ms);
    peakRss = Math.max(peakRss, procStat(ctl.pid!).rssMiB);
    const s = (performance.now() - runStart) / 1000;
    if (s - last >= 10) {
      last = s;
      console.log(`  ${s.toFixed(0)} s: ${done}/${M} jobs finished`);
    }
    if (s > 600) throw new Error(`only ${done}/${M} jobs finished in 600 s`);
  }
  const runS = (performance.now() - runStart) / 1000;
  const busy1 = procStat(ctl.pid!);
  const busyCpu = (busy1.cpuS - busy0.cpuS) / runS;
  console.log(
    `ran ${M} jobs (${2 * M} point results) in ${runS.toFixed(1)} s: ${(M / runS).toFixed(1)} jobs/s, ` +
      `${((2 * M) / runS).toFixed(1)} results/s; controller CPU ${(busyCpu * 100).toFixed(0)} % of a core, ` +
      `${(((busy1.cpuS - busy0.cpuS) / M) * 1000).toFixed(2)} ms CPU per job, peak RSS ${peakRss.toFixed(0)} MiB`,
  );
  console.log(
    `API under load: GET /jobs (page of 100) p50 ${pct(jobsMs, 50).toFixed(1)} ms p99 ${pct(jobsMs, 99).toFixed(1)} ms; ` +
      `GET /nodes (${N}) p50 ${pct(nodesMs, 50).toFixed(1)} ms p99 ${pct(nodesMs, 99).toFixed(1)} ms`,
  );
  stopping = true;
  await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, 3000))]);
} finally {
  stopping = true;
  await Promise.all(agents.map((a) => a.close()));
  ctl.kill("SIGTERM");
  await new Promise((r) => ctl.once("exit", r));
  await redis.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
