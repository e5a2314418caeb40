/**
 * Job / attempt detail: the gang (nodes and roles), phase timeline with durations, live logs per
 * process, GPU telemetry of the gang, the points measured so far (as they arrive), accuracy,
 * failure reason, attempts history, and operator retry / cancel.
 */

import { useRef } from "preact/hooks";
import type { LogSink } from "../components/log-view.js";
import { navigate } from "../hooks.js";
import { attemptPoints } from "../lib/job-view.js";
import { type PhaseSegment, phaseSegmentsByRank } from "../lib/phases.js";
import type { Route } from "../lib/url-state.js";
import {
  AttemptCard,
  AttemptsCard,
  ConfigurationCard,
  JobSummary,
  LogsCard,
  ResultsCard,
  TelemetryCard,
} from "./job-cards.js";
import { useAttemptLogs, useGangTelemetry, useJobData } from "./job-hooks.js";

export function JobView(props: { route: Route; operator: boolean; onError: (m: string) => void }) {
  const jobId = props.route.id!;
  const sink = useRef<LogSink>(null);
  const { job, points, evals, loadJob } = useJobData(jobId, props.onError);
  const attemptId = props.route.params.attempt ?? job?.currentAttemptId ?? job?.attempts.at(-1)?.attemptId;
  const attempt = job?.attempts.find((a) => a.attemptId === attemptId);
  const logs = useAttemptLogs(jobId, attemptId, sink, props.onError);
  const telemetry = useGangTelemetry(attempt);

  if (!job) return <p class="muted">loading job {jobId}…</p>;
  const selectAttempt = (id: string) =>
    navigate({ ...props.route, params: { ...props.route.params, attempt: id } }, true);
  const ranks = attempt
    ? phaseSegmentsByRank(attempt.phases, attempt.finishedAtMs ?? Date.now())
    : new Map<number, PhaseSegment[]>();
  return (
    <section>
      <JobSummary job={job} attempt={attempt} operator={props.operator} reload={loadJob} />
      <div class="cards">
        <ConfigurationCard job={job} />
        <AttemptsCard attempts={job.attempts} selected={attemptId} onSelect={selectAttempt} />
      </div>
      {attempt && <AttemptCard attempt={attempt} ranks={ranks} />}
      <ResultsCard
        points={attemptPoints(points, attemptId, props.route.params.allPoints === "1")}
        jobPoints={points.length}
        evals={evals}
        evalWanted={job.evalWanted}
      />
      {attempt && <TelemetryCard {...telemetry} />}
      <LogsCard
        jobId={jobId}
        attemptId={attemptId}
        sink={sink}
        processes={logs.processes}
        older={logs.older}
        onError={props.onError}
      />
    </section>
  );
}
