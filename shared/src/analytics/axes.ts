/**
 * The named metrics a frontier or chart can use as an axis, with their direction of "better".
 * Default frontier: interactivity ↑ (x) vs throughput per GPU ↑ (y).
 */
import type { PointMetrics, TcoRateName } from "./per-point.js";

export interface MetricAxis {
  label: string;
  unit: string;
  better: "higher" | "lower";
  get(m: PointMetrics): number | null;
}

const cost = (rate: TcoRateName, kind: "total" | "input" | "output") => (m: PointMetrics) => m.cost[rate][kind];

export const METRIC_AXES = {
  interactivity: { label: "Interactivity (median)", unit: "tok/s/user", better: "higher", get: (m) => m.interactivity },
  p90Interactivity: {
    label: "Interactivity (p90 TPOT)",
    unit: "tok/s/user",
    better: "higher",
    get: (m) => m.p90Interactivity,
  },
  tputPerGpu: { label: "Throughput per GPU", unit: "tok/s/GPU", better: "higher", get: (m) => m.tputPerGpu },
  outputTputPerGpu: {
    label: "Output throughput per GPU",
    unit: "tok/s/GPU",
    better: "higher",
    get: (m) => m.outputTputPerGpu,
  },
  inputTputPerGpu: {
    label: "Input throughput per GPU",
    unit: "tok/s/GPU",
    better: "higher",
    get: (m) => m.inputTputPerGpu,
  },
  cost: { label: "Cost (hyperscaler)", unit: "$/M tokens", better: "lower", get: cost("hyperscaler", "total") },
  costNeocloud: { label: "Cost (neocloud)", unit: "$/M tokens", better: "lower", get: cost("neocloud", "total") },
  costRental: { label: "Cost (3-yr rental)", unit: "$/M tokens", better: "lower", get: cost("rental", "total") },
  costOutput: {
    label: "Cost of output (hyperscaler)",
    unit: "$/M tokens",
    better: "lower",
    get: cost("hyperscaler", "output"),
  },
  ttft: { label: "TTFT (median)", unit: "ms", better: "lower", get: (m) => m.ttftMs.median },
  p90Ttft: { label: "TTFT (p90)", unit: "ms", better: "lower", get: (m) => m.ttftMs.p90 },
  p99Ttft: { label: "TTFT (p99)", unit: "ms", better: "lower", get: (m) => m.ttftMs.p99 },
  e2el: { label: "E2E latency (median)", unit: "ms", better: "lower", get: (m) => m.e2elMs.median },
  p90E2el: { label: "E2E latency (p90)", unit: "ms", better: "lower", get: (m) => m.e2elMs.p90 },
  joulesPerToken: {
    label: "Energy per token (measured)",
    unit: "J/token",
    better: "lower",
    get: (m) => m.joulesPerToken,
  },
  provisionedJoulesPerToken: {
    label: "Energy per token (provisioned power)",
    unit: "J/token",
    better: "lower",
    get: (m) => m.provisionedJoulesPerToken,
  },
  tokensPerSecPerMw: { label: "Tokens per MW", unit: "tok/s/MW", better: "higher", get: (m) => m.tokensPerSecPerMw },
} as const satisfies Record<string, MetricAxis>;

export type AxisName = keyof typeof METRIC_AXES;
export const AXIS_NAMES = Object.keys(METRIC_AXES) as AxisName[];

export function isAxisName(s: string): s is AxisName {
  return Object.hasOwn(METRIC_AXES, s);
}
