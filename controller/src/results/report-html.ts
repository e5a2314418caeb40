/**
 * The sweep report: one self-contained HTML file (inline CSS and SVG, no script, no network)
 * with the frontier charts (throughput/GPU, cost and energy against interactivity), the table at
 * chosen interactivities, accuracy per deployment, failures with their reasons and GPU-hours spent.
 */
import {
  type AnalyzedRow,
  analyzeRows,
  type EvalResult,
  formatEngineMetrics,
  type GroupFrontier,
  groupFrontiers,
  groupKeyOf,
  parallelismLabel,
  type RatesCatalog,
  type ResultRow,
  tableAt,
} from "@benchfleet/shared";
import { type ChartSeries, esc, svgChart } from "./report-svg.js";

export interface ReportEval {
  configKey: string;
  sku: string;
  parallelism: string;
  image: string;
  eval: EvalResult;
}

export interface ReportFailure {
  /** what failed: a job, deployment or point */
  what: string;
  reason: string;
}

export interface ReportMissing {
  /** the job: its configuration key and id */
  what: string;
  /** how it ended, e.g. "cancelled: operator" */
  status: string;
  points: number;
}

export interface ReportInput {
  title: string;
  sweepId: string;
  generatedAt: string;
  rows: readonly ResultRow[];
  evals: readonly ReportEval[];
  /** failures beyond failed points (jobs and attempts that failed) */
  failures: readonly ReportFailure[];
  /** points planned but never measured, per job that failed or was cancelled */
  missing?: readonly ReportMissing[];
  /** GPU-hours spent; when absent, estimated from the points' timestamps */
  gpuHours?: { total: number; source: string };
  catalog: RatesCatalog;
  interactivities: readonly number[];
}

const f0 = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(0);
const f1 = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(1);
const f3 = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(3);

/** GPU-hours from point timestamps: for each deployment, first start to last finish × its GPUs. */
export function gpuHoursFromRows(rows: readonly ResultRow[]): number {
  const spans = new Map<string, { start: number; end: number; gpus: number }>();
  for (const r of rows) {
    const k = `${r.sweepId}|${r.config.fingerprint}|${r.provenance.attemptId ?? ""}`;
    const s = Date.parse(r.result.startedAt);
    const e = Date.parse(r.result.finishedAt);
    if (!Number.isFinite(s) || !Number.isFinite(e)) continue;
    const cur = spans.get(k);
    if (cur) {
      cur.start = Math.min(cur.start, s);
      cur.end = Math.max(cur.end, e);
    } else spans.set(k, { start: s, end: e, gpus: r.result.gpus.total });
  }
  let h = 0;
  for (const s of spans.values()) h += ((s.end - s.start) / 3_600_000) * s.gpus;
  return h;
}

function pointLabel(a: AnalyzedRow): string {
  const c = a.row.config;
  return `${parallelismLabel(c)} · conc ${a.row.result.point.concurrency} · ${c.image}\n${f0(a.metrics.tputPerGpu)} tok/s/GPU at ${f1(a.metrics.interactivity)} tok/s/user`;
}

function series(
  frontiers: GroupFrontier[],
  all: AnalyzedRow[],
  getY: (a: AnalyzedRow) => number | null,
): ChartSeries[] {
  return frontiers.map((f) => ({
    name: f.key,
    points: all
      .filter((a) => groupKeyOf(a.row.config) === f.key)
      .map((a) => ({ x: a.metrics.interactivity ?? Number.NaN, y: getY(a) ?? Number.NaN, label: pointLabel(a) })),
    frontier: f.points.map((p) => ({ x: p.x, y: p.y })),
  }));
}

const CSS = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666}.banner{background:#fff3cd;border:1px solid #e0c060;padding:6px 10px;margin:10px 0;display:inline-block}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:110px}
.card b{display:block;font-size:20px}.charts{display:flex;flex-wrap:wrap;gap:16px}
svg.chart{border:1px solid #e5e5e5;border-radius:6px;background:#fcfcfc}
.ct{font-weight:600;font-size:13px}.tick,.lg{font-size:10px;fill:#555}.al{font-size:11px;fill:#333}.empty{fill:#999}
.grid{stroke:#eee}.axis{stroke:#999}.frontier{fill:none;stroke-width:2}
table{border-collapse:collapse;margin:6px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}.bad{color:#b00020;font-weight:600}.ok{color:#1b7f3b}.na{color:#999}
`;

export function renderReport(input: ReportInput): string {
  const analyzed = analyzeRows(input.rows, input.catalog);
  const tput = groupFrontiers(analyzed, { x: "interactivity", y: "tputPerGpu" });
  const cost = groupFrontiers(analyzed, { x: "interactivity", y: "cost" });
  const measuredEnergy = analyzed.length > 0 && analyzed.every((a) => a.metrics.joulesPerToken !== null);
  const energyAxis = measuredEnergy ? "joulesPerToken" : "provisionedJoulesPerToken";
  const energy = groupFrontiers(analyzed, { x: "interactivity", y: energyAxis });
  const failedPoints = input.rows.filter((r) => r.result.status === "failed");
  const emulated = input.rows.some((r) => r.result.emulated);
  const gpuHours = input.gpuHours ?? {
    total: gpuHoursFromRows(input.rows),
    source: "load phases, from point timestamps",
  };
  const deployments = new Set(input.rows.map((r) => r.config.fingerprint)).size;

  const h: string[] = [];
  h.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(input.title)}</title><style>${CSS}</style></head><body>`,
  );
  h.push(
    `<h1>${esc(input.title)}</h1><div class="meta">sweep <b>${esc(input.sweepId)}</b> · generated ${esc(input.generatedAt)}</div>`,
  );
  if (emulated)
    h.push(`<div class="banner">Emulated results: produced by the emulated engine, not by real GPUs.</div>`);
  const card = (label: string, value: string) => `<div class="card">${esc(label)}<b>${value}</b></div>`;
  h.push(
    `<div class="cards">${card("deployments", String(deployments))}${card(emulated ? "points emulated" : "points measured", String(input.rows.length - failedPoints.length))}${card("points failed", String(failedPoints.length))}${card("points missing", String((input.missing ?? []).reduce((s, m) => s + m.points, 0)))}${card("groups", String(tput.length))}${card("GPU-hours", gpuHours.total.toFixed(2))}</div>`,
  );
  h.push(`<div class="meta">GPU-hours: ${esc(gpuHours.source)}</div>`);

  h.push(`<h2>Frontiers</h2><div class="charts">`);
  h.push(
    svgChart({
      title: "Throughput per GPU vs interactivity",
      xLabel: "interactivity (tok/s/user, median TPOT)",
      yLabel: "tok/s/GPU",
      series: series(tput, analyzed, (a) => a.metrics.tputPerGpu),
    }),
  );
  h.push(
    svgChart({
      title: "Cost vs interactivity (hyperscaler TCO)",
      xLabel: "interactivity (tok/s/user)",
      yLabel: "$ per million tokens",
      series: series(cost, analyzed, (a) => a.metrics.cost.hyperscaler.total),
    }),
  );
  h.push(
    svgChart({
      title: measuredEnergy
        ? `Energy per token vs interactivity (${emulated ? "emulated power" : "measured"})`
        : "Energy per token vs interactivity (provisioned power)",
      xLabel: "interactivity (tok/s/user)",
      yLabel: "J per token",
      series: series(energy, analyzed, (a) =>
        measuredEnergy ? a.metrics.joulesPerToken : a.metrics.provisionedJoulesPerToken,
      ),
    }),
  );
  h.push(`</div>`);

  h.push(`<h2>At target interactivity</h2>`);
  h.push(`<div class="meta">Monotone cubic along each frontier; no extrapolation outside the measured range.</div>`);
  const table = tableAt(analyzed, input.interactivities, input.catalog);
  h.push(
    `<table><tr><th class="l">group</th>${input.interactivities.map((t) => `<th>${f1(t)} tok/s/user<br>tok/s/GPU · $/M</th>`).join("")}</tr>`,
  );
  for (const row of table) {
    const cells = row.at
      .map((a) =>
        a.ok
          ? `<td>${f0(a.tputPerGpu)} · $${f3(a.cost.hyperscaler)}</td>`
          : `<td class="na" title="${esc(a.message)}">out of range${a.range ? ` (${f1(a.range[0])}–${f1(a.range[1])})` : ""}</td>`,
      )
      .join("");
    h.push(`<tr><td class="l">${esc(row.key)}</td>${cells}</tr>`);
  }
  if (table.length === 0)
    h.push(`<tr><td class="l na" colspan="${input.interactivities.length + 1}">no successful points</td></tr>`);
  h.push(`</table>`);

  h.push(
    `<h2>Frontier points</h2><table><tr><th class="l">group</th><th class="l">parallelism</th><th>conc</th><th>tok/s/user</th><th>tok/s/GPU</th><th>$/M (hyperscaler)</th><th>TTFT p50 ms</th><th>E2EL p50 ms</th><th class="l">engine</th></tr>`,
  );
  for (const f of tput)
    for (const p of f.points) {
      const m = p.item.metrics;
      const also = p.ties.length ? ` (+${p.ties.length} identical)` : "";
      h.push(
        `<tr><td class="l">${esc(f.key)}</td><td class="l">${esc(parallelismLabel(p.item.row.config) + also)}</td><td>${m.concurrency}</td><td>${f1(m.interactivity)}</td><td>${f0(m.tputPerGpu)}</td><td>${f3(m.cost.hyperscaler.total)}</td><td>${f0(m.ttftMs.median)}</td><td>${f0(m.e2elMs.median)}</td><td class="l">${esc(formatEngineMetrics(p.item.row.result.engineMetrics))}</td></tr>`,
      );
    }
  h.push(`</table>`);

  h.push(`<h2>Accuracy per deployment</h2>`);
  if (input.evals.length === 0) h.push(`<div class="meta">No accuracy evals in this sweep.</div>`);
  else {
    h.push(
      `<table><tr><th class="l">config</th><th class="l">SKU</th><th class="l">parallelism</th><th class="l">image</th><th>conc</th><th>n</th><th>strict EM</th><th>flexible EM</th><th>threshold</th><th class="l">gate</th></tr>`,
    );
    for (const e of input.evals)
      h.push(
        `<tr><td class="l">${esc(e.configKey)}</td><td class="l">${esc(e.sku)}</td><td class="l">${esc(e.parallelism)}</td><td class="l">${esc(e.image)}</td><td>${e.eval.concurrency ?? "–"}</td><td>${e.eval.n}</td><td>${f3(e.eval.strict.exactMatch)}</td><td>${f3(e.eval.flexible.exactMatch)}</td><td>${f3(e.eval.threshold)}</td><td class="l ${e.eval.passed ? "ok" : "bad"}">${e.eval.passed ? "passed" : "FAILED"}</td></tr>`,
      );
    h.push(`</table>`);
  }

  if (input.missing?.length) {
    h.push(
      `<h2>Missing points</h2><table><tr><th class="l">job</th><th class="l">ended</th><th>points never measured</th></tr>`,
    );
    for (const m of input.missing)
      h.push(`<tr><td class="l">${esc(m.what)}</td><td class="l bad">${esc(m.status)}</td><td>${m.points}</td></tr>`);
    h.push(`</table>`);
  }

  h.push(`<h2>Failures</h2>`);
  const fails = [
    ...input.failures,
    ...failedPoints.map((r) => ({
      what: `${r.config.configKey} ${parallelismLabel(r.config)} conc ${r.result.point.concurrency}`,
      reason: r.result.failureReason ?? "failed (no reason recorded)",
    })),
  ];
  if (fails.length === 0) h.push(`<div class="meta">None.</div>`);
  else {
    h.push(`<table><tr><th class="l">what</th><th class="l">reason</th></tr>`);
    for (const f of fails) h.push(`<tr><td class="l">${esc(f.what)}</td><td class="l bad">${esc(f.reason)}</td></tr>`);
    h.push(`</table>`);
  }
  h.push(`</body></html>\n`);
  return h.join("\n");
}
