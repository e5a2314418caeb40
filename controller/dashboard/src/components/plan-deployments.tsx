/**
 * The plan preview's deployments: each launch with its configuration, parallelism, concurrencies,
 * launch (part of parts when a configuration launches once per group of points), gang, GPU-hours
 * and wall-clock estimate with what it rests on (`measured`: the same deployment ran here before;
 * `calibrated`: the model scaled by finished jobs of its SKU and framework; `model`: the plan's
 * estimate); above it, the sweep's wall-clock time on the fleet.
 */
import { durationText, type PlanTiming, parallelismOf } from "@benchfleet/shared/browser";
import { fmtNum } from "../lib/format.js";

/** the fields of a planned deployment this table shows */
export interface PreviewDeployment {
  fingerprint: string;
  configKey: string;
  sku: string;
  framework: string;
  runner: string;
  nodes: number;
  gpus: number;
  isl: number;
  osl: number;
  tp?: number;
  ep?: number;
  pp?: number;
  dpAttn?: boolean;
  specDecoding: "mtp" | "draft_model" | "none";
  prefill?: { numWorker: number; tp: number; ep: number; pp?: number; dpAttn: boolean };
  decode?: { numWorker: number; tp: number; ep: number; pp?: number; dpAttn: boolean };
  points: Array<{ concurrency: number }>;
  evalsOnly: boolean;
  launchPart?: { part: number; parts: number };
  estimate: { gpuHours: number; wallSeconds: number };
}

/** rows drawn at most; the rest are counted */
const MAX_ROWS = 300;

function where(t: PlanTiming): string {
  return t.nodesFrom === "fleet" ? "on the fleet's nodes" : "one gang per label";
}

export function PlanWallClock(props: { timing: PlanTiming }) {
  const t = props.timing;
  const bases = (["measured", "calibrated", "model"] as const)
    .filter((b) => (t.bases[b] ?? 0) > 0)
    .map((b) => `${t.bases[b]} ${b}`)
    .join(", ");
  return (
    <p data-testid="plan-wall-clock">
      Wall-clock ≈ <b>{durationText(t.wallSeconds)}</b> {where(t)} (
      {Object.entries(t.byRunner)
        .map(([label, r]) => `${label}: ${r.nodes} node${r.nodes === 1 ? "" : "s"}${r.nodesKnown ? "" : " assumed"}`)
        .join(", ")}
      ), {durationText(t.serialSeconds)} one after another · estimates: {bases}
    </p>
  );
}

export function PlanDeployments(props: { deployments: PreviewDeployment[]; timing?: PlanTiming }) {
  const { deployments, timing } = props;
  const shown = deployments.slice(0, MAX_ROWS);
  return (
    <div class="plan-deployments" data-testid="plan-deployments">
      <table class="grid">
        <thead>
          <tr>
            <th>Config</th>
            <th>SKU</th>
            <th>Framework</th>
            <th>Parallelism</th>
            <th>ISL/OSL</th>
            <th>Concurrency</th>
            <th title="a configuration whose points need their own server settings launches once per group">Launch</th>
            <th>Nodes</th>
            <th>GPUs</th>
            <th>GPU-h</th>
            <th title="measured: this deployment ran here before; calibrated: the model scaled by finished jobs of its SKU and framework; model: the plan's estimate">
              Wall-clock
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map((d, i) => {
            const t = timing?.deployments[i];
            return (
              <tr key={`${d.fingerprint}-${i}`} data-testid="plan-deployment">
                <td>{d.configKey}</td>
                <td>{d.sku}</td>
                <td>{d.framework}</td>
                <td>{parallelismOf(d)}</td>
                <td>
                  {d.isl}/{d.osl}
                </td>
                <td>{d.evalsOnly ? "eval only" : d.points.map((p) => p.concurrency).join(",")}</td>
                <td>{d.launchPart ? `${d.launchPart.part}/${d.launchPart.parts}` : "1/1"}</td>
                <td>{d.nodes}</td>
                <td>{d.gpus}</td>
                <td>{fmtNum(d.estimate.gpuHours, 1)}</td>
                <td data-basis={t?.basis ?? "model"}>
                  {durationText(t?.wallSeconds ?? d.estimate.wallSeconds)}{" "}
                  <span class={`muted small basis-${t?.basis ?? "model"}`}>
                    {t?.basis ?? "model"}
                    {t?.basis === "calibrated" && t.factor !== undefined ? ` ×${Number(t.factor.toPrecision(2))}` : ""}
                    {t && t.jobs > 0 ? ` (${t.jobs} job${t.jobs === 1 ? "" : "s"})` : ""}
                  </span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {deployments.length > MAX_ROWS ? (
        <p class="muted small">
          {deployments.length - MAX_ROWS} more deployments not listed (`benchfleet plan` lists them all)
        </p>
      ) : null}
    </div>
  );
}
