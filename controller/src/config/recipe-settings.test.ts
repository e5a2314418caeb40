/**
 * Planning with presets (planFromFiles): the presets that apply are stored with each deployment, and
 * a deployment whose points need different script settings launches once per group of points.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildLaunchPlan } from "@benchfleet/recipes";
import { makePlacement } from "@benchfleet/recipes/test-support";
import { describe, expect, it } from "vitest";
import { planFromFiles } from "./config-files.js";

const CONFIG = `dsr1-fp4-b200-sglang:
  image: lmsysorg/sglang:v0.5.16-cu130
  model: nvidia/DeepSeek-R1-0528-FP4-V2
  model-prefix: dsr1
  runner: b200
  precision: fp4
  framework: sglang
  multinode: false
  scenarios:
    fixed-seq-len:
      - isl: 8192
        osl: 1024
        search-space:
          - { tp: 4, ep: 1, conc-start: 4, conc-end: 64 }
          - { tp: 4, ep: 4, dp-attn: true, conc-start: 64, conc-end: 128 }
`;

// the shape of the lab's dsr1_fp4_b200.sh: a value set from a CONC threshold, overridden under DP attention
const SCRIPT = `script: benchmarks/single_node/fixed_seq_len/dsr1_fp4_b200.sh
model: dsr1
precision: fp4
sku: b200
framework: sglang
spec: none
engine: sglang
rules:
  - flags: { scheduler-recv-interval: 10, stream-interval: 10 }
  - when: { conc: { min: 16 } }
    flags: { scheduler-recv-interval: 30 }
  - when: { dpAttn: true }
    flags: { scheduler-recv-interval: 1, enable-dp-attention: true }
`;

function setup(script = SCRIPT): { config: string; recipes: string } {
  const dir = mkdtempSync(join(tmpdir(), "bf-recipe-settings-"));
  writeFileSync(join(dir, "master.yaml"), CONFIG);
  mkdirSync(join(dir, "recipes", "scripts"), { recursive: true });
  writeFileSync(join(dir, "recipes", "dsr1.yaml"), "family: dsr1\nmoe: true\nrules: []\n");
  writeFileSync(join(dir, "recipes", "scripts", "dsr1_fp4_b200.yaml"), script);
  return { config: join(dir, "master.yaml"), recipes: join(dir, "recipes") };
}

describe("planning stores presets and launch groups", () => {
  it("stores the script's client options with every point: the chat template for --use-chat-template or --dsv4", () => {
    const templates = (script?: string) => {
      const { config, recipes } = setup(script);
      try {
        return planFromFiles({ config: [config], recipes }).deployments.flatMap((d) =>
          d.points.map((p) => p.useChatTemplate),
        );
      } finally {
        rmSync(join(recipes, ".."), { recursive: true, force: true });
      }
    };
    for (const client of ["client: { use-chat-template: true }\n", "client: { dsv4: true }\n"]) {
      const got = templates(SCRIPT.replace("rules:\n", `${client}rules:\n`));
      expect(got.length).toBeGreaterThan(1);
      expect(new Set(got)).toEqual(new Set([true]));
    }
    expect(new Set(templates())).toEqual(new Set([undefined]));
  });

  it("stores DeepSeek-V4's encoding with the points of a script that passes --dsv4", () => {
    const encodings = (client: string) => {
      const { config, recipes } = setup(SCRIPT.replace("rules:\n", `${client}rules:\n`));
      try {
        return planFromFiles({ config: [config], recipes }).deployments.flatMap((d) =>
          d.points.map((p) => p.chatEncoding),
        );
      } finally {
        rmSync(join(recipes, ".."), { recursive: true, force: true });
      }
    };
    expect(new Set(encodings("client: { dsv4: true }\n"))).toEqual(new Set(["dsv4"]));
    expect(new Set(encodings("client: { use-chat-template: true }\n"))).toEqual(new Set([undefined]));
  });

  it("stores the chat backend with the points of a script whose client sends chat (--backend openai-chat)", () => {
    const backends = (client: string) => {
      const { config, recipes } = setup(SCRIPT.replace("rules:\n", `${client}rules:\n`));
      try {
        return planFromFiles({ config: [config], recipes }).deployments.flatMap((d) =>
          d.points.map((p) => [p.clientBackend, p.useChatTemplate]),
        );
      } finally {
        rmSync(join(recipes, ".."), { recursive: true, force: true });
      }
    };
    const got = backends("client: { backend: openai-chat }\n");
    expect(got.length).toBeGreaterThan(1);
    expect(new Set(got.map((g) => JSON.stringify(g)))).toEqual(new Set([JSON.stringify(["openai-chat", undefined])]));
    expect(new Set(backends("").map((g) => g[0]))).toEqual(new Set([undefined]));
  });

  it("launches once per group of points with identical script settings", () => {
    const { config, recipes } = setup();
    const plan = planFromFiles({ config: [config], recipes });
    const rows = plan.deployments.map((d) => ({
      concs: d.points.map((p) => p.concurrency),
      part: d.launchPart ? `${d.launchPart.part}/${d.launchPart.parts}` : "whole",
      eval: d.eval,
      evalConc: d.evalConc,
    }));
    // evals as the lab selects them: highest (and median) eligible concurrency per group, in the launch holding it
    expect(rows).toEqual([
      { concs: [4, 8], part: "1/2", eval: false, evalConc: undefined },
      { concs: [16, 32, 64], part: "2/2", eval: true, evalConc: 64 },
      // under DP attention the script's value no longer depends on CONC: one launch
      { concs: [64, 128], part: "whole", eval: true, evalConc: 128 },
    ]);
    const [a, b] = plan.deployments;
    expect(a!.launchPart!.of).toBe(b!.launchPart!.of);
    expect(new Set(plan.deployments.map((d) => d.fingerprint)).size).toBe(3);
    for (const d of plan.deployments) expect(d.recipeSettings?.script?.script).toMatch(/dsr1_fp4_b200\.sh$/);
    expect(plan.totals).toMatchObject({ deployments: 2, launches: 3, points: 7, singleNodeDeployments: 2 });
    expect(plan.bySku.b200).toMatchObject({ deployments: 2, launches: 3 });
    // each launch carries the script's value at its points, from the stored preset alone
    const recvInterval = (i: number) => {
      const lp = buildLaunchPlan(plan.deployments[i]!, makePlacement(plan.deployments[i]!));
      expect(lp.notes.join("\n")).not.toContain("sets values by CONC");
      const argv = lp.nodes[0]!.processes.find((p) => p.name === "worker-0-rank0")!.argv;
      return argv[argv.indexOf("--scheduler-recv-interval") + 1];
    };
    expect([recvInterval(0), recvInterval(1), recvInterval(2)]).toEqual(["10", "30", "1"]);
    // planned again: the same identities
    expect(planFromFiles({ config: [config], recipes }).deployments.map((d) => d.fingerprint)).toEqual(
      plan.deployments.map((d) => d.fingerprint),
    );
  });

  it("a value of $CONC gives every point its own launch; without a CONC-dependent value one launch", () => {
    const perPoint = setup(`${SCRIPT}  - when: { dpAttn: true }\n    flags: { cuda-graph-max-bs: $CONC }\n`);
    const dpa = planFromFiles({ config: [perPoint.config], recipes: perPoint.recipes }).deployments.filter(
      (d) => d.dpAttn,
    );
    expect(dpa.map((d) => d.points.map((p) => p.concurrency))).toEqual([[64], [128]]);
    const flat = setup(SCRIPT.replace(/ {2}- when: \{ conc: \{ min: 16 \} \}\n.*\n/, ""));
    const plan = planFromFiles({ config: [flat.config], recipes: flat.recipes });
    expect(plan.deployments.every((d) => !d.launchPart)).toBe(true);
    expect(plan.totals).toMatchObject({ deployments: 2, launches: 2 });
  });
});

describe("planning stores an agentic script's client env with its points", () => {
  const ROW = `ex-fp8-h200-sglang-agentic:
  image: example/engine:1.0
  model: example/Model-8B
  model-prefix: ex
  runner: cluster:h200-lab
  precision: fp8
  framework: sglang
  multinode: false
  scenarios:
    agentic-coding:
      - dram-utilization: 0.80
        search-space:
          - { tp: 8, spec-decoding: mtp, kv-offloading: none, conc-list: [4, 32] }
`;
  const RUNNERS = `labels:
  cluster:h200-lab: [h200-lab_00]
hardware:
  cluster:h200-lab:
    available-cpu-dram-mib: 2_063_837
    gpus-per-node: 8
`;
  const PRESET = `script: benchmarks/single_node/agentic/ex_fp8_h200_mtp.sh
model: ex
precision: fp8
sku: h200
framework: sglang
spec: mtp
engine: sglang
client-env:
  - env: { AIPERF_LIVE_FAILED_REQUEST_THRESHOLD: "0.25", AIPERF_HTTP_TCP_USER_TIMEOUT: 900000 }
  - when: { conc: { min: 32 } }
    env: { AGENTIC_WARMUP_GRACE_PERIOD: 3600 }
rules:
  - flags: { mem-fraction-static: 0.8 }
`;

  const plan = (preset: string) => {
    const dir = mkdtempSync(join(tmpdir(), "bf-agentic-client-"));
    try {
      writeFileSync(join(dir, "master.yaml"), ROW);
      writeFileSync(join(dir, "runners.yaml"), RUNNERS);
      mkdirSync(join(dir, "recipes", "scripts", "agentic"), { recursive: true });
      writeFileSync(join(dir, "recipes", "scripts", "agentic", "ex_fp8_h200_mtp.yaml"), preset);
      return planFromFiles({
        config: [join(dir, "master.yaml")],
        runners: join(dir, "runners.yaml"),
        recipes: join(dir, "recipes"),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("each point gets the settings its script gives the lab's client at its concurrency", () => {
    const withEnv = plan(PRESET);
    const byConc = new Map(withEnv.deployments.flatMap((d) => d.points.map((p) => [p.concurrency, p.agenticClient])));
    expect(byConc.get(4)).toEqual({ liveFailureThreshold: 0.25 });
    expect(byConc.get(32)).toEqual({ liveFailureThreshold: 0.25, warmupGraceS: 3600 });
    // client env is not the server's: it splits no launch
    const without = plan(PRESET.replace(/client-env:[\s\S]*?rules:/, "rules:"));
    expect(without.deployments.flatMap((d) => d.points.map((p) => p.agenticClient))).toEqual([undefined, undefined]);
    const launches = (p: typeof withEnv) => p.deployments.map((d) => d.points.map((x) => x.concurrency));
    expect(launches(withEnv)).toEqual(launches(without));
  });
});
