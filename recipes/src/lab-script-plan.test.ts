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

  it("a multi-node script: one process on the login node, the workflow's env for the whole conc-list", () => {
    const ref = { path: "benchmarks/multi_node/glm5.1_fp8_b200_tilert-disagg.sh", sha256: "d".repeat(64) };
    const multi = withLabScript(
      makeDeployment({
        ...DSR1_H200_SGLANG,
        configKey: "glm5.1-fp8-b200-tilert",
        sku: "b200",
        framework: "tilert",
        modelPrefix: "glm5.1",
        model: "zai-org/GLM-5.1-FP8",
        isl: 1024,
        osl: 1024,
        specDecoding: "mtp",
        prefill: {
          numWorker: 1,
          tp: 8,
          additionalSettings: ["PREFILL_NODES=1", "PREFILL_IMAGE=vllm/vllm-openai:v0.26.0"],
        },
        decode: { numWorker: 1, tp: 8, additionalSettings: ["DECODE_NODES=1"] },
        concs: [8, 1, 4],
      }),
      ref,
    );
    const plan = buildLaunchPlan(multi, makePlacement(multi, { portBase: 30000 }));
    expect(plan.script).toEqual(ref);
    // the process is the first node's; a gang of more nodes than a login node holds nothing else
    expect(plan.nodes.slice(1).flatMap((n) => n.processes)).toEqual([]);
    const [p] = plan.nodes[0]!.processes;
    expect(p).toMatchObject({ name: "lab-script", kind: "lab-script", argv: ["bash", ref.path], gpus: [], ports: {} });
    expect(p!.env).toMatchObject({
      CONC_LIST: "1 4 8",
      ISL: "1024",
      OSL: "1024",
      IMAGE: multi.image,
      MODEL: "zai-org/GLM-5.1-FP8",
      FRAMEWORK: "tilert",
      SPEC_DECODING: "mtp",
      PREFILL_NUM_WORKERS: "1",
      PREFILL_TP: "8",
      PREFILL_DP_ATTN: "false",
      DECODE_TP: "8",
      // the deployment evaluates (no concurrency chosen): the lab's eval at its highest
      RUN_EVAL: "true",
      EVAL_CONC: "8",
      IS_MULTINODE: "true",
      PREFILL_NODES: "1",
      DECODE_NODES: "1",
      PREFILL_IMAGE: "vllm/vllm-openai:v0.26.0",
      RUNNER_NAME: "b200-benchfleet_b200-node-00",
      RESULT_FILENAME:
        "glm5.1_1k1k_fp8_tilert_prefill-tp8-pp1-dcp1-pcp1-ep1-dpfalse-nw1_decode-tp8-pp1-dcp1-pcp1-ep1-dpfalse-nw1" +
        "_disagg-true_spec-mtp_conc1x4x8_b200-benchfleet_b200-node-00",
    });
    // the site's part (partition, workspace, logs dir, model path) is the login agent's
    expect(p!.env.SLURM_PARTITION).toBeUndefined();
    expect(p!.env.GITHUB_WORKSPACE).toBeUndefined();
  });

  it("refuses a script-mode deployment without its script, and a pool setting that is not KEY=VALUE, naming why", () => {
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
      /^glm5\.1-fp8-b200-tilert: script mode: no lab script stored with the deployment; plan it with a lab checkout that has benchmarks\/multi_node\/\S+_b200_tilert\.sh/,
    );
    const bad = withLabScript(
      makeDeployment({
        ...DSR1_H200_SGLANG,
        configKey: "k2",
        framework: "tilert",
        prefill: { numWorker: 1, tp: 8, additionalSettings: ["export PREFILL_NODES"] },
        decode: { numWorker: 1, tp: 8 },
      }),
      { path: "benchmarks/multi_node/x.sh", sha256: "e".repeat(64) },
    );
    expect(() => buildLaunchPlan(bad, makePlacement(bad))).toThrow(
      'k2: script mode: k2: prefill.additional-settings entry "export PREFILL_NODES" is not KEY=VALUE',
    );
    const single = {
      ...makeDeployment({ ...DSR1_H200_SGLANG, configKey: "k" }),
      mode: "script" as const,
    };
    expect(() => buildLaunchPlan(single, makePlacement(single))).toThrow(/^k: script mode: no lab script stored/);
  });
});
