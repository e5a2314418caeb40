/** The attempt's copy of the lab checkout: made without git history, refused when the script changed. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { labScriptHash } from "@benchfleet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { PhaseError } from "../phase-error.js";
import { checkLabAiperf, labWorkspaceDir, prepareLabWorkspace } from "./workspace.js";

const PATH = "benchmarks/single_node/fixed_seq_len/ex_fp8_h100_vllm.sh";
const TEXT = "#!/usr/bin/env bash\necho run\n";
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function lab(): { lab: string; attempt: string } {
  const root = mkdtempSync(join(tmpdir(), "bf-lab-ws-"));
  dirs.push(root);
  const l = join(root, "lab");
  mkdirSync(join(l, "benchmarks", "single_node", "fixed_seq_len"), { recursive: true });
  mkdirSync(join(l, ".git"));
  writeFileSync(join(l, ".git", "HEAD"), "ref: refs/heads/main\n");
  writeFileSync(join(l, PATH), TEXT);
  return { lab: l, attempt: join(root, "attempt") };
}

describe("lab workspace", () => {
  it("copies the checkout without .git into the attempt", () => {
    const { lab: l, attempt } = lab();
    const ws = prepareLabWorkspace(l, attempt, { path: PATH, sha256: labScriptHash(TEXT) });
    expect(ws).toBe(labWorkspaceDir(attempt));
    expect(readFileSync(join(ws, PATH), "utf8")).toBe(TEXT);
    expect(existsSync(join(ws, ".git"))).toBe(false);
  });

  it("refuses a script whose text differs from the planned one, and an agent without a checkout", () => {
    const { lab: l, attempt } = lab();
    const ref = { path: PATH, sha256: "e".repeat(64) };
    const err = (() => {
      try {
        prepareLabWorkspace(l, attempt, ref);
      } catch (e) {
        return e as PhaseError;
      }
    })();
    expect(err).toBeInstanceOf(PhaseError);
    expect(err?.retryable).toBe(false);
    expect(err?.message).toBe(
      `script mode: ${PATH} in the agent's lab checkout ${l} has sha256 ${labScriptHash(TEXT).slice(0, 12)}, ` +
        "the deployment was planned with eeeeeeeeeeee: check out the lab commit it was planned from",
    );
    expect(() => prepareLabWorkspace(undefined, attempt, ref)).toThrow(
      `script mode: this agent has no lab checkout to run ${PATH} from (agent start --lab DIR, BENCHFLEET_LAB_DIR)`,
    );
    expect(() => prepareLabWorkspace(l, attempt, { ...ref, path: "benchmarks/x.sh" })).toThrow(
      `script mode: the agent's lab checkout ${l} has no benchmarks/x.sh`,
    );
  });

  it("an agentic run on real engines needs the checkout's AIPerf submodule", () => {
    const { lab: l } = lab();
    expect(() => checkLabAiperf(l)).toThrow(
      `script mode: the lab's agentic scripts install AIPerf from utils/aiperf (a git submodule), which the agent's lab checkout ${l} lacks: git -C ${l} submodule update --init utils/aiperf`,
    );
    mkdirSync(join(l, "utils", "aiperf"), { recursive: true });
    expect(() => checkLabAiperf(l)).toThrow(PhaseError);
    writeFileSync(join(l, "utils", "aiperf", "pyproject.toml"), '[project]\nname = "aiperf"\n');
    expect(() => checkLabAiperf(l)).not.toThrow();
  });
});
