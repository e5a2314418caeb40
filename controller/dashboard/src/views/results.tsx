/**
 * Results explorer: one model family and one ISL/OSL at a time (never pooled), filtered by
 * precision, SKU, framework, spec decoding and sweep; series by any combination of SKU ×
 * framework × precision × spec decoding; x interactivity / E2E latency / TTFT against y throughput
 * per GPU / cost per M tokens / energy per token, on a main and a second chart that both honour
 * every filter; the table at target x values; history of a configuration. Emulated results are
 * badged everywhere.
 */
import type { ExplorerPoint } from "@benchfleet/shared/browser";
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, api } from "../api.js";
import { EmulatedBadge } from "../components/badge.js";
import { ExplorerChart } from "../components/explorer-chart.js";
import { FilterSelect } from "../components/filter-select.js";
import { setParams } from "../hooks.js";
import {
  buildExplorerChart,
  defaultTargets,
  type ExplorerChart as ExplorerChartModel,
  type ExplorerFilter,
  explorerTable,
  listParam,
  pooledDims,
  type Scenario,
  SERIES_DIMS,
  scenarioKey,
  scenarios,
  selectPoints,
  X_AXES,
  type XAxis,
  Y_AXES,
  type YAxis,
} from "../lib/explorer.js";
import { fmtNum } from "../lib/format.js";
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

/** Checkboxes over `values` kept in the URL as a comma list; unset means all. */
function Checks(props: {
  route: Route;
  param: string;
  label: string;
  values: readonly string[];
  text?: (v: string) => string;
  /** unset: all values (the default) or none of them */
  unsetMeans?: "all" | "none";
}) {
  const { route, param, values } = props;
  const given = listParam(route.params[param]);
  const chosen = given ?? (props.unsetMeans === "none" ? [] : values);
  const toggle = (v: string, on: boolean) => {
    const next = values.filter((x) => (x === v ? on : chosen.includes(x)));
    setParams(route, {
      [param]: next.length === values.length && props.unsetMeans !== "none" ? undefined : next.join(","),
    });
  };
  return (
    <span class="checks" data-testid={`results-${param}`}>
      {props.label}:{" "}
      {values.map((v) => (
        <label key={v}>
          <input
            type="checkbox"
            value={v}
            checked={chosen.includes(v)}
            onChange={(e) => toggle(v, (e.target as HTMLInputElement).checked)}
          />
          {props.text ? props.text(v) : v}{" "}
        </label>
      ))}
    </span>
  );
}

const distinctOf = (points: readonly ExplorerPoint[], f: (p: ExplorerPoint) => string) =>
  [...new Set(points.map(f))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));

function TargetsTable(props: { chart: ExplorerChartModel; x: XAxis; y: YAxis; targets: number[]; route: Route }) {
  const { chart, x, y, targets } = props;
  const rows = explorerTable(chart, x, y, targets);
  return (
    <div class="card">
      <h3>
        {Y_AXES[y].label} at target {X_AXES[x].short}{" "}
        <input
          value={targets.join(",")}
          size={22}
          data-testid="at-targets"
          onChange={(e) => setParams(props.route, { targets: (e.target as HTMLInputElement).value || undefined })}
          title={`comma-separated ${X_AXES[x].short}`}
        />
      </h3>
      <table class="grid" data-testid="at-table">
        <thead>
          <tr>
            <th>Series</th>
            {targets.map((t) => (
              <th key={t}>
                @ {fmtNum(t)} {X_AXES[x].short}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              <td>
                {r.key}
                {r.emulated && <EmulatedBadge />}
              </td>
              {r.cells.map((c, i) => (
                <td key={i} title={c.message} data-ok={c.ok ? "1" : "0"}>
                  {c.ok ? fmtNum(c.value, y === "tputPerGpu" ? 1 : 3) : <span class="muted small">out of range</span>}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted small">
        Monotone cubic along each series' frontier; no extrapolation beyond the measured range. Default targets lie
        inside the range the frontiers cover.
      </p>
    </div>
  );
}

function ChartCard(props: {
  title: string;
  chart: ExplorerChartModel;
  x: XAxis;
  y: YAxis;
  log: boolean;
  testId: string;
  statsId: string;
  height?: number;
}) {
  const { chart } = props;
  const frontier = chart.series.reduce((n, s) => n + s.frontier.length, 0);
  return (
    <div class="card">
      <h3>
        {props.title}{" "}
        <span
          class="muted small"
          data-testid={props.statsId}
          data-points={chart.pointAt.length}
          data-series={chart.series.length}
          data-frontier={frontier}
        >
          {chart.pointAt.length} points, {chart.series.length} series, {frontier} on frontiers
        </span>
      </h3>
      {chart.pointAt.length === 0 ? (
        <p class="muted">no successful point with both values matches</p>
      ) : (
        <ExplorerChart
          chart={chart}
          x={props.x}
          y={props.y}
          log={props.log}
          testId={props.testId}
          height={props.height}
        />
      )}
    </div>
  );
}

export function ResultsView(props: { route: Route; onError: (m: string) => void }) {
  const p = props.route.params;
  const [points, setPoints] = useState<ExplorerPoint[] | undefined>();
  const emulatedQ = p.emulated === "false" ? "false" : "any";
  useEffect(() => {
    api<{ points: ExplorerPoint[] }>(`/results/points?emulated=${emulatedQ}`)
      .then((d) => setPoints(d.points))
      .catch((e) => props.onError(`results: ${(e as Error).message}`));
  }, [emulatedQ]);

  const all = points ?? [];
  const list = scenarios(all);
  const chosen = list.find((s) => s.family === p.model && String(s.isl) === p.isl && String(s.osl) === p.osl);
  const scenario: Scenario | undefined = chosen ?? list[0];
  const inScenario = useMemo(
    () => (scenario ? selectPoints(all, scenario) : []),
    [points, scenario && scenarioKey(scenario)],
  );
  const filter: ExplorerFilter = {
    precisions: listParam(p.precision),
    skus: listParam(p.sku),
    frameworks: listParam(p.framework),
    ...(p.spec === "on" || p.spec === "off" ? { spec: p.spec } : {}),
    ...(p.sweep ? { sweep: p.sweep } : {}),
  };
  const selected = useMemo(
    () => (scenario ? selectPoints(inScenario, scenario, filter) : []),
    [inScenario, p.precision, p.sku, p.framework, p.spec, p.sweep],
  );
  const x: XAxis = p.x && p.x in X_AXES ? (p.x as XAxis) : "interactivity";
  const y: YAxis = p.y && p.y in Y_AXES ? (p.y as YAxis) : "tputPerGpu";
  const y2: YAxis = p.y2 && p.y2 in Y_AXES ? (p.y2 as YAxis) : y === "cost" ? "tputPerGpu" : "cost";
  const dims = listParam(p.series, SERIES_DIMS) ?? [...SERIES_DIMS];
  const log = p.log === "1";
  const chart = useMemo(() => buildExplorerChart(selected, x, y, dims), [selected, x, y, dims.join(",")]);
  const chart2 = useMemo(() => buildExplorerChart(selected, x, y2, dims), [selected, x, y2, dims.join(",")]);
  const given = (p.targets ?? "")
    .split(",")
    .map(Number)
    .filter((n) => Number.isFinite(n) && n > 0);
  const targets = given.length ? given : defaultTargets(chart, x);
  const pooled = pooledDims(selected, dims);
  const setScenario = (v: string) => {
    const s = list.find((c) => scenarioKey(c) === v);
    if (s)
      setParams(props.route, {
        model: s.family,
        isl: String(s.isl),
        osl: String(s.osl),
        precision: undefined,
        sku: undefined,
        framework: undefined,
        targets: undefined,
      });
  };
  const sweeps = distinctOf(inScenario, (q) => q.sweepId);

  return (
    <section>
      <h2>Results {chart.emulated && <EmulatedBadge />}</h2>
      <div class="filters">
        <label>
          Model and ISL/OSL{" "}
          <select
            value={scenario ? scenarioKey(scenario) : ""}
            onChange={(e) => setScenario((e.target as HTMLSelectElement).value)}
            data-testid="results-scenario"
          >
            {list.map((s) => (
              <option key={scenarioKey(s)} value={scenarioKey(s)}>
                {s.family} · ISL/OSL {s.isl}/{s.osl} ({s.points} points)
              </option>
            ))}
          </select>
        </label>
        <FilterSelect route={props.route} param="sweep" label="Sweep" values={sweeps} testId="results-sweep" />
        <FilterSelect
          route={props.route}
          param="spec"
          label="Spec decoding"
          values={["on", "off"]}
          text={(v) => (v === "on" ? "MTP / spec only" : "without spec only")}
          allLabel="with and without"
          testId="results-spec"
        />
        <FilterSelect
          route={props.route}
          param="emulated"
          label="Emulated"
          values={["false"]}
          allLabel="included (badged)"
          text={() => "excluded"}
        />
      </div>
      <div class="filters">
        <Checks
          route={props.route}
          param="precision"
          label="Precision"
          values={distinctOf(inScenario, (q) => q.precision)}
        />
        <Checks route={props.route} param="sku" label="SKU" values={distinctOf(inScenario, (q) => q.sku)} />
        <Checks
          route={props.route}
          param="framework"
          label="Framework"
          values={distinctOf(inScenario, (q) => q.framework)}
        />
      </div>
      <div class="filters">
        <Checks
          route={props.route}
          param="series"
          label="Series by"
          values={SERIES_DIMS}
          text={(d) => (d === "spec" ? "spec decoding" : d)}
        />
        <FilterSelect
          route={props.route}
          param="x"
          label="X"
          values={Object.keys(X_AXES)}
          allLabel=""
          fallback="interactivity"
          text={(v) => X_AXES[v as XAxis].label}
          testId="results-x"
        />
        <FilterSelect
          route={props.route}
          param="y"
          label="Y"
          values={Object.keys(Y_AXES)}
          allLabel=""
          fallback="tputPerGpu"
          text={(v) => Y_AXES[v as YAxis].label}
          testId="results-y"
        />
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
      {pooled.length > 0 && (
        <p class="notice small" data-testid="results-pooled">
          Each series pools {pooled.join(", ")}: add {pooled.length === 1 ? "it" : "them"} to "Series by" to split.
        </p>
      )}
      {points === undefined ? (
        <p class="muted">loading…</p>
      ) : list.length === 0 ? (
        <p class="muted">no successful points</p>
      ) : null}
      <ChartCard
        title={`${Y_AXES[y].label} vs ${X_AXES[x].label}`}
        chart={chart}
        x={x}
        y={y}
        log={log}
        testId="frontier-chart"
        statsId="chart-stats"
      />
      <TargetsTable chart={chart} x={x} y={y} targets={targets} route={props.route} />
      <div class="filters">
        <FilterSelect
          route={props.route}
          param="y2"
          label="Second chart"
          values={Object.keys(Y_AXES)}
          allLabel=""
          fallback={y2}
          text={(v) => Y_AXES[v as YAxis].label}
          testId="results-y2"
        />
      </div>
      <ChartCard
        title={`${Y_AXES[y2].label} vs ${X_AXES[x].label}`}
        chart={chart2}
        x={x}
        y={y2}
        log={log}
        testId="second-chart"
        statsId="second-chart-stats"
        height={300}
      />
      <AnalyticsSection
        title="History (frontier per date)"
        path={
          p.configKey
            ? `/results/history?configKey=${encodeURIComponent(p.configKey)}&emulated=${emulatedQ}`
            : undefined
        }
        testId="history"
        hint="pick a config key below"
      />
      <div class="filters">
        <FilterSelect
          route={props.route}
          param="configKey"
          label="History of config key"
          values={distinctOf(selected, (q) => q.configKey)}
          testId="results-configKey"
        />
        {sweeps.length >= 2 && scenario && (
          <a
            href={`#/compare?sweeps=${sweeps.slice(-2).join(",")}&model=${encodeURIComponent(scenario.family)}&isl=${scenario.isl}&osl=${scenario.osl}`}
            data-testid="results-compare-link"
          >
            compare the last two sweeps of this scenario
          </a>
        )}
      </div>
    </section>
  );
}
