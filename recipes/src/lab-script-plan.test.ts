/** Golden: the launch plan of a script-mode deployment, and what script mode refuses. */
import { RecipeError, withLabScript } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "./build-launch-plan.js";
import { DSR1_H200_SGLANG, makeDeployment, makePlacement } from "./test-support/deployments.js";

const REF = { path: "benchmarks/single_node/fixed_seq_len/dsr1_fp8_h200.sh", sha256: "c".repeat(64) };

describe("script mode launch plan", () => {
  it("one process on the first node: bash <script> in the row's image with the lab's env at the first point", () => {
    const d = withLabScript(makeDeployment({ ...DSR1_H200_SGLANG, tp: 4 }), REF);
    const plan = buildLaunchPlan(d, makePlacement(d, { portBase: 30000 }));
    expect(plan.script).toEqual(REF);
    expect(plan.nodes).toHaveLength(1);
    const [p] = plan.nodes[0]!.processes;
    const conc = d.points[0]!.concurrency;
    expect(p).toEqual({
      name: "lab-script",
      role: "worker",
      kind: "lab-script",
      image: d.image,
      argv: ["bash", REF.path],
      env: expect.objectContaining({
        MODEL: "deepseek-ai/DeepSeek-R1-0528",
        TP: "4",
        CONC: String(conc),
        PORT: "30000",
        GPU_COUNT: "4",
        RUNNER_NAME: "h200-benchfleet_h200-node-00",
        RESULT_FILENAME: expect.stringMatching(new RegExp(`_conc${conc}_h200-benchfleet_h200-node-00$`)),
      }),
      mounts: [],
      cwd: "/workspace/",
      files: [],
      gpus: [0, 1, 2, 3],
      ports: { http: 30000 },
      health: [],
      stage: 0,
      ownSession: true,
    });
    expect(plan.endpoint.baseUrl).toBe("http://10.0.0.1:30000");
  });

  it("refuses multi-node scripts and a script-mode deployment without its script, naming why", () => {
    const multi = {
      ...makeDeployment({
        ...DSR1_H200_SGLANG,
        configKey: "glm5.1-fp8-b200-tilert",
        sku: "b200",
        framework: "tilert",
        model: "zai-org/GLM-5.1-FP8",
        prefill: { numWorker: 1, tp: 8 },
        decode: { numWorker: 1, tp: 8 },
      }),
      mode: "script" as const,
    };
    expect(() => buildLaunchPlan(multi, makePlacement(multi))).toThrow(RecipeError);
    expect(() => buildLaunchPlan(multi, makePlacement(multi))).toThrow(
      /script mode: the lab's multi-node script \(benchmarks\/multi_node\/\S+_b200_tilert\.sh\) submits its own Slurm job/,
    );
    const single = {
      ...makeDeployment({ ...DSR1_H200_SGLANG, configKey: "k" }),
      mode: "script" as const,
    };
    expect(() => buildLaunchPlan(single, makePlacement(single))).toThrow(/^k: script mode: no lab script stored/);
  });
});
