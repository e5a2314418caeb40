/**
 * Job / attempt detail: the gang (nodes and roles), phase timeline with durations, live logs per
 * process, GPU telemetry of the gang, the points measured so far (as they arrive), accuracy,
 * failure reason, attempts history, and operator retry / cancel.
 */

import type { AttemptRecord, JobRecord } from "@benchfleet/shared/browser";
import { summarizeTelemetry } from "@benchfleet/shared/browser";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";
import { api, itemsOf } from "../api.js";
import { EmulatedBadge, StateBadge } from "../components/badge.js";
import { confirmAction } from "../components/confirm.js";
import { type LogSink, LogView } from "../components/log-view.js";
import { UPlotChart } from "../components/uplot-chart.js";
import type { LiveEvent } from "../events.js";
import { navigate, useLive } from "../hooks.js";
import { fmtDuration, fmtNum, fmtTime, gpuHours } from "../lib/format.js";
import { type PhaseSegment, phaseSegmentsByRank } from "../lib/phases.js";
import type { TelemetrySample } from "../lib/series.js";
import type { Route } from "../lib/url-state.js";

/** a point's GPU energy: the sum over the deployment's nodes, each node's part listed */
interface PointEnergy {
  complete: boolean;
  gpus: number;
  totalEnergyJ: number | null;
  joulesPerTotalToken: number | null;
  note?: string;
  nodes?: Array<{ node: string; energy: { gpus: number; totalEnergyJ: number | null; complete: boolean } }>;
}

function energyTitle(e: PointEnergy | undefined): string | undefined {
  if (!e) return undefined;
  const lines = [
    `${e.gpus} GPUs${e.totalEnergyJ !== null ? `, ${fmtNum(e.totalEnergyJ)} J` : ""}${e.complete ? "" : " (partial)"}`,
  ];
  for (const n of e.nodes ?? [])
    lines.push(
      `${n.node}: ${n.energy.gpus} GPUs, ${n.energy.totalEnergyJ === null ? "no figure" : `${fmtNum(n.energy.totalEnergyJ)} J`}`,
    );
  if (e.note) lines.push(e.note);
  return lines.join("\n");
}

interface JobDetail extends Omit<JobRecord, "attempts"> {
  /** tries dispatched so far are `attempts.length` */
  attempts: AttemptRecord[];
  waitingReason?: string;
  deployment?: {
    image: string;
    precision: string;
    isl: number;
    osl: number;
    specDecoding: string;
    disagg: boolean;
    tp?: number;
    ep?: number;
    dpAttn?: boolean;
  };
}

interface PointRow {
  id: number;
  attemptId: string;
  concurrency: number;
  isl: number;
  osl: number;
  status: string;
  tputPerGpu: number | null;
  outputThroughput: number | null;
  medianTtftMs: number | null;
  medianTpotMs: number | null;
  interactivity: number | null;
  emulated: boolean;
  receivedAt: string;
  result: { failureReason?: string; energy?: PointEnergy; client?: { saturated: boolean } };
}

interface EvalRow {
  attemptId?: string;
  strictEm?: number;
  flexibleEm?: number;
  threshold?: number;
  passed?: boolean;
  emulated?: boolean;
  result?: {
    strict: { exactMatch: number };
    flexible: { exactMatch: number };
    threshold: number;
    passed: boolean;
    n: number;
    emulated: boolean;
  };
}

/** Runs `fn` at most once per `ms`, trailing. */
function useThrottled(fn: () => void, ms: number): () => void {
  const ref = useRef(fn);
  ref.current = fn;
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return () => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      ref.current();
    }, ms);
  };
}

const TELEMETRY_POINTS = 300;

function PhaseTimeline(props: { rank: number; segs: PhaseSegment[] }) {
  const totalMs = props.segs.reduce((s, x) => s + x.ms, 0);
  return (
    <div data-testid="phase-timeline" data-rank={props.rank}>
      <div class="small muted">rank {props.rank}</div>
      <div class="timeline">
        {props.segs.map((s) => (
          <div
            key={s.phase}
            class={`ph-${s.phase}${s.status === "failed" ? " ph-failed" : ""}`}
            style={{ flexGrow: Math.max(s.ms, totalMs / 50, 1) }}
            title={`${s.phase}: ${fmtDuration(s.ms)} ${s.status}${s.reason ? ` — ${s.reason}` : ""}`}
          >
            {s.phase}
          </div>
        ))}
      </div>
      <div class="small">
        {props.segs.map((s) => (
          <span key={s.phase} style={{ marginRight: "12px" }}>
            {s.phase} {fmtDuration(s.ms)}
            {s.status === "started"
              ? " (running)"
              : s.status === "failed"
                ? ` (failed${s.reason ? `: ${s.reason}` : ""})`
                : s.status === "cancelled"
                  ? " (cancelled)"
                  : ""}
          </span>
        ))}
      </div>
    </div>
  );
}

export function JobView(props: { route: Route; operator: boolean; onError: (m: string) => void }) {
  const jobId = props.route.id!;
  const [job, setJob] = useState<JobDetail | undefined>();
  const [points, setPoints] = useState<PointRow[]>([]);
  const [evals, setEvals] = useState<EvalRow[]>([]);
  const [processes, setProcesses] = useState<string[]>([]);
  const [tick, setTick] = useState(0);
  const sink = useRef<LogSink>(null);
  const tele = useRef<{ t: number[]; power: number[]; util: number[] }>({ t: [], power: [], util: [] });
  const teleByNode = useRef(new Map<string, { powerW: number | null; utilPct: number | null }>());

  const attemptId = props.route.params.attempt ?? job?.currentAttemptId ?? job?.attempts.at(-1)?.attemptId;
  const attempt = job?.attempts.find((a) => a.attemptId === attemptId);

  const loadJob = () =>
    api<JobDetail>(`/jobs/${encodeURIComponent(jobId)}`)
      .then(setJob)
      .catch((e) => props.onError(`job ${jobId}: ${(e as Error).message}`));
  const loadResults = () =>
    Promise.all([
      api(`/results?job=${encodeURIComponent(jobId)}&emulated=any&limit=5000`).then((d) =>
        setPoints(itemsOf<PointRow>(d)),
      ),
      api(`/results/evals?job=${encodeURIComponent(jobId)}&emulated=any`).then((d) => setEvals(itemsOf<EvalRow>(d))),
    ]).catch((e) => props.onError(`results of ${jobId}: ${(e as Error).message}`));
  const refetchJob = useThrottled(loadJob, 300);
  const refetchResults = useThrottled(loadResults, 300);
  useEffect(() => {
    loadJob();
    loadResults();
  }, [jobId]);

  // logs of the selected attempt: the stored tail, then live lines
  const logReady = useRef(false);
  const early = useRef<Array<{ process: string; lines: string[] }>>([]);
  const loadLogs = async () => {
    if (!attemptId) return;
    logReady.current = false;
    early.current = [];
    sink.current?.clear();
    try {
      const d = await api<{ processes: string[]; lines: Array<{ process: string; line: string }> }>(
        `/jobs/${encodeURIComponent(jobId)}/logs?attempt=${encodeURIComponent(attemptId)}&tail=5000`,
      );
      setProcesses(d.processes);
      let run: { process: string; lines: string[] } | undefined;
      for (const l of d.lines) {
        if (!run || run.process !== l.process) {
          if (run) sink.current?.append(run.process, run.lines);
          run = { process: l.process, lines: [] };
        }
        run.lines.push(l.line);
      }
      if (run) sink.current?.append(run.process, run.lines);
    } catch (e) {
      props.onError(`logs: ${(e as Error).message}`);
    }
    logReady.current = true;
    for (const x of early.current) sink.current?.append(x.process, x.lines);
    early.current = [];
  };
  useEffect(() => {
    loadLogs();
  }, [attemptId]);

  useLive(
    { topic: "job-logs", id: jobId },
    (e: LiveEvent) => {
      if (e.kind !== "log" || e.jobId !== jobId || e.attemptId !== attemptId || !e.lines || !e.process) return;
      const lines =
        e.stream === "stderr"
          ? e.lines.map((l) => `[stderr] ${l}`)
          : e.stream === "agent"
            ? e.lines.map((l) => `[agent] ${l}`)
            : e.lines;
      if (!processes.includes(e.process)) setProcesses((p) => (p.includes(e.process!) ? p : [...p, e.process!].sort()));
      if (logReady.current) sink.current?.append(e.process, lines);
      else early.current.push({ process: e.process, lines });
    },
    loadLogs,
  );

  useLive(
    { topic: "job", id: jobId },
    (e: LiveEvent) => {
      if (e.jobId !== jobId) return;
      if (e.kind === "job" || e.kind === "attempt" || e.kind === "phase") refetchJob();
      if (e.kind === "point" || e.kind === "eval") refetchResults();
    },
    () => {
      loadJob();
      loadResults();
    },
  );

  // GPU telemetry of the gang, from the fleet's heartbeats
  const gangIds = useMemo(() => new Set(attempt?.gang.map((m) => m.agentId) ?? []), [attempt?.attemptId]);
  useLive({ topic: "fleet" }, (e: LiveEvent) => {
    if (e.kind !== "telemetry" || !e.nodeId || !gangIds.has(e.nodeId)) return;
    teleByNode.current.set(e.nodeId, summarizeTelemetry(e.data as TelemetrySample));
    const vals = [...teleByNode.current.values()];
    const power = vals.reduce((s, v) => s + (v.powerW ?? 0), 0);
    const util = vals.length ? vals.reduce((s, v) => s + (v.utilPct ?? 0), 0) / vals.length : 0;
    const t = tele.current;
    t.t.push(Date.now() / 1000);
    t.power.push(power);
    t.util.push(util);
    if (t.t.length > TELEMETRY_POINTS) for (const a of [t.t, t.power, t.util]) a.splice(0, a.length - TELEMETRY_POINTS);
    setTick((n) => n + 1);
  });
  const teleData = useMemo<uPlot.AlignedData>(
    () => [tele.current.t.slice(), tele.current.power.slice(), tele.current.util.slice()],
    [tick],
  );
  const teleOpts = useMemo<Omit<uPlot.Options, "width" | "height">>(
    () => ({
      scales: { x: { time: true }, w: { auto: true }, pct: { range: [0, 100] } },
      axes: [{}, { scale: "w", label: "W (gang)" }, { scale: "pct", side: 1, label: "util %", grid: { show: false } }],
      series: [
        {},
        { label: "GPU power W", scale: "w", stroke: "#dc2626" },
        { label: "GPU util %", scale: "pct", stroke: "#16a34a" },
      ],
    }),
    [],
  );

  if (!job) return <p class="muted">loading job {jobId}…</p>;
  const selectAttempt = (id: string) =>
    navigate({ ...props.route, params: { ...props.route.params, attempt: id } }, true);
  const attemptPoints = points.filter(
    (p) => !attemptId || p.attemptId === attemptId || props.route.params.allPoints === "1",
  );
  const ranks = attempt
    ? phaseSegmentsByRank(attempt.phases, attempt.finishedAtMs ?? Date.now())
    : new Map<number, PhaseSegment[]>();
  const canRetry = job.status === "failed" || job.status === "cancelled" || job.status === "succeeded";
  const canCancel = job.status === "queued" || job.status === "running";
  const d = job.deployment;

  return (
    <section>
      <h2>
        <a href="#/sweeps">Sweeps</a> / <a href={`#/sweeps/${encodeURIComponent(job.sweepId)}`}>{job.sweepId}</a> /{" "}
        {job.configKey}
      </h2>
      <div class="summary" data-testid="job-summary">
        <StateBadge state={job.status} />
        {attempt?.emulated && <EmulatedBadge />}
        <span>
          {job.sku} · {job.framework} · {job.model} · {job.nodes} node{job.nodes > 1 ? "s" : ""} · {job.gpus} GPUs
        </span>
        <span>
          points {job.pointsDone}/{job.pointsTotal}
        </span>
        <span>GPU-hours {gpuHours(job.gpuSeconds)}</span>
        <span class="muted small">{job.jobId}</span>
        {props.operator && (
          <>
            <button
              type="button"
              disabled={!canRetry}
              data-testid="retry-job"
              onClick={() =>
                confirmAction({
                  title: `Retry job ${job.configKey}?`,
                  body: "It is queued again; points already stored are skipped.",
                  confirmLabel: "Retry",
                  run: () => api(`/jobs/${encodeURIComponent(jobId)}/retry`, { method: "POST" }).then(loadJob),
                })
              }
            >
              Retry
            </button>
            <button
              type="button"
              class="danger"
              disabled={!canCancel}
              data-testid="cancel-job"
              onClick={() =>
                confirmAction({
                  title: `Cancel job ${job.configKey}?`,
                  confirmLabel: "Cancel job",
                  danger: true,
                  run: () =>
                    api(`/jobs/${encodeURIComponent(jobId)}/cancel`, { method: "POST", body: {} }).then(loadJob),
                })
              }
            >
              Cancel
            </button>
          </>
        )}
      </div>
      {(job.lastError || attempt?.reason) && (
        <p class="bad" data-testid="failure-reason">
          {attempt?.reason ?? job.lastError}
        </p>
      )}
      {job.waitingReason && <p class="muted">waiting: {job.waitingReason}</p>}
      <div class="cards">
        <div class="card">
          <h3>Configuration</h3>
          <dl class="kv">
            <dt>runner</dt>
            <dd>{job.runner}</dd>
            {d && (
              <>
                <dt>image</dt>
                <dd class="small">{d.image}</dd>
                <dt>precision</dt>
                <dd>{d.precision}</dd>
                <dt>ISL / OSL</dt>
                <dd>
                  {d.isl} / {d.osl}
                </dd>
                <dt>parallelism</dt>
                <dd>
                  {d.disagg
                    ? "disaggregated"
                    : `TP${d.tp ?? "?"}${d.ep && d.ep > 1 ? ` EP${d.ep}` : ""}${d.dpAttn ? " dp-attn" : ""}`}
                </dd>
                <dt>spec decoding</dt>
                <dd>{d.specDecoding}</dd>
              </>
            )}
            <dt>priority</dt>
            <dd>{job.priority}</dd>
            <dt>excluded nodes</dt>
            <dd>{job.excludedNodes.join(", ") || "–"}</dd>
          </dl>
        </div>
        <div class="card">
          <h3>Attempts</h3>
          <table class="grid" data-testid="attempts">
            <thead>
              <tr>
                <th>#</th>
                <th>State</th>
                <th>Phase</th>
                <th>Nodes</th>
                <th>Started</th>
                <th>Reason</th>
              </tr>
            </thead>
            <tbody>
              {job.attempts.map((a) => (
                <tr key={a.attemptId} class={a.attemptId === attemptId ? "selected" : ""}>
                  <td>
                    <button type="button" class="link" onClick={() => selectAttempt(a.attemptId)}>
                      {a.attemptNumber}
                    </button>
                  </td>
                  <td>
                    <StateBadge state={a.state} />
                  </td>
                  <td>{a.phase ?? "–"}</td>
                  <td class="small">{a.gang.map((m) => m.agentId).join(", ")}</td>
                  <td class="small">{fmtTime(a.createdAt)}</td>
                  <td class="small bad">{a.reason ?? ""}</td>
                </tr>
              ))}
              {job.attempts.length === 0 && (
                <tr>
                  <td colSpan={6} class="muted">
                    not dispatched yet
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </div>
      {attempt && (
        <div class="card" data-testid="attempt">
          <h3>
            Attempt {attempt.attemptNumber} <span class="muted small">{attempt.attemptId}</span>
          </h3>
          <table class="grid" data-testid="gang">
            <thead>
              <tr>
                <th>Rank</th>
                <th>Role</th>
                <th>Node</th>
                <th>Host</th>
                <th>GPUs</th>
              </tr>
            </thead>
            <tbody>
              {attempt.gang.map((m) => (
                <tr key={m.agentId}>
                  <td>{m.rank}</td>
                  <td>{m.rank === 0 ? "leader (router, load, eval)" : "worker"}</td>
                  <td>{m.agentId}</td>
                  <td>{m.hostname}</td>
                  <td>{m.gpuCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Phases</h3>
          {[...ranks.entries()].map(([rank, segs]) => (
            <PhaseTimeline key={rank} rank={rank} segs={segs} />
          ))}
        </div>
      )}
      <div class="card">
        <h3>Points measured ({attemptPoints.length})</h3>
        <table class="grid" data-testid="points">
          <thead>
            <tr>
              <th>Conc</th>
              <th>ISL/OSL</th>
              <th>Status</th>
              <th>tok/s/GPU</th>
              <th>Output tok/s</th>
              <th>Interactivity</th>
              <th>TTFT ms</th>
              <th>TPOT ms</th>
              <th>J/token</th>
              <th>Received</th>
            </tr>
          </thead>
          <tbody>
            {attemptPoints
              .slice()
              .sort((a, b) => a.concurrency - b.concurrency)
              .map((p) => (
                <tr key={p.id}>
                  <td>{p.concurrency}</td>
                  <td>
                    {p.isl}/{p.osl}
                  </td>
                  <td>
                    <StateBadge state={p.status} />
                    {p.emulated && <EmulatedBadge />}
                    {p.result.client?.saturated && <span class="badge st-failed">client saturated</span>}
                    {p.result.failureReason && <div class="bad small">{p.result.failureReason}</div>}
                  </td>
                  <td>{fmtNum(p.tputPerGpu)}</td>
                  <td>{fmtNum(p.outputThroughput)}</td>
                  <td>{fmtNum(p.interactivity)}</td>
                  <td>{fmtNum(p.medianTtftMs)}</td>
                  <td>{fmtNum(p.medianTpotMs, 2)}</td>
                  <td title={energyTitle(p.result.energy)}>
                    {fmtNum(p.result.energy?.joulesPerTotalToken ?? null, 3)}
                    {p.result.energy && !p.result.energy.complete && p.result.energy.totalEnergyJ !== null && (
                      <span class="muted small"> partial</span>
                    )}
                  </td>
                  <td class="small">{fmtTime(p.receivedAt)}</td>
                </tr>
              ))}
          </tbody>
        </table>
        <h3>Accuracy</h3>
        {evals.length === 0 ? (
          <p class="muted">{job.evalWanted ? "no eval result yet" : "no eval for this deployment"}</p>
        ) : (
          <table class="grid" data-testid="evals">
            <thead>
              <tr>
                <th>GSM8K strict</th>
                <th>flexible</th>
                <th>threshold</th>
                <th>verdict</th>
              </tr>
            </thead>
            <tbody>
              {evals.map((e, i) => {
                const strict = e.result?.strict.exactMatch ?? e.strictEm;
                const flex = e.result?.flexible.exactMatch ?? e.flexibleEm;
                const passed = e.result?.passed ?? e.passed;
                return (
                  <tr key={i}>
                    <td>{fmtNum(strict, 3)}</td>
                    <td>{fmtNum(flex, 3)}</td>
                    <td>{fmtNum(e.result?.threshold ?? e.threshold, 2)}</td>
                    <td>
                      <span class={passed ? "ok" : "bad"}>{passed ? "passed" : "below threshold"}</span>
                      {(e.result?.emulated ?? e.emulated) && <EmulatedBadge />}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
      {attempt && (
        <div class="card">
          <h3>GPU telemetry of the gang (live)</h3>
          {tele.current.t.length < 2 ? <p class="muted small">waiting for heartbeats…</p> : null}
          <UPlotChart options={teleOpts} data={teleData} optionsKey="telemetry" height={180} />
        </div>
      )}
      <div class="card">
        <h3>Logs {attemptId ? <span class="muted small">attempt {attemptId}</span> : null}</h3>
        {attemptId ? (
          <LogView sinkRef={sink} processes={processes} fileName={`${jobId}-${attemptId}.log`} />
        ) : (
          <p class="muted">no attempt yet</p>
        )}
      </div>
    </section>
  );
}
