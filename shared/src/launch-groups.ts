/**
 * Launch groups: a server configuration whose load points need different server settings (a lab
 * script setting `--cuda-graph-max-bs $CONC`, or values by concurrency range) is launched once per
 * group of points with identical settings, not once per point. Each group becomes its own
 * deployment (its own job), marked with `launchPart`. Pure: the groups come from the recipes.
 */
import { createHash } from "node:crypto";
import type { Deployment, LoadPoint } from "./deployment.js";
import { evalConcurrencies } from "./eval-selection.js";
import { estimateDeployment } from "./plan-estimate.js";

/**
 * The deployments that launch `d` in `groups` (each a non-empty list of its points, together all of
 * them): `d` itself for one group. The accuracy eval runs in the launches holding its concurrencies
 * (`evalConcs`, else the highest point), each at those it holds.
 */
export function splitLaunches(d: Deployment, groups: LoadPoint[][]): Deployment[] {
  if (groups.length <= 1) return [d];
  const highest = Math.max(...d.points.map((p) => p.concurrency));
  const chosen = evalConcurrencies(d);
  const { evalConc: _one, evalConcs: _all, ...whole } = d;
  return groups.map((points, i) => {
    const concs = points.map((p) => p.concurrency);
    const here = (chosen ?? [highest]).filter((c) => concs.includes(c));
    const evalHere = d.eval && here.length > 0;
    const fingerprint = createHash("sha256")
      .update(`${d.fingerprint}\nlaunch:${points.map((p) => `${p.concurrency}/${p.isl}/${p.osl}`).join(",")}`)
      .digest("hex");
    return {
      ...whole,
      fingerprint,
      points,
      eval: evalHere,
      ...(evalHere && chosen ? { evalConc: Math.max(...here), evalConcs: here } : {}),
      launchPart: { of: d.fingerprint, part: i + 1, parts: groups.length },
      estimate: estimateDeployment({
        nodes: d.nodes,
        gpus: d.gpus,
        points,
        promptsPerConc: d.promptsPerConc,
        eval: evalHere,
        ...(chosen ? { evalRuns: here.length } : {}),
      }),
    };
  });
}
