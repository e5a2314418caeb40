/**
 * The tracer on a script written for these tests in the lab's agentic format
 * (fixtures/lab/benchmarks/single_node/agentic/demo_fp4_b200_mtp.sh): its container patch steps are
 * recorded and never run (the patch script and program fail wherever they run), a checkpoint staged
 * with `hf download --local-dir` passes the script's completeness check and is traced as its
 * repository, and an in-place edit of a file the script wrote runs for real. The comparison names
 * each patch step, apart when the preset's not-reproduced starts with its target.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildLaunchPlan } from "@benchfleet/recipes";
import { makeDeployment, makePlacement } from "@benchfleet/recipes/test-support";
import type { Deployment } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { compareAgenticLaunch, formatAgenticSummary, summarizeAgenticChecks } from "./lab-agentic-scripts.js";
import { describePatch, type ScriptInputs, traceLabScript } from "./lab-script-trace.js";

const DIR = fileURLToPath(new URL("./fixtures/lab/benchmarks/single_node/agentic/", import.meta.url));
const SCRIPT = `${DIR}demo_fp4_b200_mtp.sh`;
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

const INPUTS: ScriptInputs = {
  model: "org/Demo",
  isl: 0,
  osl: 0,
  tp: 4,
  ep: 1,
  dpAttn: false,
  conc: 8,
  maxModelLen: 0,
  precision: "fp4",
  framework: "vllm",
  spec: "mtp",
  agentic: { kvOffloading: "none", totalCpuDramGb: 0, durationS: 3600, dcp: 1 },
};

const SED_TARGET = "/opt/demo-engine/python/demo/serving.py";

describe("traceLabScript: steps that patch the image", () => {
  it("records the sed -i, the patch script and the patch program in order, running none of them", () => {
    const t = traceLabScript(SCRIPT, INPUTS);
    expect(t.patches).toEqual([
      {
        kind: "sed",
        file: SED_TARGET,
        expression: "/cached_tokens=/a\\\n        cached_tokens_details=None,",
      },
      { kind: "script", runner: "bash", name: "apply_demo_patches.sh", sha256: sha256(`${DIR}apply_demo_patches.sh`) },
      { kind: "script", runner: "python3", name: "patch_demo_engine.py", sha256: sha256(`${DIR}patch_demo_engine.py`) },
    ]);
    // the server still started after them, with what the script gave it
    expect(t.command.engine).toBe("vllm");
    expect(t.setup.some((s) => s.includes("patch_demo_engine.py"))).toBe(false);
  });

  it("an in-place edit of a file the script wrote runs; it is no patch step", () => {
    const t = traceLabScript(SCRIPT, INPUTS);
    expect(t.command.env.DEMO_MODE).toBe("fast");
    expect(t.patches.filter((p) => p.kind === "sed").map((p) => (p.kind === "sed" ? p.file : ""))).toEqual([
      SED_TARGET,
    ]);
  });

  it("a draft staged with hf download --local-dir passes the script's check and is traced as its repository", () => {
    const t = traceLabScript(SCRIPT, INPUTS);
    expect(JSON.parse(String(t.command.flags["speculative-config"]))).toEqual({
      method: "eagle3",
      model: "org-drafts/Demo-Draft-GQA",
      num_speculative_tokens: 3,
    });
  });

  it("a patch step reads as its target and what it does", () => {
    expect(describePatch({ kind: "script", runner: "bash", name: "p.sh", sha256: "ab12" })).toEqual({
      target: "p.sh",
      what: "bash p.sh (sha256 ab12)",
    });
    const long = describePatch({ kind: "sed", file: "/x.py", expression: `/a/,/b/ {\n  s/${"y".repeat(80)}/z/\n}` });
    expect(long.target).toBe("/x.py");
    expect(long.what).toMatch(/^sed -i '\/a\/,\/b\/ \{ s\/y+\.\.\.'$/);
    expect(long.what.length).toBeLessThan(80);
  });
});

describe("compareAgenticLaunch: patch steps", () => {
  const t = traceLabScript(SCRIPT, INPUTS);
  // a launch without a preset: its flags differ too; the patch lines come from the trace and the notes
  const { maxModelLen: _, ...base } = makeDeployment({
    configKey: "demo-fp4-b200-vllm-agentic-mtp",
    sku: "b200",
    framework: "vllm",
    model: "org/Demo",
    modelPrefix: "demo",
    precision: "fp4",
    image: "vllm/vllm-openai:v0.27.1",
    concs: [8],
    specDecoding: "mtp",
    tp: 4,
  });
  const agentic = { durationS: 3600, kvOffloading: "none" as const, dramOffloadGb: 0 };
  const d: Deployment = { ...base, scenario: "agentic-coding", isl: 0, osl: 0, agentic };
  const plan = buildLaunchPlan(d, makePlacement(d), { presets: {}, scripts: [], point: d.points[0]! });

  it("each patch step is a difference without a note", () => {
    const d = compareAgenticLaunch(t, plan);
    expect(d).toContain(
      `container patch apply_demo_patches.sh: bash apply_demo_patches.sh (sha256 ${sha256(`${DIR}apply_demo_patches.sh`)}), not run by our launch`,
    );
    expect(d.filter((x) => x.startsWith("container patch "))).toHaveLength(3);
    expect(d.filter((x) => x.startsWith(`container patch ${SED_TARGET}: sed -i '/cached_tokens=/a`))).toHaveLength(1);
  });

  it("a note that starts with the step's target sets it apart as not reproduced", () => {
    const d = compareAgenticLaunch(t, plan, [`${SED_TARGET}: patched in the image`, "apply_demo_patches.sh: the same"]);
    const patches = d.filter((x) => x.includes("container patch "));
    expect(patches.filter((x) => x.startsWith("(not reproduced) container patch "))).toHaveLength(2);
    expect(patches.filter((x) => x.startsWith("container patch patch_demo_engine.py:"))).toHaveLength(1);
  });

  it("in script mode each patch step is the lab's script's, and a point differing only there launches as its script", () => {
    const d = compareAgenticLaunch(t, plan, [], "the script patches the image");
    const patches = d.filter((x) => x.includes("container patch "));
    expect(patches).toHaveLength(3);
    for (const x of patches) {
      expect(x).toMatch(/^\(script mode\) container patch .*, launched by the lab's script in script mode$/);
    }
    const summaries = summarizeAgenticChecks([
      { configKey: "k", key: "demo_fp4_b200_mtp.sh", conc: 8, offload: "none", differences: patches },
      {
        configKey: "k",
        key: "demo_fp4_b200_mtp.sh",
        conc: 16,
        offload: "none",
        differences: [...patches, "flag --x: script 1, ours 2"],
      },
    ]);
    expect(summaries).toMatchObject([{ points: 2, equal: 0, excused: 1 }]);
    const one = summarizeAgenticChecks([
      { configKey: "k", key: "demo_fp4_b200_mtp.sh", conc: 8, offload: "none", differences: patches },
    ]);
    expect(formatAgenticSummary(one)).toContain(
      "= demo_fp4_b200_mtp.sh (1 points); in script mode: container patch /opt/demo-engine/python/demo/serving.py: sed -i",
    );
  });
});
