/**
 * Sweep detail: its jobs in a virtualised table (smooth at 10,000+ rows) with filters by SKU,
 * framework and state, sort and search (all in the URL), counts by state, and operator actions
 * retry failed / cancel. Live from the `sweep` topic; table work is coalesced per animation frame.
 */

import {
  durationText,
  type JobView,
  jobTiming,
  liveText,
  type SweepSummary,
  sweepPaceFactor,
} from "@benchfleet/shared/browser";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, fetchAllPages, itemsOf } from "../api.js";
import { StateBadge } from "../components/badge.js";
import { confirmAction } from "../components/confirm.js";
import { FilterSelect } from "../components/filter-select.js";
import { type Column, VirtualTable } from "../components/virtual-table.js";
import type { LiveEvent } from "../events.js";
import { navigate, setParams, useFrameRefresh, useLive } from "../hooks.js";
import { fmtNum, fmtTime } from "../lib/format.js";
import { sweepTrigger } from "../lib/sweep-trigger.js";
import { countBy, distinct, queryRows, type SortDir } from "../lib/table-model.js";
import type { Route } from "../lib/url-state.js";
import { Progress } from "./sweeps.js";

const STATES = ["queued", "running", "succeeded", "failed", "cancelled"];

/** running jobs' live part and timing are fetched this often (progress reports come every ~2 s) */
const LIVE_POLL_MS = 2000;

/** `4m 05s · ~2m 10s left`; queued: `~3m 00s (plan)`; finished: its wall time */
function timeCell(j: JobView, pace: number | undefined): string {
  const t = j.status === "running" && j.timing ? j.timing : jobTiming(j, undefined, pace, Date.now());
  if (t.basis === "finished") return t.elapsedS !== undefined ? durationText(t.elapsedS) : "–";
  const left = `~${durationText(t.remainingS)}${t.basis === "measured" ? " left" : ` (${t.basis})`}`;
  return t.elapsedS !== undefined ? `${durationText(t.elapsedS)} · ${left}` : left;
}

const columns = (pace: number | undefined): Column<JobView>[] => [
  {
    key: "configKey",
    label: "Config key",
    width: "minmax(180px, 2fr)",
    render: (j) => <span title={j.jobId}>{j.configKey}</span>,
    sortable: true,
  },
  { key: "sku", label: "SKU", width: "70px", render: (j) => j.sku, sortable: true },
  { key: "framework", label: "Framework", width: "110px", render: (j) => j.framework, sortable: true },
  { key: "model", label: "Model", width: "minmax(100px, 1fr)", render: (j) => j.model, sortable: true },
  {
    key: "parallelism",
    label: "Parallelism",
    width: "minmax(90px, 1fr)",
    render: (j) => <span data-testid="job-parallelism">{j.parallelism ?? "–"}</span>,
    sortable: true,
  },
  {
    key: "concurrencies",
    label: "Conc",
    width: "minmax(70px, 1fr)",
    render: (j) => (j.concurrencies ?? []).join(","),
  },
  {
    key: "nodes",
    label: "Nodes",
    width: "minmax(56px, 1fr)",
    render: (j) => (j.live ? <span title={j.live.nodes.join(", ")}>{j.live.nodes.join(", ")}</span> : j.nodes),
    sortable: true,
  },
  { key: "status", label: "State", width: "90px", render: (j) => <StateBadge state={j.status} />, sortable: true },
  {
    key: "live",
    label: "Now",
    width: "minmax(260px, 3fr)",
    render: (j) =>
      j.live ? (
        <span class="small" data-testid="job-now" title={liveText(j.live, j.pointsTotal)}>
          {liveText(j.live, j.pointsTotal)}
        </span>
      ) : (
        ""
      ),
  },
  {
    key: "pointsDone",
    label: "Points",
    width: "150px",
    render: (j) => <Progress done={j.pointsDone} total={j.pointsTotal} />,
    sortable: true,
  },
  { key: "attempts", label: "Tries", width: "50px", render: (j) => j.attempts, sortable: true },
  { key: "priority", label: "Prio", width: "50px", render: (j) => j.priority, sortable: true },
  {
    key: "estimatedSeconds",
    label: "Time",
    width: "minmax(150px, 1fr)",
    render: (j) => (
      <span data-testid="job-time" title={timeCell(j, pace)}>
        {timeCell(j, pace)}
      </span>
    ),
    sortable: true,
  },
  {
    key: "lastError",
    label: "Failure",
    width: "minmax(120px, 2fr)",
    render: (j) => (
      <span class="bad" title={j.lastError}>
        {j.lastError ?? ""}
      </span>
    ),
    sortable: true,
  },
];

export function SweepView(props: { route: Route; operator: boolean; onError: (m: string) => void }) {
  const sweepId = props.route.id!;
  const jobs = useRef(new Map<string, JobView>());
  const [version, setVersion] = useState(0);
  const [sweep, setSweep] = useState<SweepSummary | undefined>();
  const [loading, setLoading] = useState(true);
  const refresh = useFrameRefresh();
  const bump = () => {
    setVersion((v) => v + 1);
    refresh();
  };

  const load = async () => {
    try {
      const [s, list] = await Promise.all([
        api<SweepSummary | { sweep: SweepSummary }>(`/sweeps/${encodeURIComponent(sweepId)}`),
        fetchAllPages<JobView>(`/jobs?sweep=${encodeURIComponent(sweepId)}`),
      ]);
      setSweep("sweep" in s ? s.sweep : s);
      jobs.current = new Map(list.map((j) => [j.jobId, j]));
      bump();
    } catch (e) {
      props.onError(`sweep ${sweepId}: ${(e as Error).message}`);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    load();
  }, [sweepId]);

  // job deltas arrive in bursts: apply them to the map at once, re-derive once per frame
  const pendingJobs = useRef<JobView[]>([]);
  const flushScheduled = useRef(false);
  useLive(
    { topic: "sweep", id: sweepId },
    (e: LiveEvent) => {
      if (e.kind === "job" && e.sweepId === sweepId && e.data) {
        pendingJobs.current.push(e.data as JobView);
        if (!flushScheduled.current) {
          flushScheduled.current = true;
          requestAnimationFrame(() => {
            flushScheduled.current = false;
            // a job event carries the record: a running job keeps its live part until the next poll
            for (const j of pendingJobs.current) {
              const prev = jobs.current.get(j.jobId);
              jobs.current.set(
                j.jobId,
                j.status === "running" && prev ? { ...j, live: prev.live, timing: prev.timing } : j,
              );
            }
            pendingJobs.current = [];
            bump();
          });
        }
      } else if (
        e.kind === "sweep" &&
        e.sweepId === sweepId &&
        e.data &&
        typeof e.data === "object" &&
        "status" in e.data
      ) {
        setSweep(e.data as SweepSummary);
      } else if (e.kind === "snapshot" && e.topic === "sweep" && e.data) {
        const d = e.data as { sweep?: SweepSummary };
        if (d.sweep) setSweep(d.sweep);
        const list = itemsOf<JobView>(e.data, "jobs");
        if (list.length) {
          for (const j of list) jobs.current.set(j.jobId, j);
          bump();
        }
      }
    },
    load,
  );

  // while jobs run: their phase, nodes, progress in the load point and measured timing
  useEffect(() => {
    const timer = setInterval(() => {
      if (![...jobs.current.values()].some((j) => j.status === "running")) return;
      fetchAllPages<JobView>(`/jobs?sweep=${encodeURIComponent(sweepId)}&status=running`)
        .then((list) => {
          for (const j of list) jobs.current.set(j.jobId, j);
          bump();
        })
        .catch(() => undefined);
    }, LIVE_POLL_MS);
    return () => clearInterval(timer);
  }, [sweepId]);

  const p = props.route.params;
  const all = useMemo(() => [...jobs.current.values()], [version]);
  const pace = useMemo(() => sweepPaceFactor(all), [all]);
  const cols = useMemo(() => columns(pace), [pace]);
  const rows = useMemo(
    () =>
      queryRows(all, {
        filters: { sku: p.sku, framework: p.framework, status: p.state },
        search: p.q,
        searchIn: (j) => `${j.configKey} ${j.parallelism ?? ""} ${j.model} ${j.jobId} ${j.runner} ${j.lastError ?? ""}`,
        sortKey: p.sort ?? "configKey",
        sortDir: (p.dir as SortDir) ?? "asc",
      }),
    [all, p.sku, p.framework, p.state, p.q, p.sort, p.dir],
  );
  const counts = useMemo(() => countBy(all, (j) => j.status), [all]);
  const skus = useMemo(() => distinct(all, (j) => j.sku), [all]);
  const frameworks = useMemo(() => distinct(all, (j) => j.framework), [all]);

  const onSort = (key: string) =>
    setParams(props.route, { sort: key, dir: p.sort === key && p.dir !== "desc" ? "desc" : "asc" });
  // what `sweep retry` re-queues by default: failed and cancelled jobs
  const failed = (counts.failed ?? 0) + (counts.cancelled ?? 0);
  const live = (counts.queued ?? 0) + (counts.running ?? 0);

  return (
    <section>
      <h2>
        <a href="#/sweeps">Sweeps</a> / {sweep?.name || sweepId}
      </h2>
      {sweep && (
        <div class="summary" data-testid="sweep-summary">
          <StateBadge state={sweep.status} />
          <span>
            points <Progress done={sweep.pointsDone} total={sweep.pointsTotal} />
          </span>
          {sweep.pointsMissing > 0 && (
            <span class="warn" data-testid="points-missing">
              {sweep.pointsMissing} points missing ({sweep.counts.failed} failed, {sweep.counts.cancelled} cancelled
              jobs)
            </span>
          )}
          <span>GPU-hours {fmtNum(sweep.gpuHoursUsed, 2)}</span>
          <span class="muted">{sweepTrigger(sweep)}</span>
          <span class="muted">
            by {sweep.triggeredBy} at {fmtTime(sweep.createdAt)}
          </span>
        </div>
      )}
      <div class="summary" data-testid="state-counts">
        {STATES.map((s) => (
          <button
            key={s}
            type="button"
            class="summary-item link"
            onClick={() => setParams(props.route, { state: p.state === s ? undefined : s })}
            data-count={s}
            title={`show only ${s} jobs`}
          >
            <StateBadge state={s} /> <span class="count">{counts[s] ?? 0}</span>
          </button>
        ))}
        {props.operator && (
          <>
            <button
              type="button"
              disabled={failed === 0}
              onClick={() =>
                confirmAction({
                  title: `Retry ${failed} failed or cancelled jobs of ${sweepId}?`,
                  confirmLabel: "Retry failed and cancelled",
                  run: () =>
                    api(`/sweeps/${encodeURIComponent(sweepId)}/retry`, { method: "POST", body: {} }).then(load),
                })
              }
              data-testid="retry-failed"
            >
              Retry failed/cancelled
            </button>
            <button
              type="button"
              class="danger"
              disabled={live === 0}
              onClick={() =>
                confirmAction({
                  title: `Cancel sweep ${sweepId}?`,
                  body: `${live} queued or running jobs stop; agents tear their deployments down.`,
                  confirmLabel: "Cancel sweep",
                  danger: true,
                  run: () =>
                    api(`/sweeps/${encodeURIComponent(sweepId)}/cancel`, { method: "POST", body: {} }).then(load),
                })
              }
              data-testid="cancel-sweep"
            >
              Cancel sweep
            </button>
          </>
        )}
      </div>
      <div class="filters">
        <FilterSelect route={props.route} param="sku" label="SKU" values={skus} />
        <FilterSelect route={props.route} param="framework" label="Framework" values={frameworks} />
        <FilterSelect route={props.route} param="state" label="State" values={STATES} />
        <input
          type="search"
          placeholder="search config key, model, error"
          value={p.q ?? ""}
          onInput={(e) => setParams(props.route, { q: (e.target as HTMLInputElement).value })}
          data-testid="job-search"
        />
      </div>
      {loading ? (
        <p class="muted">loading jobs…</p>
      ) : (
        <VirtualTable
          rows={rows}
          columns={cols}
          rowKey={(j) => j.jobId}
          sortKey={p.sort ?? "configKey"}
          sortDir={(p.dir as SortDir) ?? "asc"}
          onSort={onSort}
          onRowClick={(j) => navigate({ view: "job", id: j.jobId, params: {} })}
          height={Math.max(300, window.innerHeight - 260)}
          testId="jobs-table"
        />
      )}
    </section>
  );
}
