/**
 * Fleet: every node with SKU, GPUs, labels, domain, state, current attempt and health, live GPU
 * power / utilisation / memory sparklines from heartbeats, filters by SKU / state / domain, and
 * operator actions (drain, undrain, quarantine, release) behind a confirmation.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, fetchAllPages, itemsOf } from "../api.js";
import { StateBadge } from "../components/badge.js";
import { confirmAction } from "../components/confirm.js";
import { FilterSelect } from "../components/filter-select.js";
import { Sparkline } from "../components/sparkline.js";
import type { LiveEvent } from "../events.js";
import { setParams, useFrameRefresh, useLive } from "../hooks.js";
import { fmtNum } from "../lib/format.js";
import { Series, summarizeTelemetry, type TelemetrySample } from "../lib/series.js";
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

interface NodeSeries {
  power: Series;
  util: Series;
  mem: Series;
}

const ACTIONS: Array<{ action: string; label: string; when: (n: NodeView) => boolean; danger?: boolean }> = [
  { action: "drain", label: "Drain", when: (n) => ["idle", "busy", "reserved"].includes(n.state) },
  { action: "undrain", label: "Undrain", when: (n) => n.state === "draining" || n.state === "drained" },
  { action: "quarantine", label: "Quarantine", when: (n) => n.state !== "quarantined", danger: true },
  { action: "release", label: "Release", when: (n) => n.state === "quarantined" },
];

export function FleetView(props: {
  route: Route;
  operator: boolean;
  onError: (m: string) => void;
  onJob: (attemptId: string) => void;
}) {
  const nodes = useRef(new Map<string, NodeView>());
  const series = useRef(new Map<string, NodeSeries>());
  const [loaded, setLoaded] = useState(false);
  const refresh = useFrameRefresh();

  const seriesOf = (id: string): NodeSeries => {
    let s = series.current.get(id);
    if (!s) {
      s = { power: new Series(), util: new Series(), mem: new Series() };
      series.current.set(id, s);
    }
    return s;
  };
  const addTelemetry = (id: string, t: TelemetrySample | undefined) => {
    const sum = summarizeTelemetry(t);
    const s = seriesOf(id);
    s.power.push(sum.powerW);
    s.util.push(sum.utilPct);
    s.mem.push(sum.memUsedGiB);
  };
  const replaceAll = (list: NodeView[]) => {
    nodes.current = new Map(list.map((n) => [n.id, n]));
    for (const n of list)
      if (n.telemetry && !series.current.get(n.id)?.power.data.length) addTelemetry(n.id, n.telemetry);
    setLoaded(true);
    refresh();
  };
  const load = () =>
    fetchAllPages<NodeView>("/nodes")
      .then(replaceAll)
      .catch((e) => props.onError(`nodes: ${(e as Error).message}`));
  useEffect(() => {
    load();
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
        addTelemetry(e.nodeId, e.data as TelemetrySample);
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
            <th>Attempt</th>
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
                <td class="small">
                  {n.attemptId ? (
                    <button type="button" class="link" onClick={() => props.onJob(n.attemptId!)}>
                      {n.attemptId}
                    </button>
                  ) : (
                    "–"
                  )}
                </td>
                <td class="small">
                  {n.health.ok ? "ok" : <span class="bad">{n.health.reasons.join("; ") || "unhealthy"}</span>}
                  {n.adminReason && <div class="muted">{n.adminReason}</div>}
                </td>
                <td>
                  <Sparkline values={s.power.data} color="#dc2626" title="GPU power (sum)" />{" "}
                  <span class="small">{fmtNum(s.power.last, 0)}</span>
                </td>
                <td>
                  <Sparkline values={s.util.data} max={100} color="#16a34a" title="GPU utilisation (mean)" />{" "}
                  <span class="small">{fmtNum(s.util.last, 0)}</span>
                </td>
                <td>
                  <Sparkline values={s.mem.data} color="#7c3aed" title="GPU memory used (sum)" />{" "}
                  <span class="small">{fmtNum(s.mem.last, 0)}</span>
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
