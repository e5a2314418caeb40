/**
 * What the lab's runner scripts add to `srtctl apply` beyond the recipe (InferenceX
 * `runners/launch_<runner>.sh`). srtctl applies `--setup-script NAME` by replacing the recipe's
 * `setup_script` (its SRTCTL_SETUP_SCRIPT), so a row planned from its recipe carries the runner's
 * choice with it. Pure.
 */

interface RunnerSetupScript {
  sku: string;
  framework: string;
  script: string;
  /** the runner script that passes it */
  from: string;
}

/** launch_gb200-nv.sh passes `--setup-script install-torchao.sh` for every dynamo-sglang row. */
const RUNNER_SETUP_SCRIPTS: readonly RunnerSetupScript[] = [
  { sku: "gb200", framework: "dynamo-sglang", script: "install-torchao.sh", from: "runners/launch_gb200-nv.sh" },
];

/** The setup script the lab's runner passes to `srtctl apply` for a row of this SKU and framework. */
export function labRunnerSetupScript(sku: string, framework: string): string | undefined {
  return RUNNER_SETUP_SCRIPTS.find((r) => r.sku === sku && r.framework === framework)?.script;
}
