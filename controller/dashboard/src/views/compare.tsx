/**
 * Sweep comparison: pick two or more sweeps (the first is the baseline); their Pareto frontiers
 * overlaid on one chart, then each sweep's comparison table against the baseline. The sweeps and
 * the chart's settings live in the URL (`#/compare?sweeps=a,b&isl=1024`).
 */
import type { SweepSummary } from "@benchfleet/shared/browser";
import { useEffect, useState } from "preact/hooks";
import { fetchAllPages } from "../api.js";
import { SweepComparison } from "../components/sweep-comparison.js";
import { setParams } from "../hooks.js";
import { COMPARE_SERIES, GROUP_BY, type GroupBy, sweepLabel, Y_METRICS, type YMetric } from "../lib/frontier-chart.js";
import type { Route } from "../lib/url-state.js";

export function CompareView(props: { route: Route; onError: (m: string) => void }) {
  const p = props.route.params;
  const [sweeps, setSweeps] = useState<SweepSummary[]>([]);
  useEffect(() => {
    fetchAllPages<SweepSummary>("/sweeps", 1000)
      .then(setSweeps)
      .catch((e) => props.onError(`sweeps: ${(e as Error).message}`));
  }, []);
  const chosen = (p.sweeps ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s, i, all) => s && all.indexOf(s) === i);
  const setChosen = (ids: string[]) => setParams(props.route, { sweeps: ids.join(",") || undefined });
  const name = new Map(sweeps.map((s) => [s.sweepId, s.name]));
  const y: YMetric = p.y && p.y in Y_METRICS ? (p.y as YMetric) : "outputTputPerGpu";
  // unset: per sweep × whichever of SKU, framework, precision and spec decoding differ; "none": per sweep only
  const fields = (p.group ?? "").split(",").filter((g): g is GroupBy => (GROUP_BY as readonly string[]).includes(g));
  const by: GroupBy | "none" | readonly GroupBy[] =
    p.group === "none" ? "none" : fields.length === 1 ? fields[0]! : fields.length ? fields : COMPARE_SERIES;
  return (
    <section>
      <h2>Compare sweeps</h2>
      <div class="filters">
        <span class="chips" data-testid="compare-chosen">
          {chosen.map((id, i) => (
            <span key={id} class="chip" data-sweep={id}>
              {i === 0 ? "baseline: " : ""}
              {sweepLabel(id, name.get(id))}{" "}
              <button
                type="button"
                class="link"
                title="remove from the comparison"
                onClick={() => setChosen(chosen.filter((c) => c !== id))}
              >
                ×
              </button>
            </span>
          ))}
        </span>
        <label>
          Add sweep{" "}
          <select
            value=""
            onChange={(e) => {
              const v = (e.target as HTMLSelectElement).value;
              if (v) setChosen([...chosen, v]);
            }}
            data-testid="compare-add"
          >
            <option value="">choose…</option>
            {sweeps
              .filter((s) => !chosen.includes(s.sweepId))
              .map((s) => (
                <option key={s.sweepId} value={s.sweepId}>
                  {sweepLabel(s.sweepId, s.name)} · {s.createdAt.slice(0, 10)} · {s.status}
                </option>
              ))}
          </select>
        </label>
      </div>
      <SweepComparison
        sweepIds={chosen}
        y={y}
        by={by}
        log={p.log === "1"}
        filters={{ model: p.model, isl: p.isl, osl: p.osl }}
        route={props.route}
      />
    </section>
  );
}
