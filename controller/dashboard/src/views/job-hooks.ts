/**
 * The data of the job view: the job and its results (reloaded on live events), an attempt's logs,
 * the gang's live telemetry.
 */
import type { AttemptRecord, JobDetail } from "@benchfleet/shared/browser";
import { type JobLogsTail, summarizeTelemetry, taggedLogText } from "@benchfleet/shared/browser";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";
import { api, itemsOf } from "../api.js";
import type { LogSink } from "../components/log-view.js";
import type { LiveEvent } from "../events.js";
import { useLive } from "../hooks.js";
import { type EvalRow, gangTelemetry, type JobPointRow } from "../lib/job-view.js";
import type { LogText } from "../lib/log-buffer.js";
import type { TelemetrySample } from "../lib/series.js";

/** Runs `fn` at most once per `ms`, trailing. */
function useThrottled(fn: () => void, ms: number): () => void {
  const ref = useRef(fn);
  ref.current = fn;
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return () => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      ref.current();
    }, ms);
  };
}

/** The job with its attempts, and its stored points and evals; refetched (throttled) on the job's live events. */
export function useJobData(jobId: string, onError: (m: string) => void) {
  const [job, setJob] = useState<JobDetail | undefined>();
  const [points, setPoints] = useState<JobPointRow[]>([]);
  const [evals, setEvals] = useState<EvalRow[]>([]);
  const loadJob = () =>
    api<JobDetail>(`/jobs/${encodeURIComponent(jobId)}`)
      .then(setJob)
      .catch((e) => onError(`job ${jobId}: ${(e as Error).message}`));
  const loadResults = () =>
    Promise.all([
      api(`/results?job=${encodeURIComponent(jobId)}&emulated=any&limit=5000`).then((d) =>
        setPoints(itemsOf<JobPointRow>(d)),
      ),
      api(`/results/evals?job=${encodeURIComponent(jobId)}&emulated=any`).then((d) => setEvals(itemsOf<EvalRow>(d))),
    ]).catch((e) => onError(`results of ${jobId}: ${(e as Error).message}`));
  const refetchJob = useThrottled(loadJob, 300);
  const refetchResults = useThrottled(loadResults, 300);
  useEffect(() => {
    loadJob();
    loadResults();
  }, [jobId]);
  useLive(
    { topic: "job", id: jobId },
    (e: LiveEvent) => {
      if (e.jobId !== jobId) return;
      if (e.kind === "job" || e.kind === "attempt" || e.kind === "phase" || e.kind === "progress") refetchJob();
      if (e.kind === "point" || e.kind === "eval") refetchResults();
    },
    () => {
      loadJob();
      loadResults();
    },
  );
  return { job, points, evals, loadJob };
}

/** the tail the job view loads per process; older lines are in the download */
export const LOG_TAIL = 5000;

/**
 * The logs of the selected attempt into `sink`: the stored tail, then live lines (lines arriving
 * meanwhile wait). Also the attempt's processes, and those with lines older than the tail.
 */
export function useAttemptLogs(
  jobId: string,
  attemptId: string | undefined,
  sink: { current: LogSink | null },
  onError: (m: string) => void,
): { processes: string[]; older: string[] } {
  const [processes, setProcesses] = useState<string[]>([]);
  const [older, setOlder] = useState<string[]>([]);
  const logReady = useRef(false);
  const early = useRef<Array<{ process: string; lines: LogText[] }>>([]);
  const loadLogs = async () => {
    if (!attemptId) return;
    logReady.current = false;
    early.current = [];
    sink.current?.clear();
    try {
      const d = await api<JobLogsTail>(
        `/jobs/${encodeURIComponent(jobId)}/logs?attempt=${encodeURIComponent(attemptId)}&tail=${LOG_TAIL}`,
      );
      setProcesses(d.processes);
      setOlder(d.older);
      // the tail comes process by process: shown merged by line time, as a download has them
      const byTime = d.lines
        .map((l, i) => ({ l, i, at: l.at ?? "" }))
        .sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : x.i - y.i))
        .map((x) => x.l);
      let run: { process: string; lines: LogText[] } | undefined;
      for (const l of byTime) {
        if (!run || run.process !== l.process) {
          if (run) sink.current?.append(run.process, run.lines);
          run = { process: l.process, lines: [] };
        }
        run.lines.push(l.at === undefined ? { text: l.line } : { at: l.at, text: l.line });
      }
      if (run) sink.current?.append(run.process, run.lines);
    } catch (e) {
      onError(`logs: ${(e as Error).message}`);
    }
    logReady.current = true;
    for (const x of early.current) sink.current?.append(x.process, x.lines);
    early.current = [];
  };
  useEffect(() => {
    loadLogs();
  }, [attemptId]);
  useLive(
    { topic: "job-logs", id: jobId },
    (e: LiveEvent) => {
      if (e.kind !== "log" || e.jobId !== jobId || e.attemptId !== attemptId || !e.lines || !e.process) return;
      const now = new Date().toISOString();
      const lines = e.lines.map((l, i) => ({ at: e.times?.[i] ?? now, text: taggedLogText(e.stream, l) }));
      if (!processes.includes(e.process)) setProcesses((p) => (p.includes(e.process!) ? p : [...p, e.process!].sort()));
      if (logReady.current) sink.current?.append(e.process, lines);
      else early.current.push({ process: e.process, lines });
    },
    loadLogs,
  );
  return { processes, older };
}

const TELEMETRY_POINTS = 300;

/** The gang's GPU power and utilisation over the last heartbeats, as chart data and options. */
export function useGangTelemetry(attempt: AttemptRecord | undefined) {
  const [tick, setTick] = useState(0);
  const tele = useRef<{ t: number[]; power: number[]; util: number[] }>({ t: [], power: [], util: [] });
  const teleByNode = useRef(new Map<string, { powerW: number | null; utilPct: number | null }>());
  const gangIds = useMemo(() => new Set(attempt?.gang.map((m) => m.agentId) ?? []), [attempt?.attemptId]);
  useLive({ topic: "fleet" }, (e: LiveEvent) => {
    if (e.kind !== "telemetry" || !e.nodeId || !gangIds.has(e.nodeId)) return;
    teleByNode.current.set(e.nodeId, summarizeTelemetry(e.data as TelemetrySample));
    const { powerW, utilPct } = gangTelemetry(teleByNode.current.values());
    const t = tele.current;
    t.t.push(Date.now() / 1000);
    t.power.push(powerW);
    t.util.push(utilPct);
    if (t.t.length > TELEMETRY_POINTS) for (const a of [t.t, t.power, t.util]) a.splice(0, a.length - TELEMETRY_POINTS);
    setTick((n) => n + 1);
  });
  const data = useMemo<uPlot.AlignedData>(
    () => [tele.current.t.slice(), tele.current.power.slice(), tele.current.util.slice()],
    [tick],
  );
  const options = useMemo<Omit<uPlot.Options, "width" | "height">>(
    () => ({
      scales: { x: { time: true }, w: { auto: true }, pct: { range: [0, 100] } },
      axes: [{}, { scale: "w", label: "W (gang)" }, { scale: "pct", side: 1, label: "util %", grid: { show: false } }],
      series: [
        {},
        { label: "GPU power W", scale: "w", stroke: "#dc2626" },
        { label: "GPU util %", scale: "pct", stroke: "#16a34a" },
      ],
    }),
    [],
  );
  return { data, options, samples: tele.current.t.length };
}
