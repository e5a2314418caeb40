/**
 * The launch plan of a multi-node script-mode deployment: one process on the Slurm login node (the
 * agent's own), the lab's multi-node script under bash with the lab workflow's env contract
 * (lab-multinode-script.ts in shared). The script submits the Slurm job that runs the engines on
 * the compute nodes and the lab's client; the agent's Slurm launcher adds the runner's site
 * environment, tracks that job and collects its result files. Run once for every point (`CONC_LIST`).
 */
import {
  type Deployment,
  LAB_SCRIPT_PORT,
  LaunchPlan,
  labConcList,
  labEvalConcs,
  labMultiNodeScriptEnv,
  type Placement,
  RecipeError,
} from "@benchfleet/shared";

/** `runnerName`: the lab's RUNNER_NAME for the login node */
export function labMultiNodeScriptPlan(d: Deployment, placement: Placement, runnerName: string): LaunchPlan {
  const where = `${d.configKey}: script mode`;
  const script = d.labScript!;
  const login = placement.nodes[0];
  if (!login) throw new RecipeError(`${where}: the placement has no node`);
  let env: Record<string, string>;
  try {
    env = labMultiNodeScriptEnv(d, {
      runnerName,
      evalConcs: labEvalConcs(d),
    });
  } catch (e) {
    throw new RecipeError(`${where}: ${(e as Error).message}`);
  }
  return LaunchPlan.parse({
    framework: d.framework,
    // a gang of other agents than one Slurm login node holds no process (the agent refuses to run it)
    nodes: placement.nodes.map((n) => ({
      rank: n.rank,
      hostname: n.hostname,
      ip: n.ip,
      processes:
        n.rank !== login.rank
          ? []
          : [
              {
                name: "lab-script",
                role: "worker",
                kind: "lab-script",
                image: d.image,
                argv: ["bash", script.path],
                env,
                mounts: [],
                files: [],
                gpus: [],
                ports: {},
                health: [],
                stage: 0,
                ownSession: true,
              },
            ],
    })),
    endpoint: { baseUrl: `http://${login.ip}:${LAB_SCRIPT_PORT}`, model: d.model, api: "completions" },
    gangHealth: [],
    notes: [
      `script mode: the lab's ${script.path} (sha256 ${script.sha256.slice(0, 12)}) runs on the Slurm login node ` +
        `and submits its own job of ${d.nodes} nodes for concurrencies ${labConcList(d).join(", ")}`,
    ],
    script: { path: script.path, sha256: script.sha256 },
  });
}
