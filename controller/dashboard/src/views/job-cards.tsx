/**
 * The cards of the job view: summary with operator actions, configuration, attempts, the selected
 * attempt, points and accuracy, the gang's telemetry, logs.
 */
import { type AttemptRecord, durationText, type JobDetail, liveText, remainingText } from "@benchfleet/shared/browser";
import type uPlot from "uplot";
import { api } from "../api.js";
import { EmulatedBadge, StateBadge } from "../components/badge.js";
import { confirmAction } from "../components/confirm.js";
import { type LogSink, LogView } from "../components/log-view.js";
import { UPlotChart } from "../components/uplot-chart.js";
import { fmtDuration, fmtNum, fmtTime, gpuHours } from "../lib/format.js";
import { type EvalRow, energyTitle, evalFigures, type JobPointRow } from "../lib/job-view.js";
import type { PhaseSegment } from "../lib/phases.js";
import { LOG_TAIL } from "./job-hooks.js";

export function JobSummary(props: {
  job: JobDetail;
  attempt: AttemptRecord | undefined;
  operator: boolean;
  reload: () => void;
}) {
  const { job, attempt } = props;
  const jobId = job.jobId;
  const canRetry = job.status === "failed" || job.status === "cancelled" || job.status === "succeeded";
  const canCancel = job.status === "queued" || job.status === "running";
  return (
    <>
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
        {job.parallelism && (
          <span data-testid="job-layout">
            {job.parallelism} · conc {(job.concurrencies ?? []).join(",")}
          </span>
        )}
        {job.timing && job.timing.elapsedS !== undefined && <span>ran {durationText(job.timing.elapsedS)}</span>}
        {job.timing && job.timing.basis !== "finished" && <span class="muted">{remainingText(job.timing)}</span>}
        <span>GPU-hours {gpuHours(job.gpuSeconds)}</span>
        <span class="muted small">{job.jobId}</span>
        {job.live && (
          <span data-testid="job-live">
            now: {liveText(job.live, job.pointsTotal)} on {job.live.nodes.join(", ")}
          </span>
        )}
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
                  run: () => api(`/jobs/${encodeURIComponent(jobId)}/retry`, { method: "POST" }).then(props.reload),
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
                    api(`/jobs/${encodeURIComponent(jobId)}/cancel`, { method: "POST", body: {} }).then(props.reload),
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
      <Exclusions job={job} operator={props.operator} reload={props.reload} />
    </>
  );
}

/** The nodes the job avoids after they failed one of its attempts, each with why; an operator lifts them. */
function Exclusions(props: { job: JobDetail; operator: boolean; reload: () => void }) {
  const { job } = props;
  const list = job.exclusions ?? job.excludedNodes.map((nodeId) => ({ nodeId, reason: "", attemptId: "", at: 0 }));
  if (list.length === 0) return null;
  const lift = (nodeId: string) =>
    confirmAction({
      title: `Let ${job.configKey} run on ${nodeId} again?`,
      body: "The job no longer avoids this node; it may be scheduled there at once.",
      confirmLabel: "Lift exclusion",
      run: () =>
        api(`/jobs/${encodeURIComponent(job.jobId)}/lift-exclusion`, {
          method: "POST",
          body: { nodes: [nodeId] },
        }).then(props.reload),
    });
  return (
    <ul class="exclusions" data-testid="exclusions">
      {list.map((e) => (
        <li key={e.nodeId} data-excluded={e.nodeId}>
          excluded <b>{e.nodeId}</b>
          {e.reason ? `: ${e.reason}` : ""}
          <span class="muted small">
            {e.attemptId ? ` · attempt ${e.attemptId}` : ""}
            {e.at ? ` · since ${fmtTime(e.at)}` : ""}
          </span>{" "}
          {props.operator && (
            <button type="button" class="small" data-testid={`lift-${e.nodeId}`} onClick={() => lift(e.nodeId)}>
              Lift
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

export function ConfigurationCard(props: { job: JobDetail }) {
  const { job } = props;
  const d = job.deployment;
  return (
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
  );
}

export function AttemptsCard(props: {
  attempts: AttemptRecord[];
  selected: string | undefined;
  onSelect: (attemptId: string) => void;
}) {
  return (
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
          {props.attempts.map((a) => (
            <tr key={a.attemptId} class={a.attemptId === props.selected ? "selected" : ""}>
              <td>
                <button type="button" class="link" onClick={() => props.onSelect(a.attemptId)}>
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
          {props.attempts.length === 0 && (
            <tr>
              <td colSpan={6} class="muted">
                not dispatched yet
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

/** The selected attempt: its gang (rank, role, node) and each rank's phase timeline. */
export function AttemptCard(props: { attempt: AttemptRecord; ranks: Map<number, PhaseSegment[]> }) {
  const { attempt } = props;
  return (
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
      {[...props.ranks.entries()].map(([rank, segs]) => (
        <PhaseTimeline key={rank} rank={rank} segs={segs} />
      ))}
    </div>
  );
}

/** The points measured (as they arrive) and the accuracy verdict. */
export function ResultsCard(props: {
  points: JobPointRow[];
  /** how many the job has over all its attempts */
  jobPoints: number;
  evals: EvalRow[];
  evalWanted: boolean;
}) {
  const n = props.points.length;
  return (
    <div class="card">
      <h3 data-testid="points-heading">
        Points measured ({n}
        {n !== props.jobPoints ? ` of this attempt; ${props.jobPoints} of the job` : ""})
      </h3>
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
          {props.points.map((p) => (
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
      {props.evals.length === 0 ? (
        <p class="muted">{props.evalWanted ? "no eval result yet" : "no eval for this deployment"}</p>
      ) : (
        <table class="grid" data-testid="evals">
          <thead>
            <tr>
              <th>conc</th>
              <th>GSM8K strict</th>
              <th>flexible</th>
              <th>threshold</th>
              <th>verdict</th>
            </tr>
          </thead>
          <tbody>
            {props.evals.map((e, i) => {
              const f = evalFigures(e);
              return (
                <tr key={i}>
                  <td>{f.concurrency ?? "–"}</td>
                  <td>{fmtNum(f.strict, 3)}</td>
                  <td>{fmtNum(f.flexible, 3)}</td>
                  <td>{fmtNum(f.threshold, 2)}</td>
                  <td>
                    <span class={f.passed ? "ok" : "bad"}>{f.passed ? "passed" : "below threshold"}</span>
                    {f.emulated && <EmulatedBadge />}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function TelemetryCard(props: {
  data: uPlot.AlignedData;
  options: Omit<uPlot.Options, "width" | "height">;
  samples: number;
}) {
  return (
    <div class="card">
      <h3>GPU telemetry of the gang (live)</h3>
      {props.samples < 2 ? <p class="muted small">waiting for heartbeats…</p> : null}
      <UPlotChart options={props.options} data={props.data} optionsKey="telemetry" height={180} />
    </div>
  );
}

export function LogsCard(props: {
  jobId: string;
  attemptId: string | undefined;
  sink: { current: LogSink | null };
  processes: string[];
  older: string[];
  onError: (message: string) => void;
}) {
  const { jobId, attemptId } = props;
  return (
    <div class="card">
      <h3>Logs {attemptId ? <span class="muted small">attempt {attemptId}</span> : null}</h3>
      {attemptId ? (
        <LogView
          sinkRef={props.sink}
          processes={props.processes}
          older={props.older}
          tailPerProcess={LOG_TAIL}
          jobId={jobId}
          attemptId={attemptId}
          onError={props.onError}
        />
      ) : (
        <p class="muted">no attempt yet</p>
      )}
    </div>
  );
}

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
