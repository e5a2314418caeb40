/**
 * `resources.spread_workers` over a recipe written by us in srt-slurm's format (our vLLM Mooncake
 * recipe, configs/srt-slurm-recipes/dsr1-fp4/gb200-vllm-agentic-1p1d-mooncake.yaml, reshaped to one
 * TP2 prefill and three TP2 decode workers on 4-GPU nodes): planned on the recipe's four nodes, one
 * worker a node as srtctl places them, in the census too; a recipe whose node counts do not
 * reserve a node a worker is refused at its spread_workers.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildPlan, type Deployment, loadMasterConfigs, loadRunnersFile } from "@benchfleet/shared";
import { testCatalog as catalog } from "@benchfleet/shared/test-support";
import { afterAll, describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makePlacement } from "../test-support/deployments.js";
import { srtRecipeCensus } from "./recipe-census.js";
import { srtRecipeSource } from "./recipe-dirs.js";

const RECIPES = fileURLToPath(new URL("../../../configs/srt-slurm-recipes/", import.meta.url));
const BASE = readFileSync(`${RECIPES}dsr1-fp4/gb200-vllm-agentic-1p1d-mooncake.yaml`, "utf8");
const RESOURCES = `resources:
  gpu_type: "gb200"
  gpus_per_node: 4
  prefill_nodes: 1
  decode_nodes: 1
  prefill_workers: 1
  decode_workers: 1
  gpus_per_prefill: 4
  gpus_per_decode: 4
`;
const spread = (decodeNodes: number) => `resources:
  gpu_type: "gb200"
  gpus_per_node: 4
  spread_workers: true
  prefill_nodes: 1
  decode_nodes: ${decodeNodes}
  prefill_workers: 1
  decode_workers: 3
  gpus_per_prefill: 2
  gpus_per_decode: 2
`;
const RUNNERS = `labels:
  cluster:gb200-s: [gb200-s_00]
hardware:
  cluster:gb200-s: { available-cpu-dram-mib: 880000, gpus-per-node: 4 }
`;
const MASTER = `
sp:
  image: vllm/vllm-openai:v0.27.1
  model: nvidia/DeepSeek-R1-0528-FP4-V2
  model-prefix: dsr1
  runner: cluster:gb200-s
  precision: fp4
  framework: dynamo-vllm
  multinode: true
  disagg: true
  kv-p2p-transfer: nixl
  scenarios:
    agentic-coding:
    - search-space:
      - conc-list: [8]
        prefill: { num-worker: 1, tp: 2, ep: 1, dp-attn: false, additional-settings: ["CONFIG_FILE=recipes/sp.yaml"] }
        decode: { num-worker: 3, tp: 2, ep: 1, dp-attn: false, additional-settings: ["CONFIG_FILE=recipes/sp.yaml"] }
`;

const dir = mkdtempSync(join(tmpdir(), "srt-spread-"));
mkdirSync(join(dir, "recipes"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function planned(decodeNodes: number): { deployments: Deployment[]; file: string } {
  expect(BASE).toContain(RESOURCES);
  const text = BASE.replace(RESOURCES, spread(decodeNodes)).replace(
    /tensor-parallel-size: 4/g,
    "tensor-parallel-size: 2",
  );
  const file = join(dir, "recipes", "sp.yaml");
  writeFileSync(file, text);
  const runners = loadRunnersFile({ file: "runners.yaml", text: RUNNERS });
  const p = buildPlan(loadMasterConfigs([{ file: "m.yaml", text: MASTER }]), {
    catalog,
    runners,
    srtRecipes: srtRecipeSource([dir]),
  });
  return { deployments: p.deployments, file };
}

describe("spread_workers: each worker smaller than a node on a node of its own", () => {
  it("plans the recipe's four nodes for 1P3D TP2 (packed: three), the GPU count the workers'", () => {
    const [d] = planned(3).deployments;
    expect(d).toMatchObject({ nodes: 4, gpus: 8, prefill: { nodes: 1, gpus: 2 }, decode: { nodes: 3, gpus: 6 } });
  });

  it("lays one worker on each node, GPUs 0-1, the Mooncake master beside etcd on the head", () => {
    const [d] = planned(3).deployments;
    const p = buildLaunchPlan(d!, makePlacement(d!));
    expect(p.nodes).toHaveLength(4);
    const workers = p.nodes.map((n) =>
      n.processes.filter((x) => x.role === "prefill" || x.role === "decode").map((x) => [x.name, x.gpus]),
    );
    expect(workers).toEqual([
      [["prefill-0-rank0", [0, 1]]],
      [["decode-0-rank0", [0, 1]]],
      [["decode-1-rank0", [0, 1]]],
      [["decode-2-rank0", [0, 1]]],
    ]);
    expect(p.nodes[0]!.processes.map((x) => x.name)).toContain("infra-mooncake-master");
  });

  it("the census launches it on the same nodes", () => {
    const { deployments } = planned(3);
    expect(srtRecipeCensus(deployments, srtRecipeSource([dir])).map((c) => c.reason)).toEqual([undefined]);
  });

  it("refuses node counts that do not reserve a node a worker, at spread_workers", () => {
    const { deployments, file } = planned(2);
    const [d] = deployments;
    const line = spread(2).split("\n").indexOf("  spread_workers: true") + 1;
    const at = BASE.split("\n").indexOf("resources:") + line;
    expect(() => buildLaunchPlan(d!, makePlacement(d!))).toThrow(
      `${file}:${at}:3: resources.spread_workers: spread_workers places each of the 3 decode workers of 2 GPUs on a node of its own: 3 decode nodes, but decode_nodes is 2 (row sp)`,
    );
  });
});
