/**
 * Results explorer: frontier charts (throughput/GPU, energy per token or TTFT against
 * interactivity), grouped by SKU / framework / precision / spec / model, log-scale toggle, hover
 * shows the configuration behind a point, a table at target interactivities, and the analytics
 * API's cost frontier, history and sweep comparison. Emulated results are badged everywhere.
 */
import type { FrontierView } from "@benchfleet/shared/browser";
import { useEffect, useMemo, useState } from "preact/hooks";
import type uPlot from "uplot";
import { ApiError, api, itemsOf } from "../api.js";
import { EmulatedBadge } from "../components/badge.js";
import { FilterSelect } from "../components/filter-select.js";
import { FrontierChart } from "../components/frontier-chart.js";
import { SweepComparison } from "../components/sweep-comparison.js";
import { UPlotChart } from "../components/uplot-chart.js";
import { setParams } from "../hooks.js";
import { fmtNum } from "../lib/format.js";
import {
  buildChart,
  type ChartRow,
  GROUP_BY,
  type GroupBy,
  PALETTE,
  tableAtTargets,
  Y_METRICS,
  type YMetric,
} from "../lib/frontier-chart.js";
import type { Route } from "../lib/url-state.js";

/** A JSON answer of the analytics API shown as a table (its rows' scalar fields). */
function GenericTable(props: { rows: Array<Record<string, unknown>>; testId: string }) {
  const cols = useMemo(() => {
    const s = new Set<string>();
    for (const r of props.rows.slice(0, 50))
      for (const [k, v] of Object.entries(r)) if (v === null || typeof v !== "object") s.add(k);
    return [...s].slice(0, 14);
  }, [props.rows]);
  if (props.rows.length === 0) return <p class="muted">no rows</p>;
  return (
    <table class="grid" data-testid={props.testId}>
      <thead>
        <tr>
          {cols.map((c) => (
            <th key={c}>{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.slice(0, 500).map((r, i) => (
          <tr key={i}>
            {cols.map((c) => {
              const v = r[c];
              return (
                <td key={c}>
                  {typeof v === "number"
                    ? fmtNum(v, 2)
                    : typeof v === "boolean"
                      ? v
                        ? "yes"
                        : "no"
                      : String(v ?? "–")}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Rows of an analytics answer, whatever its top-level key. */
function rowsOf(d: unknown): Array<Record<string, unknown>> {
  if (Array.isArray(d)) return d as Array<Record<string, unknown>>;
  const o = (d ?? {}) as Record<string, unknown>;
  // history: one row per sweep × group with its best frontier throughput
  if (Array.isArray(o.entries))
    return (
      o.entries as Array<{
        sweepId: string;
        date: string;
        image: string;
        engineVersion?: string;
        groups: Array<{ key: string; measured: number; frontier: Array<{ tputPerGpu: number }> }>;
      }>
    ).flatMap((e) =>
      e.groups.map((g) => ({
        sweep: e.sweepId,
        date: e.date.slice(0, 10),
        image: e.image,
        engine: e.engineVersion ?? "",
        group: g.key,
        measured: g.measured,
        frontierPoints: g.frontier.length,
        bestTputPerGpu: Math.max(...g.frontier.map((p) => p.tputPerGpu)),
      })),
    );
  for (const k of ["items", "rows", "groups", "frontiers", "points", "deltas", "history"])
    if (Array.isArray(o[k])) return o[k] as Array<Record<string, unknown>>;
  return [];
}

function AnalyticsSection(props: { title: string; path: string | undefined; testId: string; hint: string }) {
  const [state, setState] = useState<{ rows?: Array<Record<string, unknown>>; error?: string }>({});
  useEffect(() => {
    if (!props.path) return setState({});
    let live = true;
    api(props.path)
      .then((d) => live && setState({ rows: rowsOf(d) }))
      .catch(
        (e) =>
          live &&
          setState({
            error:
              e instanceof ApiError && e.status === 404 ? "not available from this controller" : (e as Error).message,
          }),
      );
    return () => {
      live = false;
    };
  }, [props.path]);
  return (
    <div class="card">
      <h3>{props.title}</h3>
      {!props.path ? (
        <p class="muted small">{props.hint}</p>
      ) : state.error ? (
        <p class="muted">{state.error}</p>
      ) : state.rows ? (
        <GenericTable rows={state.rows} testId={props.testId} />
      ) : (
        <p class="muted">loading…</p>
      )}
    </div>
  );
}

type ServerFrontierGroup = Pick<FrontierView, "key" | "points">;

/** The analytics API's frontiers on a second axis pair (cost or energy vs interactivity), with the SKU catalog's rates applied server-side. */
function ServerFrontier(props: { path: string; log: boolean }) {
  const [y, setY] = useState("cost");
  const [groups, setGroups] = useState<ServerFrontierGroup[] | undefined>();
  const [error, setError] = useState("");
  useEffect(() => {
    let live = true;
    api<{ groups: ServerFrontierGroup[] }>(`${props.path}&x=interactivity&y=${y}`)
      .then((d) => {
        if (!live) return;
        setGroups(d.groups);
        setError("");
      })
      .catch((e) => live && setError((e as Error).message));
    return () => {
      live = false;
    };
  }, [props.path, y]);
  const model = useMemo(() => {
    const pts = (groups ?? [])
      .flatMap((g, gi) => g.points.map((p) => ({ gi, x: p.x, y: p.y })))
      .sort((a, b) => a.x - b.x);
    const data: Array<Array<number | null>> = [pts.map((p) => p.x)];
    (groups ?? []).forEach((_, gi) => data.push(pts.map((p) => (p.gi === gi ? p.y : null))));
    return data;
  }, [groups]);
  const key = `${y}|${props.log}|${(groups ?? []).map((g) => g.key).join(",")}`;
  const options = useMemo<Omit<uPlot.Options, "width" | "height">>(
    () => ({
      scales: { x: { time: false, distr: props.log ? 3 : 1 }, y: { distr: props.log ? 3 : 1 } },
      axes: [
        { label: "Interactivity (tok/s/user)" },
        { label: y.startsWith("cost") ? "$ per M tokens" : y === "joulesPerToken" ? "J per token" : y, size: 70 },
      ],
      series: [
        {},
        ...(groups ?? []).map((g, i) => ({
          label: g.key,
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          spanGaps: true,
          points: { show: true, size: 7 },
        })),
      ],
      legend: { live: false },
    }),
    [key],
  );
  return (
    <div class="card">
      <h3>
        Frontier from the analytics API{" "}
        <select value={y} onChange={(e) => setY((e.target as HTMLSelectElement).value)} data-testid="server-frontier-y">
          <option value="cost">cost per M tokens (hyperscaler)</option>
          <option value="costNeocloud">cost per M tokens (neocloud)</option>
          <option value="costRental">cost per M tokens (rental)</option>
          <option value="joulesPerToken">energy per token (J)</option>
        </select>{" "}
        <span class="muted small" data-testid="server-frontier-stats" data-groups={groups?.length ?? 0}>
          {groups ? `${groups.length} groups` : ""}
        </span>
      </h3>
      {error ? <p class="muted">{error}</p> : groups && groups.length === 0 ? <p class="muted">no frontier</p> : null}
      {groups && groups.length > 0 && (
        <UPlotChart
          options={options}
          data={model as uPlot.AlignedData}
          optionsKey={key}
          height={300}
          testId="server-frontier-chart"
        />
      )}
    </div>
  );
}

export function ResultsView(props: { route: Route; onError: (m: string) => void }) {
  const p = props.route.params;
  const [rows, setRows] = useState<ChartRow[] | undefined>();
  const y = (p.y as YMetric) in Y_METRICS ? (p.y as YMetric) : "tputPerGpu";
  const by = (GROUP_BY as readonly string[]).includes(p.group ?? "") ? (p.group as GroupBy) : "sku";
  const log = p.log === "1";
  const targets = (p.targets ?? "20,35,50,100")
    .split(",")
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0);

  useEffect(() => {
    const qs = new URLSearchParams({ emulated: p.emulated === "false" ? "false" : "any", limit: "5000" });
    if (p.sweep) qs.set("sweep", p.sweep);
    if (p.sku) qs.set("sku", p.sku);
    api(`/results?${qs}`)
      .then((d) => setRows(itemsOf<ChartRow>(d)))
      .catch((e) => props.onError(`results: ${(e as Error).message}`));
  }, [p.sweep, p.sku, p.emulated]);

  const filtered = useMemo(
    () =>
      (rows ?? []).filter(
        (r) =>
          (!p.model || r.model === p.model) &&
          (!p.isl || String(r.isl) === p.isl) &&
          (!p.osl || String(r.osl) === p.osl) &&
          (!p.framework || r.framework === p.framework),
      ),
    [rows, p.model, p.isl, p.osl, p.framework],
  );
  const chart = useMemo(() => buildChart(filtered, y, by), [filtered, y, by]);
  const distinct = (f: (r: ChartRow) => string | number) =>
    [...new Set((rows ?? []).map(f).map(String))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const select = (key: string, label: string, values: readonly string[], allLabel = "all", fallback = "") => (
    <FilterSelect
      route={props.route}
      param={key}
      label={label}
      values={values}
      allLabel={allLabel}
      fallback={fallback}
      testId={`results-${key}`}
    />
  );
  const table = useMemo(() => tableAtTargets(chart.groups, targets), [chart, p.targets]);
  const emulatedQ = p.emulated === "false" ? "false" : "any";
  const frontierQs = new URLSearchParams({ emulated: emulatedQ });
  for (const k of ["model", "isl", "osl", "sku"] as const) if (p[k]) frontierQs.set(k === "sku" ? "skus" : k, p[k]!);

  return (
    <section>
      <h2>Results {chart.emulated && <EmulatedBadge />}</h2>
      <div class="filters">
        {select(
          "sweep",
          "Sweep",
          distinct((r) => r.sweepId),
        )}
        {select(
          "model",
          "Model",
          distinct((r) => r.model),
        )}
        {select(
          "isl",
          "ISL",
          distinct((r) => r.isl),
        )}
        {select(
          "osl",
          "OSL",
          distinct((r) => r.osl),
        )}
        {select(
          "sku",
          "SKU",
          distinct((r) => r.sku),
        )}
        {select(
          "framework",
          "Framework",
          distinct((r) => r.framework),
        )}
        <label>
          Emulated{" "}
          <select
            value={p.emulated ?? ""}
            onChange={(e) => setParams(props.route, { emulated: (e.target as HTMLSelectElement).value })}
          >
            <option value="">included (badged)</option>
            <option value="false">excluded</option>
          </select>
        </label>
      </div>
      <div class="filters">
        {select("y", "Y", Object.keys(Y_METRICS), "", "tputPerGpu")}
        {select("group", "Group by", GROUP_BY, "", "sku")}
        <label>
          <input
            type="checkbox"
            checked={log}
            onChange={(e) => setParams(props.route, { log: (e.target as HTMLInputElement).checked ? "1" : undefined })}
            data-testid="log-scale"
          />{" "}
          log scale
        </label>
      </div>
      <div class="card">
        <h3>
          {Y_METRICS[y].label} vs interactivity{" "}
          <span
            class="muted small"
            data-testid="chart-stats"
            data-points={chart.rowAt.length}
            data-frontier={chart.groups.reduce((s, g) => s + g.frontier.length, 0)}
          >
            {chart.rowAt.length} points, {chart.groups.length} groups,{" "}
            {chart.groups.reduce((s, g) => s + g.frontier.length, 0)} on frontiers
          </span>
        </h3>
        {rows === undefined ? (
          <p class="muted">loading…</p>
        ) : chart.rowAt.length === 0 ? (
          <p class="muted">no successful points match</p>
        ) : null}
        <FrontierChart chart={chart} y={y} log={log} testId="frontier-chart" />
      </div>
      <div class="card">
        <h3>
          Throughput per GPU at target interactivity{" "}
          <input
            value={p.targets ?? "20,35,50,100"}
            size={18}
            onChange={(e) => setParams(props.route, { targets: (e.target as HTMLInputElement).value })}
            title="comma-separated tok/s/user"
          />
        </h3>
        <table class="grid" data-testid="at-table">
          <thead>
            <tr>
              <th>Group</th>
              {targets.map((t) => (
                <th key={t}>@ {t} tok/s/user</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.map((r) => (
              <tr key={r.key}>
                <td>
                  {r.key}
                  {r.emulated && <EmulatedBadge />}
                </td>
                {r.cells.map((c, i) => (
                  <td key={i} title={c.message}>
                    {c.ok ? fmtNum(c.value) : <span class="muted small">out of range</span>}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        <p class="muted small">
          Monotone cubic along each group's frontier; no extrapolation beyond the measured range.
        </p>
      </div>
      <ServerFrontier path={`/results/frontier?${frontierQs}`} log={log} />
      <AnalyticsSection
        title="History (frontier per date)"
        path={
          p.configKey
            ? `/results/history?configKey=${encodeURIComponent(p.configKey)}&emulated=${emulatedQ}`
            : undefined
        }
        testId="history"
        hint="add configKey=<key> to the URL or pick a config key below"
      />
      <div class="filters">
        {select("configKey", "History of config key", [...new Set((rows ?? []).map((r) => r.configKey))].sort())}
        {select(
          "a",
          "Compare sweep A",
          distinct((r) => r.sweepId),
        )}
        {select(
          "b",
          "with sweep B",
          distinct((r) => r.sweepId),
        )}
      </div>
      {p.a && p.b ? (
        <SweepComparison
          sweepIds={[p.a, p.b]}
          y={y}
          by="none"
          log={log}
          filters={{ model: p.model, isl: p.isl, osl: p.osl }}
        />
      ) : (
        <div class="card">
          <h3>Compare two sweeps</h3>
          <p class="muted small">
            pick sweeps A and B, or open <a href="#/compare">Compare</a> for more than two
          </p>
        </div>
      )}
    </section>
  );
}
