/**
 * Agentic rows in script mode at planning (planFromFiles with a lab checkout): a row that asks, and
 * a row whose script preset says `script-mode:`, get the lab's agentic script of their key stored
 * (`benchmarks/single_node/agentic/`, as the lab's runners pick it with SCENARIO_SUBDIR); a row with
 * `benchfleet.script: false` keeps its preset. The lab checkout and the presets are ones we write
 * in the lab's layout and formats.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildLaunchPlan, findUnlaunchable, loadScriptPresets } from "@benchfleet/recipes";
import { makePlacement } from "@benchfleet/recipes/test-support";
import { labScriptHash } from "@benchfleet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { planFromFiles } from "./config-files.js";
import { formatScriptMode } from "./lab-scripts.js";

const ROW = (key: string, extra = "") => `${key}:
  image: example/engine:1.0
  model: example/Model-8B
  model-prefix: ex
  runner: cluster:h200-lab
  precision: fp8
  framework: sglang
  multinode: false
${extra}  scenarios:
    agentic-coding:
      - dram-utilization: 0.80
        search-space:
          - { tp: 8, spec-decoding: mtp, kv-offloading: dram, kv-offload-backend: { name: hicache, version: "0.5.9" }, conc-list: [4, 8] }
`;

const RUNNERS = `
labels:
  cluster:h200-lab: [h200-lab_00]
hardware:
  cluster:h200-lab:
    available-cpu-dram-mib: 2_063_837
    gpus-per-node: 8
`;

// a script in the lab's agentic format: patches its image, starts the server, replays the trace
const SCRIPT = `#!/usr/bin/env bash
source "$(dirname "$0")/../../benchmark_lib.sh"
check_env_vars MODEL TP CONC KV_OFFLOADING TOTAL_CPU_DRAM_GB RESULT_DIR DURATION
sed -i 's/a/b/' /sgl-workspace/sglang/python/sglang/srt/patched.py
python3 -m sglang.launch_server --model-path $MODEL --port $PORT --tp $TP > $RESULT_DIR/server.log 2>&1 &
SERVER_PID=$!
wait_for_server_ready --port "$PORT" --server-log $RESULT_DIR/server.log --server-pid "$SERVER_PID"
build_replay_cmd "$RESULT_DIR"
run_agentic_replay_and_write_outputs "$REPLAY_CMD" "$RESULT_DIR"
`;

const PRESET = (scriptMode: string) => `script: benchmarks/single_node/agentic/ex_fp8_h200_mtp.sh
model: ex
precision: fp8
sku: h200
framework: sglang
spec: mtp
engine: sglang
not-reproduced:
  - "the sed patch of the image's sglang sources"
${scriptMode}rules:
  - flags:
      mem-fraction-static: 0.8
`;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(config: string, preset: string): { config: string; runners: string; lab: string; recipes: string } {
  const dir = mkdtempSync(join(tmpdir(), "bf-lab-agentic-"));
  dirs.push(dir);
  writeFileSync(join(dir, "master.yaml"), config);
  writeFileSync(join(dir, "runners.yaml"), RUNNERS);
  const lab = join(dir, "lab");
  const agentic = join(lab, "benchmarks", "single_node", "agentic");
  mkdirSync(agentic, { recursive: true });
  // the legacy name without the framework, as the lab's H200 runners run it
  writeFileSync(join(agentic, "ex_fp8_h200_mtp.sh"), SCRIPT);
  // a fixed-seq-len script of the same key is never an agentic row's
  mkdirSync(join(lab, "benchmarks", "single_node", "fixed_seq_len"), { recursive: true });
  writeFileSync(join(lab, "benchmarks", "single_node", "fixed_seq_len", "ex_fp8_h200_sglang_mtp.sh"), SCRIPT);
  const recipes = join(dir, "recipes");
  mkdirSync(join(recipes, "scripts", "agentic"), { recursive: true });
  writeFileSync(join(recipes, "scripts", "agentic", "ex_fp8_h200_mtp.yaml"), preset);
  return { config: join(dir, "master.yaml"), runners: join(dir, "runners.yaml"), lab, recipes };
}

const PATH = "benchmarks/single_node/agentic/ex_fp8_h200_mtp.sh";

describe("agentic script mode at planning", () => {
  it("a preset's script-mode puts its rows in script mode with the agentic script stored", () => {
    const s = setup(ROW("ex-fp8-h200-sglang-agentic"), PRESET('script-mode: "patches the image\'s sglang sources"\n'));
    const plan = planFromFiles({ config: [s.config], runners: s.runners, lab: s.lab, recipes: s.recipes });
    expect(plan.deployments.length).toBeGreaterThan(0);
    for (const d of plan.deployments) {
      expect(d.scenario).toBe("agentic-coding");
      expect(d.mode).toBe("script");
      expect(d.labScript).toEqual({ path: PATH, sha256: labScriptHash(SCRIPT) });
      expect(d.recipeSettings).toBeUndefined();
      const built = buildLaunchPlan(d, makePlacement(d));
      expect(built.script).toEqual(d.labScript);
      const env = built.nodes[0]!.processes[0]!.env;
      const conc = d.points[0]!.concurrency;
      expect(env).toMatchObject({
        SCENARIO_TYPE: "agentic-coding",
        SCENARIO_SUBDIR: "agentic/",
        IS_AGENTIC: "1",
        ISL: "0",
        OSL: "0",
        MAX_MODEL_LEN: "0",
        KV_OFFLOADING: "dram",
        KV_OFFLOAD_BACKEND: "hicache",
        TOTAL_CPU_DRAM_GB: String(d.agentic!.dramOffloadGb),
        DURATION: "3600",
        RUN_EVAL: "false",
        CONC: String(conc),
        EXP_NAME: `ex_tp8_conc${conc}_kvdram-hicache_spec-mtp`,
      });
      expect(JSON.parse(env.KV_OFFLOAD_BACKEND_METADATA!)).toEqual({ name: "hicache", version: "0.5.9" });
      expect(env.RESULT_FILENAME).toMatch(
        new RegExp(
          `^ex_tp8_conc${conc}_kvdram-hicache_spec-mtp_fp8_sglang_tp8-pp1-dcp1-pcp1-ep1-dpafalse_disagg-false_spec-mtp_conc${conc}_`,
        ),
      );
    }
    expect(findUnlaunchable(plan.deployments)).toEqual([]);
    const text = formatScriptMode(plan.deployments, loadScriptPresets(s.recipes));
    expect(text).toContain("  - its script's preset: patches the image's sglang sources\n");
    expect(text).toContain(`      ex-fp8-h200-sglang-agentic → ${PATH}\n`);
  });

  it("benchfleet.script: true puts an agentic row in script mode; false keeps its preset", () => {
    const asks = setup(ROW("ex-fp8-h200-sglang-agentic", "  benchfleet: { script: true }\n"), PRESET(""));
    const d = planFromFiles({ config: [asks.config], runners: asks.runners, lab: asks.lab, recipes: asks.recipes })
      .deployments[0]!;
    expect(d.labScript?.path).toBe(PATH);
    expect(formatScriptMode([d], loadScriptPresets(asks.recipes))).toContain(
      "  - the row asks for it (benchfleet.script: true)\n",
    );
    const refuses = setup(
      ROW("ex-fp8-h200-sglang-agentic", "  benchfleet: { script: false }\n"),
      PRESET('script-mode: "patches the image"\n'),
    );
    const r = planFromFiles({
      config: [refuses.config],
      runners: refuses.runners,
      lab: refuses.lab,
      recipes: refuses.recipes,
    }).deployments[0]!;
    expect(r.mode).toBe("recipe");
    expect(r.labScript).toBeUndefined();
    expect(r.recipeSettings?.script).toBeDefined();
  });

  it("without a preset's script-mode or the row asking, an agentic row is not in script mode", () => {
    const s = setup(ROW("ex-fp8-h200-sglang-agentic"), PRESET(""));
    const d = planFromFiles({ config: [s.config], runners: s.runners, lab: s.lab, recipes: s.recipes }).deployments[0]!;
    expect(d.mode).toBeUndefined();
    expect(d.labScript).toBeUndefined();
  });

  it("an agentic row asking for script mode without a lab checkout is unlaunchable, naming the agentic scripts", () => {
    const s = setup(ROW("ex-fp8-h200-sglang-agentic", "  benchfleet: { script: true }\n"), PRESET(""));
    const plan = planFromFiles({ config: [s.config], runners: s.runners, recipes: s.recipes });
    const [u] = findUnlaunchable(plan.deployments);
    expect(u?.reason).toContain(
      "benchmarks/single_node/agentic/ex_fp8_h200_sglang_mtp.sh or benchmarks/single_node/agentic/ex_fp8_h200_mtp.sh",
    );
  });
});
