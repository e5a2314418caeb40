/**
 * Comparison of two or more sweeps: their Pareto frontiers overlaid on one frontier chart (one
 * series per sweep, or per sweep × deployment group), then per sweep against the first (the
 * baseline) the analytics API's comparison table: per-point and per-frontier deltas with the
 * regression flags. A sweep with no successful point is named in a message, not drawn.
 */
import type { Comparison, FrontierDelta, FrontierView, PointDelta, SweepSummary } from "@benchfleet/shared/browser";
import { useEffect, useMemo, useState } from "preact/hooks";
import { ApiError, api, fetchAllPages } from "../api.js";
import { setParams } from "../hooks.js";
import { fmtNum } from "../lib/format.js";
import {
  buildCompareChart,
  type ChartRow,
  type CompareSweep,
  GROUP_BY,
  type GroupBy,
  sweepLabel,
  Y_METRICS,
  type YMetric,
} from "../lib/frontier-chart.js";
import type { Route } from "../lib/url-state.js";
import { EmulatedBadge } from "./badge.js";
import { FilterSelect } from "./filter-select.js";
import { FrontierChart } from "./frontier-chart.js";

export interface CompareFilters {
  model?: string;
  isl?: string;
  osl?: string;
}

/**
 * Rows of a sweep that only the analytics API holds (imported results): its frontier points on
 * interactivity vs output throughput per GPU, as chart rows (no dominated points).
 */
function frontierRows(groups: FrontierView[]): ChartRow[] {
  return groups.flatMap((g) =>
    g.points.map((p) => ({
      id: p.rowId,
      sweepId: p.sweepId,
      jobId: "",
      configKey: g.key,
      sku: g.group.sku,
      model: g.group.model,
      modelPrefix: g.group.model,
      framework: g.group.framework,
      precision: g.group.precision,
      specDecoding: g.group.specDecoding,
      parallelism: p.parallelism,
      concurrency: p.concurrency,
      isl: g.group.isl,
      osl: g.group.osl,
      status: "ok",
      gpusTotal: p.gpus,
      tputPerGpu: p.tputPerGpu,
      // y is output tok/s per GPU (per decode GPU when disaggregated), so this divides back to it
      outputThroughput: p.y * p.gpus,
      interactivity: p.interactivity,
      medianTtftMs: p.medianTtftMs,
      emulated: false,
      receivedAt: p.date,
    })),
  );
}

const pct = (v: number | null) => (v === null ? "–" : `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)}%`);

function PointsTable(props: { points: PointDelta[] }) {
  if (props.points.length === 0) return <p class="muted small">no load point measured in both sweeps</p>;
  return (
    <table class="grid" data-testid="compare-points">
      <thead>
        <tr>
          <th>Group</th>
          <th>Parallelism</th>
          <th>Conc</th>
          <th>ISL/OSL</th>
          <th>total tok/s/GPU A</th>
          <th>total tok/s/GPU B</th>
          <th>Δ</th>
          <th>tok/s/user A</th>
          <th>tok/s/user B</th>
          <th>Δ</th>
          <th>Runs A/B</th>
          <th>Noise</th>
          <th>Regression</th>
        </tr>
      </thead>
      <tbody>
        {props.points.slice(0, 500).map((p, i) => (
          <tr key={i} class={p.regression ? "regression" : ""}>
            <td>{p.group}</td>
            <td>{p.parallelism}</td>
            <td>{p.concurrency}</td>
            <td>
              {p.isl}/{p.osl}
            </td>
            <td>{fmtNum(p.a.tputPerGpu)}</td>
            <td>{fmtNum(p.b.tputPerGpu)}</td>
            <td>{pct(p.tputDelta)}</td>
            <td>{fmtNum(p.a.interactivity)}</td>
            <td>{fmtNum(p.b.interactivity)}</td>
            <td>{pct(p.interactivityDelta)}</td>
            <td>
              {p.a.runs}/{p.b.runs}
            </td>
            <td>±{(p.threshold * 100).toFixed(1)}%</td>
            <td>{p.regression ? p.reasons.join("; ") : "no"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FrontiersTable(props: { frontiers: FrontierDelta[] }) {
  if (props.frontiers.length === 0) return null;
  return (
    <table class="grid" data-testid="compare-frontiers">
      <thead>
        <tr>
          <th>Frontier group</th>
          <th>Common interactivities</th>
          <th>Worst Δ total tok/s/GPU</th>
          <th>Best Δ total tok/s/GPU</th>
          <th title="the spread of the frontier points nearest each interactivity (repeats), or the single-run minimum">
            Noise
          </th>
          <th>Regression</th>
        </tr>
      </thead>
      <tbody>
        {props.frontiers.map((f) => {
          const ds = f.at.map((d) => d.delta);
          const ts = f.at.map((d) => d.threshold);
          const lo = fmtNum(Math.min(...ts) * 100, 1);
          const hi = fmtNum(Math.max(...ts) * 100, 1);
          return (
            <tr key={f.group} class={f.regression ? "regression" : ""}>
              <td>{f.group}</td>
              <td>
                {f.at.length
                  ? `${f.at.length} (${fmtNum(f.at[0]!.interactivity)}–${fmtNum(f.at[f.at.length - 1]!.interactivity)} tok/s/user)`
                  : (f.message ?? "none")}
              </td>
              <td>{ds.length ? pct(Math.min(...ds)) : "–"}</td>
              <td>{ds.length ? pct(Math.max(...ds)) : "–"}</td>
              <td data-testid="frontier-noise">{ts.length ? (lo === hi ? `±${lo}%` : `±${lo}–${hi}%`) : "–"}</td>
              <td>{f.regression ? "yes" : "no"}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** The analytics API's comparison of sweep b against baseline a, as tables. */
function CompareTables(props: { a: string; b: string; labelA: string; labelB: string; filters: CompareFilters }) {
  const [state, setState] = useState<{ cmp?: Comparison; error?: string }>({});
  const qs = new URLSearchParams({ a: props.a, b: props.b, emulated: "any" });
  for (const k of ["model", "isl", "osl"] as const) if (props.filters[k]) qs.set(k, props.filters[k]!);
  const path = `/results/compare?${qs}`;
  useEffect(() => {
    let live = true;
    setState({});
    api<Comparison>(path)
      .then((cmp) => live && setState({ cmp }))
      .catch(
        (e) =>
          live &&
          setState({
            error:
              e instanceof ApiError && e.status === 404 ? `nothing to compare: ${e.message}` : (e as Error).message,
          }),
      );
    return () => {
      live = false;
    };
  }, [path]);
  const c = state.cmp;
  return (
    <div class="card" data-testid="compare-table" data-a={props.a} data-b={props.b}>
      <h3>
        {props.labelB} <span class="muted">against</span> {props.labelA}
      </h3>
      {state.error ? (
        <p class="muted" data-testid="compare-table-error">
          {state.error}
        </p>
      ) : !c ? (
        <p class="muted">loading…</p>
      ) : (
        <>
          <p class="small" data-testid="compare-summary">
            {c.points.length} load points in both, {c.onlyInA} only in A, {c.onlyInB} only in B; regressions beyond the
            noise: {c.regressions.points} points, {c.regressions.frontiers} frontiers
          </p>
          <p class="muted small">
            Noise per point: the spread of its repeated runs (benchfleet.repeats), at least{" "}
            {(c.minNoise * 100).toFixed(0)}
            %; a point measured once needs a drop beyond {(c.tolerance * 100).toFixed(0)}%. A frontier's noise at an
            interactivity is that of its nearest frontier points.
          </p>
          <ul class="small" data-testid="compare-changes" data-count={c.changes.length}>
            {c.changes.length === 0 ? (
              <li>
                Nothing changed between the runs: same image, engine version, deployment fingerprint, spec decoding.
              </li>
            ) : (
              c.changes.map((ch) => (
                <li key={ch.what}>
                  {ch.what} changed: {ch.a.join(", ") || "–"} → {ch.b.join(", ") || "–"}
                </li>
              ))
            )}
          </ul>
          <PointsTable points={c.points} />
          <FrontiersTable frontiers={c.frontiers} />
        </>
      )}
    </div>
  );
}

/** A model family with one ISL/OSL: what one comparison chart holds (never pooled). */
interface CompareScenario {
  model: string;
  isl: string;
  osl: string;
  points: number;
}

const familyOf = (r: ChartRow) => r.modelPrefix || r.model;
const scenarioText = (s: Pick<CompareScenario, "model" | "isl" | "osl">) => `${s.model} ${s.isl}/${s.osl}`;

/** The scenarios of the rows' successful points, the largest first. */
function compareScenarios(rows: readonly ChartRow[]): CompareScenario[] {
  const m = new Map<string, CompareScenario>();
  for (const r of rows) {
    if (r.status !== "ok") continue;
    const s = { model: familyOf(r), isl: String(r.isl), osl: String(r.osl), points: 1 };
    const k = scenarioText(s);
    const have = m.get(k);
    if (have) have.points++;
    else m.set(k, s);
  }
  return [...m.values()].sort((a, b) => b.points - a.points || scenarioText(a).localeCompare(scenarioText(b)));
}

/** The chart's controls, kept in the URL: y metric, series, log scale, the scenario (model family and ISL/OSL). */
function Controls(props: { route: Route; scenarios: CompareScenario[]; scenario: CompareScenario | undefined }) {
  const p = props.route.params;
  const select = (
    key: string,
    label: string,
    values: readonly string[],
    allLabel: string,
    fallback = "",
    text?: (v: string) => string,
  ) => (
    <FilterSelect
      route={props.route}
      param={key}
      label={label}
      values={values}
      allLabel={allLabel}
      fallback={fallback}
      text={text}
      testId={`compare-${key}`}
    />
  );
  return (
    <div class="filters">
      {select(
        "y",
        "Y",
        ["outputTputPerGpu", "tputPerGpu"],
        "",
        "outputTputPerGpu",
        (v) => Y_METRICS[v as YMetric].label,
      )}
      {select(
        "group",
        "Series per sweep and",
        ["none", ...GROUP_BY],
        "what differs (SKU × framework × precision × spec)",
        "",
        (v) => (v === "none" ? "nothing else (sweep only)" : v),
      )}
      <label>
        Model and ISL/OSL{" "}
        <select
          value={props.scenario ? scenarioText(props.scenario) : ""}
          onChange={(e) => {
            const s = props.scenarios.find((c) => scenarioText(c) === (e.target as HTMLSelectElement).value);
            if (s) setParams(props.route, { model: s.model, isl: s.isl, osl: s.osl });
          }}
          data-testid="compare-scenario"
        >
          {props.scenarios.map((s) => (
            <option key={scenarioText(s)} value={scenarioText(s)}>
              {s.model} · ISL/OSL {s.isl}/{s.osl} ({s.points} points)
            </option>
          ))}
        </select>
      </label>
      <label>
        <input
          type="checkbox"
          checked={p.log === "1"}
          onChange={(e) => setParams(props.route, { log: (e.target as HTMLInputElement).checked ? "1" : undefined })}
        />{" "}
        log scale
      </label>
    </div>
  );
}

export function SweepComparison(props: {
  sweepIds: string[];
  y: YMetric;
  by: GroupBy | "none" | readonly GroupBy[];
  log: boolean;
  filters: CompareFilters;
  /** when given, the chart's controls show above it, kept in this route's URL */
  route?: Route;
}) {
  const key = props.sweepIds.join(",");
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [loaded, setLoaded] = useState<{
    key: string;
    rows: Map<string, ChartRow[]>;
    errors: Map<string, string>;
    /** sweeps drawn from the analytics API's frontier (imported results) */
    frontierOnly: Set<string>;
  }>();
  useEffect(() => {
    fetchAllPages<SweepSummary>("/sweeps", 1000)
      .then((list) => setNames(new Map(list.map((s) => [s.sweepId, s.name]))))
      .catch(() => setNames(new Map()));
  }, []);
  useEffect(() => {
    let live = true;
    const rows = new Map<string, ChartRow[]>();
    const errors = new Map<string, string>();
    const frontierOnly = new Set<string>();
    const q = encodeURIComponent;
    const load = async (id: string) => {
      const measured = await fetchAllPages<ChartRow>(`/results?sweep=${q(id)}&emulated=any`, 5000);
      if (measured.length) return rows.set(id, measured);
      // no measured point: imported results live in the analytics API only
      const f = await api<{ groups: FrontierView[] }>(
        `/results/frontier?sweep=${q(id)}&emulated=any&x=interactivity&y=outputTputPerGpu`,
      );
      const imported = frontierRows(f.groups);
      if (imported.length) frontierOnly.add(id);
      rows.set(id, imported);
    };
    Promise.all(props.sweepIds.map((id) => load(id).catch((e) => errors.set(id, (e as Error).message)))).then(
      () => live && setLoaded({ key, rows, errors, frontierOnly }),
    );
    return () => {
      live = false;
    };
  }, [key]);

  const label = (id: string) => sweepLabel(id, names.get(id));
  // one model family and one ISL/OSL: the one asked for, else the one with the most points
  const scenarioList = useMemo(() => compareScenarios([...(loaded?.rows.values() ?? [])].flat()), [loaded]);
  const asked = props.filters;
  const scenario =
    scenarioList.find(
      (s) =>
        (!asked.model || s.model === asked.model) &&
        (!asked.isl || s.isl === asked.isl) &&
        (!asked.osl || s.osl === asked.osl),
    ) ?? scenarioList[0];
  const f: CompareFilters = scenario ? { model: scenario.model, isl: scenario.isl, osl: scenario.osl } : asked;
  const sweeps: CompareSweep[] = useMemo(
    () =>
      props.sweepIds.map((id) => ({
        sweepId: id,
        label: label(id),
        rows: (loaded?.rows.get(id) ?? []).filter(
          (r) =>
            (!f.model || familyOf(r) === f.model || r.model === f.model) &&
            (!f.isl || String(r.isl) === f.isl) &&
            (!f.osl || String(r.osl) === f.osl),
        ),
      })),
    [loaded, names, f.model, f.isl, f.osl],
  );
  const chart = useMemo(() => buildCompareChart(sweeps, props.y, props.by), [sweeps, props.y, props.by]);

  if (props.sweepIds.length < 2)
    return (
      <p class="muted" data-testid="compare-hint">
        Pick two or more sweeps to compare.
      </p>
    );
  if (!loaded || loaded.key !== key) return <p class="muted">loading…</p>;
  const filtered = scenario ? ` in ${scenarioText(scenario)}` : "";
  const frontierPoints = chart.groups.reduce((s, g) => s + g.frontier.length, 0);
  return (
    <>
      {props.route && <Controls route={props.route} scenarios={scenarioList} scenario={scenario} />}
      <div class="card">
        <h3>
          Pareto frontiers of {props.sweepIds.length} sweeps {chart.emulated && <EmulatedBadge />}{" "}
          <span
            class="muted small"
            data-testid="compare-stats"
            data-series={chart.groups.length}
            data-points={chart.rowAt.length}
            data-frontier={frontierPoints}
          >
            {chart.rowAt.length} points, {chart.groups.length} series, {frontierPoints} on frontiers
          </span>
        </h3>
        <ul class="compare-sweeps small">
          {sweeps.map((s) => {
            const drawn = chart.rowAt.filter((r) => r.sweepId === s.sweepId).length;
            const onFrontier = chart.groups
              .filter((g) => chart.sweepOf.get(g.key) === s.sweepId)
              .reduce((n, g) => n + g.frontier.length, 0);
            return (
              <li key={s.sweepId} data-sweep={s.sweepId} data-points={drawn} data-frontier={onFrontier}>
                {s.sweepId === props.sweepIds[0] ? <b>baseline </b> : null}
                {s.label}: {drawn} successful points, {onFrontier} on the frontier
                {s.rows.length > drawn ? ` (${s.rows.length - drawn} failed or incomplete)` : ""}
                {loaded.frontierOnly.has(s.sweepId) ? " (imported results: frontier points only)" : ""}
              </li>
            );
          })}
        </ul>
        {[...loaded.errors].map(([id, msg]) => (
          <p key={id} class="notice" data-testid="compare-error">
            Sweep {label(id)}: {msg}
          </p>
        ))}
        {chart.empty.length > 0 && (
          <p class="notice" data-testid="compare-empty">
            {chart.empty.length === sweeps.length
              ? `None of these sweeps has a successful point${filtered}: there is no frontier to draw.`
              : `${chart.empty.map((s) => s.label).join(", ")} ${chart.empty.length === 1 ? "has" : "have"} no successful point${filtered}: only ${chart.empty.length === sweeps.length - 1 ? "one sweep is" : "the others are"} drawn.`}
          </p>
        )}
        {chart.rowAt.length > 0 && (
          <FrontierChart chart={chart} y={props.y} log={props.log} testId="compare-chart" compare />
        )}
        <p class="muted small">
          Solid: each sweep's Pareto frontier (interactivity ↑, {Y_METRICS[props.y].label}{" "}
          {Y_METRICS[props.y].better === "max" ? "↑" : "↓"}); faint: its dominated points. Hover a point for its
          configuration and load.
        </p>
      </div>
      {props.sweepIds.slice(1).map((b) => (
        <CompareTables
          key={`${props.sweepIds[0]}|${b}`}
          a={props.sweepIds[0]!}
          b={b}
          labelA={label(props.sweepIds[0]!)}
          labelB={label(b)}
          filters={f}
        />
      ))}
    </>
  );
}
