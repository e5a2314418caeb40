/**
 * Agentic results: trace-replay points of the agentic-coding scenario as their own frontier
 * (throughput per GPU against interactivity, one series per model, precision, SKU, framework,
 * spec decoding and KV offloading), with each point's prefix-cache hit rate on the chart and in
 * the table, per-turn latencies on hover, and the job behind each point one click away. Agentic
 * points have no ISL/OSL, so they never appear in the results explorer's frontiers. While a sweep
 * runs, its new points appear as they are stored: the view refetches when a sweep's summary
 * changes (the `sweeps` topic), at most once every {@link REFETCH_MS}.
 */
import type { AgenticFrontier } from "@benchfleet/shared/browser";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api } from "../api.js";
import { AgenticChart } from "../components/agentic-chart.js";
import { EmulatedBadge } from "../components/badge.js";
import { FilterSelect } from "../components/filter-select.js";
import { setParams, useLive } from "../hooks.js";
import {
  agenticTableRows,
  buildAgenticChart,
  hitRateText,
  hostTierText,
  roleHitRateText,
} from "../lib/agentic-chart.js";
import { listParam } from "../lib/explorer.js";
import { fmtNum } from "../lib/format.js";
import type { Route } from "../lib/url-state.js";

/** the least time between two refetches on live sweep events */
const REFETCH_MS = 1000;

export function AgenticView(props: { route: Route; onError: (m: string) => void }) {
  const p = props.route.params;
  const [groups, setGroups] = useState<AgenticFrontier[] | undefined>();
  const [stale, setStale] = useState(0);
  const timer = useRef<number | undefined>(undefined);
  const refetchSoon = () => {
    if (timer.current !== undefined) return;
    timer.current = window.setTimeout(() => {
      timer.current = undefined;
      setStale((n) => n + 1);
    }, REFETCH_MS);
  };
  useEffect(() => () => window.clearTimeout(timer.current), []);
  useLive(
    { topic: "sweeps" },
    (e) => {
      if (e.kind === "sweep") refetchSoon();
    },
    () => setStale((n) => n + 1),
  );
  const emulatedQ = p.emulated === "false" ? "false" : "any";
  const query = new URLSearchParams({ emulated: emulatedQ, ...(p.sweep ? { sweep: p.sweep } : {}) }).toString();
  useEffect(() => {
    let live = true;
    api<{ groups: AgenticFrontier[] }>(`/results/agentic-frontier?${query}`)
      .then((d) => live && setGroups(d.groups))
      .catch((e) => props.onError(`agentic results: ${(e as Error).message}`));
    return () => {
      live = false;
    };
  }, [query, stale]);

  const all = groups ?? [];
  const skus = [...new Set(all.map((g) => g.group.sku))].sort();
  const sweeps = [...new Set(all.flatMap((g) => [...g.points, ...g.dominated].map((q) => q.sweepId)))].sort();
  const chart = useMemo(
    () =>
      buildAgenticChart(all, {
        ...(p.sku ? { skus: listParam(p.sku) } : {}),
        ...(p.kv ? { kvOffloading: p.kv } : {}),
      }),
    [groups, p.sku, p.kv],
  );
  const rows = agenticTableRows(chart);
  const frontier = chart.series.reduce((n, s) => n + s.frontier.length, 0);

  return (
    <section>
      <h2>Agentic coding {chart.emulated && <EmulatedBadge />}</h2>
      <div class="filters">
        <FilterSelect route={props.route} param="sku" label="SKU" values={skus} testId="agentic-sku" />
        <FilterSelect
          route={props.route}
          param="kv"
          label="KV offloading"
          values={["none", "dram"]}
          text={(v) => (v === "none" ? "none (GPU cache only)" : "host DRAM")}
          testId="agentic-kv"
        />
        <FilterSelect route={props.route} param="sweep" label="Sweep" values={sweeps} testId="agentic-sweep" />
        <FilterSelect
          route={props.route}
          param="emulated"
          label="Emulated"
          values={["false"]}
          allLabel="included (badged)"
          text={() => "excluded"}
        />
      </div>
      <div class="card">
        <h3>
          Throughput per GPU vs interactivity{" "}
          <span
            class="muted small"
            data-testid="agentic-stats"
            data-points={chart.pointAt.length}
            data-series={chart.series.length}
            data-frontier={frontier}
          >
            {chart.pointAt.length} points, {chart.series.length} series, {frontier} on frontiers
          </span>
        </h3>
        {groups === undefined ? (
          <p class="muted">loading…</p>
        ) : chart.pointAt.length === 0 ? (
          <p class="muted">no successful agentic point matches</p>
        ) : (
          <AgenticChart chart={chart} testId="agentic-chart" />
        )}
        <p class="muted small">
          Each point replays multi-turn trajectories for a fixed duration; concurrency is trajectories in flight. Labels
          give the engines' prefix-cache hit rate (cached prompt tokens over those looked up).
        </p>
      </div>
      {rows.length > 0 && (
        <div class="card">
          <h3>Points</h3>
          <table class="grid" data-testid="agentic-table">
            <thead>
              <tr>
                <th>Series</th>
                <th>Conc</th>
                <th>tok/s/user</th>
                <th>tok/s/GPU</th>
                <th>Hit rate</th>
                <th>Hit by role</th>
                <th>Host tier / budget</th>
                <th>TTFT p50 / p99 ms</th>
                <th>ITL p50 / p99 ms</th>
                <th>E2E p50 / p99 ms</th>
                <th>Turns</th>
                <th>Errors</th>
                <th>Job</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ series, point: q, onFrontier }) => (
                <tr key={q.rowId} data-frontier={onFrontier ? "1" : "0"}>
                  <td>
                    {series}
                    {onFrontier ? "" : " (dominated)"}
                    {q.emulated && <EmulatedBadge />}
                  </td>
                  <td>{q.concurrency}</td>
                  <td>{fmtNum(q.x)}</td>
                  <td>{fmtNum(q.y)}</td>
                  <td data-testid="agentic-hit-rate">{hitRateText(q)}</td>
                  <td data-testid="agentic-role-hit-rates">{roleHitRateText(q)}</td>
                  <td data-testid="agentic-host-tier" title={q.hostTier?.detail ?? "not recorded"}>
                    {hostTierText(q)} / {q.dramOffloadGb} GB
                  </td>
                  <td>
                    {fmtNum(q.turns.ttftMs.median)} / {fmtNum(q.turns.ttftMs.p99)}
                  </td>
                  <td>
                    {fmtNum(q.turns.itlMs.median)} / {fmtNum(q.turns.itlMs.p99)}
                  </td>
                  <td>
                    {fmtNum(q.turns.e2elMs.median)} / {fmtNum(q.turns.e2elMs.p99)}
                  </td>
                  <td>{q.requests}</td>
                  <td>{`${(q.errorRatio * 100).toFixed(1)}%`}</td>
                  <td>{q.jobId ? <a href={`#/jobs/${encodeURIComponent(q.jobId)}`}>{q.jobId}</a> : "imported"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
