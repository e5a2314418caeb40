/**
 * Fleet: every node with SKU, GPUs, labels, domain, state, the job it runs (configuration,
 * parallelism, current point and progress) and health, live GPU
 * power / utilisation / memory sparklines from heartbeats, filters by SKU / state / domain, and
 * operator actions (drain, undrain, quarantine, release) behind a confirmation.
 */

import { durationText, type JobView, liveText, type TelemetryPoint } from "@benchfleet/shared/browser";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, fetchAllPages, itemsOf } from "../api.js";
import { StateBadge } from "../components/badge.js";
import { confirmAction } from "../components/confirm.js";
import { FilterSelect } from "../components/filter-select.js";
import { Sparkline } from "../components/sparkline.js";
import type { LiveEvent } from "../events.js";
import { setParams, useFrameRefresh, useLive } from "../hooks.js";
import { fmtNum } from "../lib/format.js";
import { type TelemetrySample, TelemetrySeries } from "../lib/series.js";
import { distinct, queryRows } from "../lib/table-model.js";
import type { Route } from "../lib/url-state.js";

export interface NodeView {
  id: string;
  info: {
    hostname: string;
    sku: string;
    gpuCount: number;
    labels: string[];
    domain: string;
    launcher: string;
    emulated: boolean;
    slurm?: { partition: string; nodes: number };
  };
  state: string;
  adminReason?: string;
  attemptId?: string;
  heldFor?: string;
  health: { ok: boolean; reasons: string[] };
  telemetry?: TelemetrySample;
}

const ACTIONS: Array<{ action: string; label: string; when: (n: NodeView) => boolean; danger?: boolean }> = [
  { action: "drain", label: "Drain", when: (n) => ["idle", "busy", "reserved"].includes(n.state) },
  { action: "undrain", label: "Undrain", when: (n) => n.state === "draining" || n.state === "drained" },
  { action: "quarantine", label: "Quarantine", when: (n) => n.state !== "quarantined", danger: true },
  { action: "release", label: "Release", when: (n) => n.state === "quarantined" },
];

/** running jobs are fetched this often (their progress reports come every ~2 s) */
const LIVE_POLL_MS = 2000;

export function FleetView(props: {
  route: Route;
  operator: boolean;
  onError: (m: string) => void;
  onJob: (attemptId: string) => void;
}) {
  const nodes = useRef(new Map<string, NodeView>());
  const series = useRef(new Map<string, TelemetrySeries>());
  const [loaded, setLoaded] = useState(false);
  const refresh = useFrameRefresh();
  /** node id → the running job on it (its live part names the gang) */
  const jobOfNode = useRef(new Map<string, JobView>());

  const seriesOf = (id: string): TelemetrySeries => {
    let s = series.current.get(id);
    if (!s) {
      s = new TelemetrySeries();
      series.current.set(id, s);
    }
    return s;
  };
  const replaceAll = (list: NodeView[]) => {
    nodes.current = new Map(list.map((n) => [n.id, n]));
    for (const n of list) if (n.telemetry) seriesOf(n.id).add(n.telemetry);
    setLoaded(true);
    refresh();
  };
  // the last minutes of every node's telemetry, so the sparklines do not start empty
  const loadHistory = () =>
    api<{ nodes: Array<{ nodeId: string; points: TelemetryPoint[] }> }>("/telemetry")
      .then((h) => {
        for (const n of h.nodes) seriesOf(n.nodeId).merge(n.points);
        refresh();
      })
      .catch((e) => props.onError(`telemetry history: ${(e as Error).message}`));
  const load = () =>
    Promise.all([
      fetchAllPages<NodeView>("/nodes")
        .then(replaceAll)
        .catch((e) => props.onError(`nodes: ${(e as Error).message}`)),
      loadHistory(),
    ]);
  useEffect(() => {
    load();
  }, []);

  // the running jobs, with their nodes and progress (reported every ~2 s)
  const loadRunning = () =>
    fetchAllPages<JobView>("/jobs?status=running")
      .then((list) => {
        const m = new Map<string, JobView>();
        for (const j of list) for (const id of j.live?.nodes ?? []) m.set(id, j);
        jobOfNode.current = m;
        refresh();
      })
      .catch(() => undefined);
  useEffect(() => {
    loadRunning();
    const timer = setInterval(loadRunning, LIVE_POLL_MS);
    return () => clearInterval(timer);
  }, []);

  useLive(
    { topic: "fleet" },
    (e: LiveEvent) => {
      if (e.kind === "snapshot" && e.topic === "fleet") {
        const list = itemsOf<NodeView>(e.data ?? e, "nodes");
        if (list.length) replaceAll(list);
      } else if (e.kind === "node" && e.nodeId && e.data) {
        nodes.current.set(e.nodeId, e.data as NodeView);
        refresh();
      } else if (e.kind === "node-removed" && e.nodeId) {
        nodes.current.delete(e.nodeId);
        refresh();
      } else if (e.kind === "telemetry" && e.nodeId) {
        seriesOf(e.nodeId).add(e.data as TelemetrySample);
        refresh();
      }
    },
    load,
  );

  const all = [...nodes.current.values()];
  const p = props.route.params;
  const rows = queryRows(all, {
    filters: { sku: p.sku, state: p.state, domain: p.domain },
    get: (n, k) => (k === "state" ? n.state : (n.info as unknown as Record<string, unknown>)[k]),
    search: p.q,
    searchIn: (n) => `${n.id} ${n.info.hostname} ${n.info.labels.join(" ")}`,
    sortKey: "id",
  });

  const act = (n: NodeView, a: (typeof ACTIONS)[number]) =>
    confirmAction({
      title: `${a.label} node ${n.id}?`,
      body:
        a.action === "drain"
          ? "The current attempt finishes; no new work is assigned."
          : a.action === "quarantine"
            ? "The node gets no work until it is released."
            : undefined,
      confirmLabel: a.label,
      danger: a.danger,
      run: () => api(`/nodes/${encodeURIComponent(n.id)}/${a.action}`, { method: "POST", body: {} }).then(load),
    });

  const counts: Record<string, number> = {};
  for (const n of all) counts[n.state] = (counts[n.state] ?? 0) + 1;

  return (
    <section>
      <h2>Fleet</h2>
      <div class="summary">
        {all.length} nodes · {all.reduce((s, n) => s + n.info.gpuCount, 0)} GPUs
        {Object.entries(counts).map(([s, c]) => (
          <span key={s} class="summary-item">
            <StateBadge state={s} /> {c}
          </span>
        ))}
      </div>
      <div class="filters">
        <FilterSelect route={props.route} param="sku" label="SKU" values={distinct(all, (n) => n.info.sku)} />
        <FilterSelect route={props.route} param="state" label="State" values={distinct(all, (n) => n.state)} />
        <FilterSelect route={props.route} param="domain" label="Domain" values={distinct(all, (n) => n.info.domain)} />
        <input
          type="search"
          placeholder="search id, host, label"
          value={p.q ?? ""}
          onInput={(e) => setParams(props.route, { q: (e.target as HTMLInputElement).value })}
        />
      </div>
      {!loaded && <p class="muted">loading…</p>}
      <table class="grid" data-testid="fleet-table">
        <thead>
          <tr>
            <th>Node</th>
            <th>SKU</th>
            <th>GPUs</th>
            <th>Labels</th>
            <th>Domain</th>
            <th>State</th>
            <th>Job</th>
            <th>Health</th>
            <th>Power W</th>
            <th>Util %</th>
            <th>Mem GiB</th>
            {props.operator && <th>Actions</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((n) => {
            const s = seriesOf(n.id);
            return (
              <tr key={n.id} data-node={n.id}>
                <td>
                  <b>{n.id}</b>
                  <div class="muted small">
                    {n.info.hostname}
                    {n.info.emulated ? " · emulated" : ""}
                    {n.info.slurm ? ` · slurm ${n.info.slurm.partition} (${n.info.slurm.nodes})` : ""}
                  </div>
                </td>
                <td>{n.info.sku}</td>
                <td>{n.info.gpuCount}</td>
                <td class="small">{n.info.labels.join(", ")}</td>
                <td>{n.info.domain}</td>
                <td>
                  <StateBadge state={n.state} />
                  {n.heldFor && <div class="muted small">held for {n.heldFor}</div>}
                </td>
                <td class="small" data-testid="node-job">
                  <NodeJob node={n} job={jobOfNode.current.get(n.id)} onJob={props.onJob} />
                </td>
                <td class="small">
                  {n.health.ok ? "ok" : <span class="bad">{n.health.reasons.join("; ") || "unhealthy"}</span>}
                  {n.adminReason && <div class="muted">{n.adminReason}</div>}
                </td>
                <td>
                  <Sparkline values={s.values("powerW")} color="#dc2626" title="GPU power (sum)" />{" "}
                  <span class="small">{fmtNum(s.last("powerW"), 0)}</span>
                </td>
                <td>
                  <Sparkline values={s.values("utilPct")} max={100} color="#16a34a" title="GPU utilisation (mean)" />{" "}
                  <span class="small">{fmtNum(s.last("utilPct"), 0)}</span>
                </td>
                <td>
                  <Sparkline values={s.values("memUsedGiB")} color="#7c3aed" title="GPU memory used (sum)" />{" "}
                  <span class="small">{fmtNum(s.last("memUsedGiB"), 0)}</span>
                </td>
                {props.operator && (
                  <td class="actions">
                    {ACTIONS.filter((a) => a.when(n)).map((a) => (
                      <button
                        key={a.action}
                        type="button"
                        class={a.danger ? "danger small" : "small"}
                        onClick={() => act(n, a)}
                        data-action={a.action}
                      >
                        {a.label}
                      </button>
                    ))}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

/** The job a node runs: its configuration, parallelism, point and progress; a link to the job. */
function NodeJob(props: { node: NodeView; job: JobView | undefined; onJob: (attemptId: string) => void }) {
  const { node, job } = props;
  if (job?.live) {
    const rank = job.live.nodes.indexOf(node.id);
    return (
      <>
        <a href={`#/jobs/${encodeURIComponent(job.jobId)}`} title={job.jobId}>
          {job.configKey}
        </a>
        <div>
          {job.parallelism ?? ""} · conc {(job.concurrencies ?? []).join(",")}
          {job.live.nodes.length > 1 ? ` · rank ${rank} of ${job.live.nodes.length}` : ""}
        </div>
        <div class="muted">
          {liveText(job.live, job.pointsTotal)} · {durationText(job.live.elapsedS)}
        </div>
      </>
    );
  }
  if (!node.attemptId) return <>–</>;
  return (
    <button type="button" class="link" onClick={() => props.onJob(node.attemptId!)}>
      {node.attemptId}
    </button>
  );
}
