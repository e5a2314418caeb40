/**
 * The launch plan of a script-mode deployment: one process on the first node, the lab's own
 * benchmark script under bash in the row's image, with the lab's env contract (lab-script.ts in
 * shared) and every GPU of the deployment. The executor runs it once per load point with that
 * point's CONC and RESULT_FILENAME. Its working directory is the lab checkout at `/workspace/`, as
 * the lab's runners mount it; the agent provides that checkout.
 */
import {
  type Deployment,
  isMultiNodeLab,
  LAB_HF_HUB_CACHE,
  LaunchPlan,
  labScriptCandidates,
  labScriptEnv,
  type Placement,
  RecipeError,
} from "@benchfleet/shared";
import { labMultiNodeScriptPlan } from "./lab-multinode-script-plan.js";

/** the lab's runners mount the checkout here and run the script from it */
export const LAB_WORKSPACE = "/workspace/";

/** the lab's `RUNNER_NAME` for a node: `<sku>-benchfleet_<host>` (the result file name ends with it) */
export function labRunnerName(d: Deployment, hostname: string): string {
  return `${d.sku}-benchfleet_${hostname.replace(/[^A-Za-z0-9.-]/g, "-")}`;
}

export function labScriptPlan(d: Deployment, placement: Placement): LaunchPlan {
  const where = `${d.configKey}: script mode`;
  if (!d.labScript)
    throw new RecipeError(
      `${where}: no lab script stored with the deployment; plan it with a lab checkout that has ${labScriptCandidates(d).join(" or ")} (--lab DIR, controller BENCHFLEET_LAB_DIR)`,
    );
  if (isMultiNodeLab(d)) {
    const login = placement.nodes[0];
    if (!login) throw new RecipeError(`${where}: the placement has no node`);
    return labMultiNodeScriptPlan(d, placement, labRunnerName(d, login.hostname));
  }
  const node = placement.nodes[0];
  if (!node) throw new RecipeError(`${where}: the placement has no node`);
  if (d.gpus > node.gpuCount)
    throw new RecipeError(
      `${where}: the script runs on one node; it needs ${d.gpus} GPUs, the node has ${node.gpuCount}`,
    );
  const port = placement.portBase;
  const first = d.points[0]?.concurrency ?? 1;
  const env = labScriptEnv(d, first, {
    runnerName: labRunnerName(d, node.hostname),
    port,
    hfHubCache: LAB_HF_HUB_CACHE,
  });
  return LaunchPlan.parse({
    framework: d.framework,
    nodes: placement.nodes.map((n) => ({
      rank: n.rank,
      hostname: n.hostname,
      ip: n.ip,
      processes:
        n.rank !== node.rank
          ? []
          : [
              {
                name: "lab-script",
                role: "worker",
                kind: "lab-script",
                image: d.image,
                argv: ["bash", d.labScript!.path],
                env,
                mounts: [],
                cwd: LAB_WORKSPACE,
                files: [],
                gpus: Array.from({ length: d.gpus }, (_, i) => i),
                ports: { http: port },
                health: [],
                stage: 0,
                ownSession: true,
              },
            ],
    })),
    endpoint: { baseUrl: `http://${node.ip}:${port}`, model: d.model, api: "completions" },
    gangHealth: [],
    notes: [`script mode: each point runs the lab's ${d.labScript.path} (sha256 ${d.labScript.sha256.slice(0, 12)})`],
    script: { path: d.labScript.path, sha256: d.labScript.sha256 },
  });
}
