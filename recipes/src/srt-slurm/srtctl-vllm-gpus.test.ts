/**
 * How srtctl gives vLLM workers their GPUs, read from the srt-slurm checkout (srtctl-vllm-gpus.ts,
 * through srtctl-defaults.ts): our GB200 DEP8 recipe
 * (configs/srt-slurm-recipes/dsv4-fp4/gb200-vllm-1p1d-dep8.yaml) launched one process per GPU
 * under an srtctl with `--device-ids` (v1.0.25 on) and one without (sa-submission-q2-2026 and
 * older: CUDA_VISIBLE_DEVICES); checkouts written per test.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Deployment, LaunchPlan, SrtRecipeRef } from "@benchfleet/shared";
import { afterAll, describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";
import { srtRecipeSource } from "./recipe-dirs.js";

const RECIPES = fileURLToPath(new URL("../../../configs/srt-slurm-recipes/", import.meta.url));
const GOLDEN = fileURLToPath(new URL("../golden/srt-dynamo-vllm-gb200-1p1d-dep8-cuda-visible.json", import.meta.url));
const REL = "dsv4-fp4/gb200-vllm-1p1d-dep8.yaml";
const TEXT = readFileSync(`${RECIPES}${REL}`, "utf8");

function row(text: string, srtctl?: SrtRecipeRef["srtctl"]): Deployment {
  const setting = `CONFIG_FILE=recipes/${REL}`;
  const d = makeDeployment({
    configKey: "test-dsv4-fp4-gb200-dynamo-vllm",
    sku: "gb200",
    framework: "dynamo-vllm",
    model: "deepseek-ai/DeepSeek-V4-Pro",
    modelPrefix: "dsv4",
    precision: "fp4",
    image: "vllm/vllm-openai:v0.25.1",
    isl: 8192,
    osl: 1024,
    concs: [256, 512],
    prefill: { numWorker: 1, tp: 8, ep: 8, dpAttn: true, additionalSettings: [setting] },
    decode: { numWorker: 1, tp: 8, ep: 8, dpAttn: true, additionalSettings: [setting] },
  });
  return {
    ...d,
    srtRecipe: { configFile: `recipes/${REL}`, path: `srt/${REL}`, text, ...(srtctl ? { srtctl } : {}) },
  };
}

const plan = (d: Deployment) => buildLaunchPlan(d, makePlacement(d));
/** each vLLM worker process: its GPUs, its `--device-ids` and its CUDA_VISIBLE_DEVICES */
const workers = (p: LaunchPlan) =>
  p.nodes
    .flatMap((n) => n.processes)
    .filter((pr) => pr.argv.join(" ").includes("dynamo.vllm"))
    .map((pr) => {
      const line = pr.argv.join(" ");
      return {
        name: pr.name,
        gpus: pr.gpus.join(","),
        deviceIds: /--device-ids'? '?([\d,]+)/.exec(line)?.[1],
        visible: pr.env.CUDA_VISIBLE_DEVICES,
      };
    });

describe("srtctl's vLLM GPU selection is the one of the srt-slurm checkout the recipes come from", () => {
  const tmp = mkdtempSync(join(tmpdir(), "srtctl-vllm-gpus-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  function checkout(name: string, backend: string): string {
    const dir = join(tmp, name);
    mkdirSync(join(dir, "src", "srtctl", "backends"), { recursive: true });
    mkdirSync(join(dir, "recipes", "dsv4-fp4"), { recursive: true });
    writeFileSync(join(dir, "src", "srtctl", "backends", "vllm.py"), backend);
    writeFileSync(join(dir, "recipes", REL), TEXT);
    return dir;
  }
  const found = (dirs: string[]) => {
    const f = srtRecipeSource(dirs)(`recipes/${REL}`);
    if ("error" in f) throw new Error(f.error);
    return f;
  };
  const v1031 = checkout(
    "v1.0.31",
    'class VLLMProtocol:\n    dp_launch_mode: DPLaunchMode = "per_gpu"\n        cmd.extend(["--device-ids", device_ids])\n',
  );
  const q2 = checkout("q2", "class VLLMProtocol:\n        # DP+EP mode: one process per GPU\n");

  it("reads it from the checkout's vLLM backend: --device-ids where it has them, else CUDA_VISIBLE_DEVICES", () => {
    expect(found([v1031]).srtctl).toEqual({ dpLaunchMode: "per_gpu" });
    expect(found([q2]).srtctl).toEqual({ dpLaunchMode: "per_gpu", vllmCudaVisibleDevices: true });
    expect(found([q2, RECIPES]).srtctl).toEqual({ dpLaunchMode: "per_gpu", vllmCudaVisibleDevices: true });
  });

  const old = plan(row(TEXT, found([q2]).srtctl));

  it("matches golden/srt-dynamo-vllm-gb200-1p1d-dep8-cuda-visible.json", () => {
    const out = `${JSON.stringify(old, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN || !existsSync(GOLDEN)) writeFileSync(GOLDEN, out);
    expect(out).toBe(readFileSync(GOLDEN, "utf8"));
  });

  it("without --device-ids in srtctl, each per-GPU process gets its GPU as CUDA_VISIBLE_DEVICES", () => {
    const w = workers(old);
    expect(w).toHaveLength(16);
    for (const x of w)
      expect({ deviceIds: x.deviceIds, visible: x.visible }).toEqual({ deviceIds: undefined, visible: x.gpus });
    expect(w.map((x) => x.gpus)).toEqual([
      "0",
      "1",
      "2",
      "3",
      "0",
      "1",
      "2",
      "3",
      "0",
      "1",
      "2",
      "3",
      "0",
      "1",
      "2",
      "3",
    ]);
  });

  it("with --device-ids in srtctl, the same processes get --device-ids and no CUDA_VISIBLE_DEVICES", () => {
    const w = workers(plan(row(TEXT, found([v1031]).srtctl)));
    expect(w).toHaveLength(16);
    for (const x of w)
      expect({ deviceIds: x.deviceIds, visible: x.visible }).toEqual({ deviceIds: x.gpus, visible: undefined });
  });

  it("the recipe's own set_cuda_visible_devices wins over the checkout's", () => {
    const own = TEXT.replace("  type: vllm\n", "  type: vllm\n  set_cuda_visible_devices: false\n");
    expect(own).not.toBe(TEXT);
    const w = workers(plan(row(own, found([q2]).srtctl)));
    expect(w.every((x) => x.deviceIds === x.gpus && x.visible === undefined)).toBe(true);
  });
});
