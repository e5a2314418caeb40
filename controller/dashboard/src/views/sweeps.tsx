/**
 * Sweeps: the list with status, progress (points done / total), GPU-hours, failures and trigger,
 * live from the `sweeps` topic; and (operators) starting a sweep from a plan preview — the dry run
 * first (GPU-hours by SKU, each deployment with its launches, the wall-clock estimate), then "Start".
 */

import type { PlanTiming, SweepSummary } from "@benchfleet/shared/browser";
import { type Unlaunchable, unlaunchableByReason } from "@benchfleet/shared/browser";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, fetchAllPages, itemsOf } from "../api.js";
import { StateBadge } from "../components/badge.js";
import { PlanDeployments, PlanWallClock, type PreviewDeployment } from "../components/plan-deployments.js";
import type { LiveEvent } from "../events.js";
import { navigate, useFrameRefresh, useLive } from "../hooks.js";
import { fmtNum, fmtTime } from "../lib/format.js";
import { sweepTrigger } from "../lib/sweep-trigger.js";
import type { Route } from "../lib/url-state.js";

interface PlanTotals {
  deployments: number;
  singleNodeDeployments: number;
  multiNodeDeployments: number;
  points: number;
  evals: number;
  gpuHours: number;
  wallSeconds: number;
}
interface PlanPreview {
  totals: PlanTotals;
  bySku: Record<string, PlanTotals>;
  deployments?: PreviewDeployment[];
  /** each deployment's and the sweep's wall-clock estimate */
  timing?: PlanTiming;
  nodes?: Record<string, number>;
  /** deployments no recipe can launch (the controller builds each on a stand-in gang) */
  unlaunchable?: Unlaunchable[];
}

export function Progress(props: { done: number; total: number }) {
  const pct = props.total > 0 ? Math.min(100, (100 * props.done) / props.total) : 0;
  return (
    <span class="nowrap">
      <span class="progress">
        <span style={{ width: `${pct}%` }} />
      </span>
      {props.done}/{props.total}
    </span>
  );
}

function selectionOf(p: Record<string, string>) {
  const list = (s: string | undefined) =>
    s
      ? s
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean)
      : undefined;
  return { keys: list(p.keys), skus: list(p.skus) };
}

function StartSweep(props: { route: Route; onError: (m: string) => void }) {
  const [keys, setKeys] = useState(props.route.params.keys ?? "");
  const [skus, setSkus] = useState(props.route.params.skus ?? "");
  const [name, setName] = useState("");
  const [files, setFiles] = useState<Array<{ file: string; text: string }>>([]);
  const [plan, setPlan] = useState<PlanPreview | undefined>();
  const [busy, setBusy] = useState(false);
  const body = () => ({ configs: files, ...selectionOf({ keys, skus }) });
  const pick = async (e: Event) => {
    const list = [...((e.target as HTMLInputElement).files ?? [])];
    setBusy(true); // no preview of the previous files while the new ones are read
    try {
      setFiles(await Promise.all(list.map(async (f) => ({ file: f.name, text: await f.text() }))));
      setPlan(undefined);
    } finally {
      setBusy(false);
    }
  };
  const preview = async () => {
    setBusy(true);
    setPlan(undefined);
    try {
      setPlan(await api<PlanPreview>("/plan", { method: "POST", body: body() }));
    } catch (e) {
      props.onError(`plan: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };
  const start = async () => {
    setBusy(true);
    try {
      const sweep = await api<SweepSummary>("/sweeps", {
        method: "POST",
        body: { name: name.trim() || undefined, plan: body() },
      });
      navigate({ view: "sweep", id: sweep.sweepId, params: {} });
    } catch (e) {
      props.onError(`start: ${(e as Error).message}`);
      setBusy(false);
    }
  };
  const nodesBySku = (p: PlanPreview): Record<string, number> => {
    if (p.nodes) return p.nodes;
    const out: Record<string, number> = {};
    for (const d of p.deployments ?? []) out[d.sku] = Math.max(out[d.sku] ?? 0, d.nodes);
    return out;
  };
  return (
    <div class="card" data-testid="start-sweep">
      <h3>Start a sweep</h3>
      <div class="filters">
        <label>
          Master configs <input type="file" multiple accept=".yaml,.yml" onChange={pick} data-testid="config-files" />
        </label>
        <label>
          Config keys{" "}
          <input
            value={keys}
            placeholder="dsr1-fp8-*, … (all when empty)"
            onInput={(e) => setKeys((e.target as HTMLInputElement).value)}
            name="keys"
            size={36}
          />
        </label>
        <label>
          SKUs{" "}
          <input
            value={skus}
            placeholder="h100,b200"
            onInput={(e) => setSkus((e.target as HTMLInputElement).value)}
            name="skus"
            size={16}
          />
        </label>
        <label>
          Name{" "}
          <input value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} name="name" size={20} />
        </label>
        <button type="button" onClick={preview} disabled={busy || files.length === 0} data-testid="preview-plan">
          Preview plan
        </button>
      </div>
      {plan && (
        <div data-testid="plan-preview">
          <p>
            <b>{plan.totals.deployments}</b> deployments ({plan.totals.singleNodeDeployments} single-node,{" "}
            {plan.totals.multiNodeDeployments} multi-node), <b>{plan.totals.points}</b> load points, {plan.totals.evals}{" "}
            evals, <b>{fmtNum(plan.totals.gpuHours, 1)}</b> GPU-hours estimated
          </p>
          <table class="grid">
            <thead>
              <tr>
                <th>SKU</th>
                <th>Deployments</th>
                <th>Points</th>
                <th>Largest gang (nodes)</th>
                <th>GPU-hours</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(plan.bySku).map(([sku, t]) => (
                <tr key={sku}>
                  <td>{sku}</td>
                  <td>{t.deployments}</td>
                  <td>{t.points}</td>
                  <td>{nodesBySku(plan)[sku] ?? "–"}</td>
                  <td>{fmtNum(t.gpuHours, 1)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {plan.timing ? <PlanWallClock timing={plan.timing} /> : null}
          {plan.deployments?.length ? <PlanDeployments deployments={plan.deployments} timing={plan.timing} /> : null}
          {plan.unlaunchable?.length ? (
            <div class="notice" data-testid="plan-unlaunchable">
              <b>
                {plan.unlaunchable.length} of {plan.totals.deployments}
              </b>{" "}
              deployments cannot be launched by any recipe; their jobs would fail at launch:
              <ul>
                {unlaunchableByReason(plan.unlaunchable).map(({ reason, configKeys }) => (
                  <li key={reason}>
                    {reason}: <span class="small">{configKeys.join(", ")}</span>
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          <p>
            <button
              type="button"
              class="primary"
              onClick={start}
              disabled={busy || plan.totals.deployments === 0}
              data-testid="start-sweep-button"
            >
              Start sweep of {plan.totals.deployments} deployments
            </button>
          </p>
        </div>
      )}
    </div>
  );
}

export function SweepsView(props: { route: Route; operator: boolean; onError: (m: string) => void }) {
  const sweeps = useRef(new Map<string, SweepSummary>());
  const refresh = useFrameRefresh();
  const [showStart, setShowStart] = useState(props.route.params.start === "1");
  const load = () =>
    fetchAllPages<SweepSummary>("/sweeps")
      .then((list) => {
        sweeps.current = new Map(list.map((s) => [s.sweepId, s]));
        refresh();
      })
      .catch((e) => props.onError(`sweeps: ${(e as Error).message}`));
  useEffect(() => {
    load();
  }, []);
  useLive(
    { topic: "sweeps" },
    (e: LiveEvent) => {
      if (e.kind === "snapshot" && e.topic === "sweeps") {
        const list = itemsOf<SweepSummary>(e.data, "sweeps");
        if (list.length) sweeps.current = new Map(list.map((s) => [s.sweepId, s]));
        refresh();
      } else if (e.kind === "sweep" && e.sweepId && e.data && typeof e.data === "object" && "status" in e.data) {
        sweeps.current.set(e.sweepId, e.data as SweepSummary);
        refresh();
      }
    },
    load,
  );
  const list = [...sweeps.current.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <section>
      <h2>
        Sweeps{" "}
        {props.operator && (
          <button type="button" class="small" onClick={() => setShowStart(!showStart)} data-testid="new-sweep">
            {showStart ? "Close" : "New sweep…"}
          </button>
        )}
      </h2>
      {props.operator && showStart && <StartSweep route={props.route} onError={props.onError} />}
      <table class="grid" data-testid="sweeps-table">
        <thead>
          <tr>
            <th>Sweep</th>
            <th>Status</th>
            <th>Jobs</th>
            <th>Points</th>
            <th>Failed</th>
            <th>GPU-hours</th>
            <th>Trigger</th>
            <th>By</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {list.map((s) => (
            <tr key={s.sweepId} data-sweep={s.sweepId}>
              <td>
                <a href={`#/sweeps/${encodeURIComponent(s.sweepId)}`}>{s.name || s.sweepId}</a>
                <div class="muted small">{s.sweepId}</div>
              </td>
              <td>
                <StateBadge state={s.status} />
              </td>
              <td class="small">
                {s.jobCount} · {s.counts.running} running · {s.counts.queued} queued
              </td>
              <td>
                <Progress done={s.pointsDone} total={s.pointsTotal} />
              </td>
              <td class={s.counts.failed ? "bad" : ""}>{s.counts.failed}</td>
              <td>
                {fmtNum(s.gpuHoursUsed, 2)}
                {s.gpuHoursPlanned ? <span class="muted small"> / {fmtNum(s.gpuHoursPlanned, 1)}</span> : null}
              </td>
              <td class="small">{sweepTrigger(s)}</td>
              <td>{s.triggeredBy}</td>
              <td class="small">{fmtTime(s.createdAt)}</td>
            </tr>
          ))}
          {list.length === 0 && (
            <tr>
              <td colSpan={9} class="muted">
                no sweeps yet
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
