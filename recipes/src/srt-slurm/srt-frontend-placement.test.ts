/**
 * `frontend.orchestrator_placement` (srtctl's placed_node): the one frontend on the head, or on the
 * node of the first or last decode worker's leader, the plan's endpoint with it; refused without
 * decode workers. Over the SGLang router recipe written by us
 * (configs/srt-slurm-recipes/dsr1-fp4/gb200-sglang-router-1p1d.yaml) and the Dynamo one.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Deployment, type LaunchPlan, RecipeError } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";

const RECIPES = fileURLToPath(new URL("../../../configs/srt-slurm-recipes/", import.meta.url));
const ROUTER = readFileSync(`${RECIPES}dsr1-fp4/gb200-sglang-router-1p1d.yaml`, "utf8");
const DYNAMO = readFileSync(`${RECIPES}dsr1-fp4/gb200-disagg-1p1d.yaml`, "utf8");
const PATH = "srt/placement.yaml";

function row(text: string, decodeWorkers: number, decodeTp: number): Deployment {
  const configFile = "recipes/placement.yaml";
  const d = makeDeployment({
    configKey: "test-dsr1-fp4-gb200-placement",
    sku: "gb200",
    framework: "dynamo-sglang",
    model: "nvidia/DeepSeek-R1-0528-FP4-V2",
    modelPrefix: "dsr1",
    precision: "fp4",
    image: "lmsysorg/sglang:v0.5.17-cu130",
    isl: 1024,
    concs: [4, 8],
    prefill: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${configFile}`] },
    decode: { numWorker: decodeWorkers, tp: decodeTp, additionalSettings: [`CONFIG_FILE=${configFile}`] },
  });
  return { ...d, srtRecipe: { configFile, path: PATH, text } };
}

const plan = (d: Deployment) => buildLaunchPlan(d, makePlacement(d));
const where = (p: LaunchPlan, name: string) => p.nodes.find((n) => n.processes.some((x) => x.name === name))!;
/** the router recipe with one frontend placed, `decode_workers` TP8 decode workers over two nodes each */
const routerText = (placement: string, decodeWorkers = 1) =>
  ROUTER.replace(
    "  num_additional_frontends: 1\n",
    `  enable_multiple_frontends: false\n  orchestrator_placement: ${placement}\n`,
  )
    .replace("decode_nodes: 2", `decode_nodes: ${2 * decodeWorkers}`)
    .replace("decode_workers: 1", `decode_workers: ${decodeWorkers}`);

describe("frontend.orchestrator_placement", () => {
  it("head (the default): the one router on the head", () => {
    const p = plan(row(routerText("head"), 1, 8));
    expect(where(p, "router").rank).toBe(0);
    expect(p.endpoint.baseUrl).toMatch(/^http:\/\/10\.0\.0\.1:/);
  });

  it("first_decode: the router on the first decode worker's leader node, the endpoint and canary with it", () => {
    const p = plan(row(routerText("first_decode", 2), 2, 8));
    expect(where(p, "decode-0-rank0").rank).toBe(1);
    expect(where(p, "router").rank).toBe(1);
    expect(p.endpoint.baseUrl).toMatch(/^http:\/\/10\.0\.0\.2:/);
    expect(p.gangHealth[0]!.url).toMatch(/^http:\/\/10\.0\.0\.2:/);
    const router = where(p, "router").processes.find((x) => x.name === "router")!;
    expect(router.health[0]!.url).toMatch(/^http:\/\/10\.0\.0\.2:\d+\/workers$/);
  });

  it("last_decode: the last decode worker's leader node; a Dynamo frontend moves the same way", () => {
    const p = plan(row(routerText("last_decode", 2), 2, 8));
    expect(where(p, "decode-1-rank0").rank).toBe(3);
    expect(where(p, "router").rank).toBe(3);
    const text = DYNAMO.replace(
      "  enable_multiple_frontends: true\n  num_additional_frontends: 1\n",
      "  enable_multiple_frontends: false\n  orchestrator_placement: last_decode\n",
    );
    const dyn = plan(row(text, 1, 4));
    expect(where(dyn, "frontend").rank).toBe(1);
    expect(dyn.endpoint.baseUrl).toMatch(/^http:\/\/10\.0\.0\.2:/);
  });

  it("nginx stays on the head whatever the placement (srtctl places only a single frontend)", () => {
    const text = ROUTER.replace(
      "  num_additional_frontends: 1\n",
      "  num_additional_frontends: 1\n  orchestrator_placement: first_decode\n",
    );
    const p = plan(row(text, 1, 8));
    expect(where(p, "nginx").rank).toBe(0);
    expect(p.endpoint.baseUrl).toMatch(/^http:\/\/10\.0\.0\.1:/);
  });

  it("refuses a decode placement in an aggregated recipe and an unknown placement, at recipe-file:line:col", () => {
    const refusal = (d: Deployment) => {
      try {
        plan(d);
      } catch (e) {
        if (e instanceof RecipeError) return e.message;
        throw e;
      }
      throw new Error("the plan was built");
    };
    const agg = routerText("first_decode")
      .replace(
        /resources:[\s\S]*?\n\n/,
        "resources: { gpu_type: gb200, gpus_per_node: 4, agg_nodes: 1, agg_workers: 1 }\n\n",
      )
      .replace("    prefill:\n", "    aggregated:\n")
      .replace(/ {4}decode:\n[\s\S]*?\n\n/, "\n");
    const d = { ...row(agg, 0, 4), disagg: false };
    const line = agg.split("\n").findIndex((l) => l.includes("orchestrator_placement")) + 1;
    expect(refusal(d)).toMatch(
      new RegExp(
        `${PATH}:${line}:\\d+: frontend\\.orchestrator_placement: cannot be honoured: first_decode places the frontend by the decode workers and the recipe has none`,
      ),
    );
    const odd = routerText("middle");
    const oddLine = odd.split("\n").findIndex((l) => l.includes("orchestrator_placement")) + 1;
    expect(refusal(row(odd, 1, 8))).toMatch(new RegExp(`${PATH}:${oddLine}:\\d+: frontend\\.orchestrator_placement: `));
  });
});
