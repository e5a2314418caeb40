/**
 * The lab checkout a script-mode attempt runs in: a copy, per attempt, of the agent's checkout
 * (`--lab DIR`) without its git history, mounted at `/workspace/` as the lab's runners mount
 * theirs. The script must hash as it did when the deployment was planned; the copy keeps the
 * agent's checkout unchanged by what the script writes (server.log, the result JSON).
 */
import { cpSync, existsSync, readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { type LabScriptRef, labScriptHash } from "@benchfleet/shared";
import { PhaseError } from "../phase-error.js";

/** where an attempt's copy of the lab checkout lives on this node */
export function labWorkspaceDir(attemptDir: string): string {
  return join(attemptDir, "lab-workspace");
}

/** copies the checkout into the attempt's workspace and checks the script; returns the workspace */
export function prepareLabWorkspace(labDir: string | undefined, attemptDir: string, ref: LabScriptRef): string {
  if (!labDir)
    throw new PhaseError(
      `script mode: this agent has no lab checkout to run ${ref.path} from (agent start --lab DIR, BENCHFLEET_LAB_DIR)`,
      false,
    );
  const source = join(labDir, ref.path);
  if (!existsSync(source))
    throw new PhaseError(`script mode: the agent's lab checkout ${labDir} has no ${ref.path}`, false);
  const have = labScriptHash(readFileSync(source));
  if (have !== ref.sha256)
    throw new PhaseError(
      `script mode: ${ref.path} in the agent's lab checkout ${labDir} has sha256 ${have.slice(0, 12)}, ` +
        `the deployment was planned with ${ref.sha256.slice(0, 12)}: check out the lab commit it was planned from`,
      false,
    );
  const ws = labWorkspaceDir(attemptDir);
  rmSync(ws, { recursive: true, force: true });
  cpSync(labDir, ws, { recursive: true, filter: (src) => basename(src) !== ".git" });
  return ws;
}

/** where the lab's agentic scripts install AIPerf from (benchmark_lib.sh's AIPERF_DIR), a git submodule of the checkout */
const LAB_AIPERF_DIR = "utils/aiperf";

/**
 * An agentic script on real engines replays the trace with the lab's AIPerf, which its
 * `install_agentic_deps` installs from the checkout's `utils/aiperf` submodule: a checkout without
 * it is refused before the script starts, naming how to get it.
 */
export function checkLabAiperf(labDir: string): void {
  if (!existsSync(join(labDir, LAB_AIPERF_DIR, "pyproject.toml")))
    throw new PhaseError(
      `script mode: the lab's agentic scripts install AIPerf from ${LAB_AIPERF_DIR} (a git submodule), which the agent's lab checkout ${labDir} lacks: git -C ${labDir} submodule update --init ${LAB_AIPERF_DIR}`,
      false,
    );
}
