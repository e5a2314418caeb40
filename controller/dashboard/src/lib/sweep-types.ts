/** Shapes the controller's API answers for sweeps, jobs and attempts (as the dashboard reads them). */
export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface SweepSummary {
  sweepId: string;
  name: string;
  triggeredBy: string;
  createdAt: string;
  source: {
    kind: string;
    keys?: string[];
    skus?: string[];
    changelog?: { file?: string; base?: string; head?: string };
    configFiles?: string[];
  };
  jobCount: number;
  cancelledAt?: string;
  parentSweepId?: string;
  status: string;
  counts: Record<JobStatus, number>;
  pointsDone: number;
  pointsTotal: number;
  gpuHoursUsed: number;
  gpuHoursPlanned: number;
}

export interface JobRecord {
  jobId: string;
  sweepId: string;
  runner: string;
  sku: string;
  fingerprint: string;
  configKey: string;
  model: string;
  framework: string;
  nodes: number;
  gpus: number;
  priority: number;
  estimatedSeconds: number;
  pointsTotal: number;
  pointsDone: number;
  evalWanted: boolean;
  evalDone: boolean;
  status: JobStatus;
  attempts: number;
  currentAttemptId?: string;
  lastError?: string;
  excludedNodes: string[];
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  gpuSeconds: number;
  retryAt?: number;
}

export interface GangMember {
  agentId: string;
  hostname: string;
  ip: string;
  rank: number;
  gpuCount: number;
}

export interface AttemptRecord {
  attemptId: string;
  jobId: string;
  sweepId: string;
  attemptNumber: number;
  fencingToken: number;
  gang: GangMember[];
  state: string;
  phase?: string;
  phases: Record<string, { status: string; at: string; durationMs?: number; reason?: string }>;
  emulated: boolean;
  gpus: number;
  createdAt: string;
  startedAtMs: number;
  finishedAt?: string;
  finishedAtMs?: number;
  reason?: string;
  failedNodes?: string[];
  engineVersion?: string;
  phaseDurationsMs?: Record<string, number>;
}

export function sweepTrigger(s: SweepSummary): string {
  const src = s.source ?? { kind: "?" };
  const parts: string[] = [src.kind];
  if (src.changelog) parts.push(`${src.changelog.base ?? "?"}..${src.changelog.head ?? "worktree"}`);
  if (src.keys?.length) parts.push(`keys ${src.keys.join(",")}`);
  if (src.skus?.length) parts.push(`skus ${src.skus.join(",")}`);
  return parts.join(" · ");
}
