/**
 * Script mode at planning (planFromFiles with a lab checkout): rows that ask for it, and rows whose
 * framework has no recipe, get the lab script of their key stored (path and hash, in the
 * fingerprint); the launch plan runs that script. The lab checkout is one we write in the lab's
 * layout, with scripts in the lab's format.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildLaunchPlan, findUnlaunchable } from "@benchfleet/recipes";
import { makePlacement } from "@benchfleet/recipes/test-support";
import { CliError, labScriptHash } from "@benchfleet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { planFromFiles } from "./config-files.js";
import { formatScriptMode } from "./lab-scripts.js";

const ROW = (key: string, framework: string, extra = "") => `${key}:
  image: example/engine:1.0
  model: example/Model-8B
  model-prefix: ex
  runner: h100
  precision: fp8
  framework: ${framework}
  multinode: false
${extra}  scenarios:
    fixed-seq-len:
      - isl: 1024
        osl: 1024
        search-space:
          - { tp: 2, conc-list: [4, 8] }
`;

// a script in the lab's single-node format: sources benchmark_lib.sh, checks its env contract
const SCRIPT = `#!/usr/bin/env bash
source "$(dirname "$0")/../../benchmark_lib.sh"
check_env_vars MODEL TP CONC ISL OSL RANDOM_RANGE_RATIO RESULT_FILENAME
python3 -m sglang.launch_server --model-path $MODEL --port $PORT --tensor-parallel-size=$TP > /workspace/server.log 2>&1 &
SERVER_PID=$!
wait_for_server_ready --port "$PORT" --server-log /workspace/server.log --server-pid "$SERVER_PID"
run_benchmark_serving --model "$MODEL" --port "$PORT" --backend vllm --input-len "$ISL" --output-len "$OSL" \\
  --random-range-ratio "$RANDOM_RANGE_RATIO" --num-prompts $(( CONC * 10 )) --max-concurrency "$CONC" \\
  --result-filename "$RESULT_FILENAME" --result-dir /workspace/
`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(config: string, scripts: Record<string, string>): { config: string; lab: string } {
  const dir = mkdtempSync(join(tmpdir(), "bf-lab-scripts-"));
  dirs.push(dir);
  writeFileSync(join(dir, "master.yaml"), config);
  const lab = join(dir, "lab");
  const sn = join(lab, "benchmarks", "single_node", "fixed_seq_len");
  mkdirSync(sn, { recursive: true });
  for (const [name, text] of Object.entries(scripts)) writeFileSync(join(sn, name), text);
  return { config: join(dir, "master.yaml"), lab };
}

describe("script mode at planning", () => {
  it("a row with benchfleet.script runs its key's lab script; the path and hash are stored", () => {
    const { config, lab } = setup(ROW("ex-fp8-h100-sglang", "sglang", "  benchfleet: { script: true }\n"), {
      "ex_fp8_h100_sglang.sh": SCRIPT,
    });
    const plan = planFromFiles({ config: [config], lab });
    expect(plan.deployments).toHaveLength(1);
    const d = plan.deployments[0]!;
    expect(d.mode).toBe("script");
    expect(d.labScript).toEqual({
      path: "benchmarks/single_node/fixed_seq_len/ex_fp8_h100_sglang.sh",
      sha256: labScriptHash(SCRIPT),
    });
    // one deployment for both points (each point is a run of the script), no lab eval
    expect(d.points.map((p) => p.concurrency)).toEqual([4, 8]);
    expect(d.eval).toBe(false);
    expect(d.recipeSettings).toBeUndefined();
    const plan2 = buildLaunchPlan(d, makePlacement(d));
    expect(plan2.script).toEqual(d.labScript);
    expect(findUnlaunchable(plan.deployments)).toEqual([]);
    expect(formatScriptMode(plan.deployments)).toBe(
      "script mode: 1 of 1 deployments are planned to run the lab's own benchmark script (single-node: one run per point; multi-node: one Slurm job of the script per row, from a Slurm login-node agent):\n" +
        "  - the row asks for it (benchfleet.script: true)\n" +
        "      ex-fp8-h100-sglang → benchmarks/single_node/fixed_seq_len/ex_fp8_h100_sglang.sh\n",
    );
  });

  it("the script's text is part of the fingerprint; planning without --lab keeps the recipe", () => {
    const row = ROW("ex-fp8-h100-sglang", "sglang", "  benchfleet: { script: true }\n");
    const a = setup(row, { "ex_fp8_h100_sglang.sh": SCRIPT });
    const b = setup(row, { "ex_fp8_h100_sglang.sh": `${SCRIPT}# edited\n` });
    const fa = planFromFiles({ config: [a.config], lab: a.lab }).deployments[0]!.fingerprint;
    const fb = planFromFiles({ config: [b.config], lab: b.lab }).deployments[0]!.fingerprint;
    expect(fa).not.toBe(fb);
    const without = planFromFiles({ config: [a.config] });
    expect(without.deployments[0]!.labScript).toBeUndefined();
    const [u] = findUnlaunchable(without.deployments);
    expect(u?.reason).toMatch(
      /^script mode: no lab script stored with the deployment; plan it with a lab checkout that has benchmarks\/single_node\/fixed_seq_len\/ex_fp8_h100_sglang\.sh or .* \(--lab DIR/,
    );
  });

  it("a framework without a recipe runs in script mode when the lab has its script (the legacy name too)", () => {
    const { config, lab } = setup(ROW("ex-fp8-h100-newfw", "newfw"), { "ex_fp8_h100.sh": SCRIPT });
    const d = planFromFiles({ config: [config], lab }).deployments[0]!;
    expect(d.labScript?.path).toBe("benchmarks/single_node/fixed_seq_len/ex_fp8_h100.sh");
    expect(formatScriptMode([d])).toMatch(/^ {2}- no benchfleet recipe for framework newfw$/m);
    // a framework with a recipe is untouched
    const other = setup(ROW("ex-fp8-h100-vllm", "vllm"), { "ex_fp8_h100_vllm.sh": SCRIPT });
    const v = planFromFiles({ config: [other.config], lab: other.lab }).deployments[0]!;
    expect(v.mode).toBeUndefined();
    expect(v.labScript).toBeUndefined();
  });

  it("benchfleet.script: false keeps a row without a recipe out of script mode", () => {
    const { config, lab } = setup(ROW("ex-fp8-h100-newfw", "newfw", "  benchfleet: { script: false }\n"), {
      "ex_fp8_h100_newfw.sh": SCRIPT,
    });
    const plan = planFromFiles({ config: [config], lab });
    expect(plan.deployments[0]!.mode).toBe("recipe");
    expect(plan.deployments[0]!.labScript).toBeUndefined();
    expect(findUnlaunchable(plan.deployments).map((u) => u.reason)).toEqual(["no recipe for framework newfw"]);
  });

  it("a framework without a recipe and without a lab script stays unlaunchable with its reason", () => {
    const { config, lab } = setup(ROW("ex-fp8-h100-newfw", "newfw"), {});
    const plan = planFromFiles({ config: [config], lab });
    expect(findUnlaunchable(plan.deployments).map((u) => u.reason)).toEqual(["no recipe for framework newfw"]);
  });

  it("a directory that is no lab checkout is refused, named", () => {
    const { config } = setup(ROW("ex-fp8-h100-sglang", "sglang"), {});
    const bad = mkdtempSync(join(tmpdir(), "bf-not-a-lab-"));
    dirs.push(bad);
    expect(() => planFromFiles({ config: [config], lab: bad })).toThrow(CliError);
    expect(() => planFromFiles({ config: [config], lab: bad })).toThrow(
      `lab checkout ${bad}: not an InferenceX checkout (it has no benchmarks/ folder)`,
    );
  });
});
