import { fileURLToPath } from "node:url";
import { ConfigError, loadMasterConfigs, RecipeError } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "./index.js";
import { loadPresets } from "./preset-loader.js";
import { makeDeployment, makePlacement } from "./test-support/deployments.js";

const presets = loadPresets(fileURLToPath(new URL("../../configs/recipes/", import.meta.url)));

const base = {
  configKey: "lab-custom",
  sku: "h200" as const,
  framework: "custom",
  model: "lab/model",
  modelPrefix: "labmodel",
  precision: "bf16",
  image: "lab:1",
  concs: [4],
  tp: 2,
};

describe("framework custom", () => {
  it("starts the block's command with its env on the worker's GPUs; health and endpoint on its port", () => {
    const d = {
      ...makeDeployment(base),
      customServer: {
        command: ["python3", "serve.py", "--port", "9100"],
        env: { LAB_FLAG: "1" },
        port: 9100,
        health: "/ready",
      },
    };
    const plan = buildLaunchPlan(d, makePlacement(d), { presets });
    const [p] = plan.nodes[0]!.processes;
    expect(p).toMatchObject({
      argv: ["python3", "serve.py", "--port", "9100"],
      env: { LAB_FLAG: "1", CUDA_VISIBLE_DEVICES: "0,1" },
      gpus: [0, 1],
      ports: { http: 9100 },
      health: [{ kind: "http", url: `http://${plan.nodes[0]!.ip}:9100/ready`, expectStatus: 200 }],
    });
    expect(plan.endpoint.baseUrl).toBe(`http://${plan.nodes[0]!.ip}:9100`);
    expect(plan.gangHealth).toEqual([expect.objectContaining({ kind: "canary", model: "lab/model" })]);
  });

  it("without a server block it fails fast, naming the entry", () => {
    const d = makeDeployment(base);
    expect(() => buildLaunchPlan(d, makePlacement(d), { presets })).toThrow(RecipeError);
    expect(() => buildLaunchPlan(d, makePlacement(d), { presets })).toThrow(/lab-custom: framework custom needs/);
  });
});

const entry = (framework: string, server: string) => `lab-custom:
  image: lab:1
  model: lab/model
  model-prefix: labmodel
  runner: h200
  precision: bf16
  framework: ${framework}
  multinode: false
  benchfleet:
    prompts-per-conc: 2
${server}
  scenarios:
    fixed-seq-len:
      - isl: 1024
        osl: 256
        search-space:
          - { tp: 1, conc-list: [1, 4] }
`;

function problems(text: string) {
  try {
    loadMasterConfigs([{ file: "lab.yaml", text }]);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.message}`);
    throw e;
  }
  return [];
}

describe("benchfleet.server in a master config", () => {
  it("a valid block loads, env and health defaulted", () => {
    const loaded = loadMasterConfigs([
      { file: "lab.yaml", text: entry("custom", "    server: { command: [serve, --port, '9000'], port: 9000 }") },
    ]);
    const e = loaded.get("lab-custom")!.entry;
    expect(e.benchfleet?.server).toEqual({
      command: ["serve", "--port", "9000"],
      env: {},
      port: 9000,
      health: "/health",
    });
  });
  it("bad blocks are errors at file:line:col", () => {
    expect(problems(entry("custom", "    server: { command: [], port: 70000, health: ready }"))).toEqual([
      "lab.yaml:11:24 Too small: expected array to have >=1 items",
      "lab.yaml:11:34 Too big: expected number to be <=65535",
      "lab.yaml:11:49 the health path starts with /",
    ]);
    expect(problems(entry("custom", ""))).toEqual([
      expect.stringMatching(/^lab\.yaml:7:\d+ framework custom needs benchfleet\.server/),
    ]);
    expect(problems(entry("vllm", "    server: { command: [serve], port: 9000 }"))).toEqual([
      expect.stringMatching(/^lab\.yaml:11:\d+ benchfleet\.server is only for framework custom/),
    ]);
  });
});
