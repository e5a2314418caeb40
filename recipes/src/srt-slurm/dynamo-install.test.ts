/**
 * The dynamo install srtctl runs before each worker and frontend, per recipe kind (version, staged
 * wheel, hash-pinned source build), in a plan built from our recipe file: what it installs, where
 * the source build is cached, the wheel variables, and that the bash parses.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Deployment, LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";
import { DYNAMO_CACHE_ROOT, DYNAMO_SOURCE_CACHE } from "./dynamo-install.js";

const RECIPES = fileURLToPath(new URL("../../../configs/srt-slurm-recipes/", import.meta.url));
const CONFIG_FILE = "recipes/dsr1-fp4/gb200-disagg-1p1d.yaml";
const TEXT = readFileSync(`${RECIPES}dsr1-fp4/gb200-disagg-1p1d.yaml`, "utf8");

function plan(dynamo: string): LaunchPlan {
  const text = TEXT.replace(
    'dynamo:\n  version: 0.8.1\n  request_plane: "nats"\n',
    `dynamo:\n${dynamo}  request_plane: "nats"\n`,
  );
  if (text === TEXT && dynamo !== "  version: 0.8.1\n") throw new Error("the recipe's dynamo block moved");
  const d: Deployment = {
    ...makeDeployment({
      configKey: "demo-dsr1-fp4-gb200-dynamo-sglang",
      sku: "gb200",
      framework: "dynamo-sglang",
      model: "nvidia/DeepSeek-R1-0528-FP4-V2",
      modelPrefix: "dsr1",
      precision: "fp4",
      image: "nvcr.io/nvidia/ai-dynamo/sglang-runtime:0.8.1",
      isl: 1024,
      concs: [4],
      prefill: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${CONFIG_FILE}`] },
      decode: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${CONFIG_FILE}`] },
    }),
  };
  const withRecipe = { ...d, srtRecipe: { configFile: CONFIG_FILE, path: "srt/gb200-disagg-1p1d.yaml", text } };
  return buildLaunchPlan(withRecipe, makePlacement(withRecipe));
}
const proc = (p: LaunchPlan, name: string): ProcessSpec =>
  p.nodes.flatMap((n) => n.processes).find((x) => x.name === name)!;
const preamble = (p: ProcessSpec) => p.argv[2]!.slice(0, p.argv[2]!.indexOf(" && exec "));
const parses = (script: string) => execFileSync("bash", ["-n", "-c", script], { encoding: "utf8" });

describe("dynamo install from the recipe, as srtctl's DynamoConfig writes it", () => {
  it("installs a version from PyPI once per container environment (flock + sentinel)", () => {
    const p = plan("  version: 0.8.1\n");
    const pre = preamble(proc(p, "decode-0-rank0"));
    expect(pre).toContain(
      "pip install --break-system-packages --quiet --extra-index-url https://pypi.nvidia.com ai-dynamo-runtime==0.8.1 ai-dynamo==0.8.1",
    );
    expect(pre).toMatch(
      /^DYN_LOCK_DIR=.*\( flock -x 200; if \[ -f "\$DYN_LOCK_DIR\/\.srtctl_dynamo_install\.complete" \]/,
    );
    expect(parses(proc(p, "decode-0-rank0").argv[2]!)).toBe("");
  });

  it("installs the exact staged-wheel version with srtctl's wheel variables", () => {
    const p = plan('  install: true\n  wheel: "1.3.0.dev1"\n');
    for (const name of ["prefill-0-rank0", "frontend-0"]) {
      const pr = proc(p, name);
      expect(preamble(pr)).toContain(
        "python3 -m pip install --pre --no-deps --only-binary=:all: --index-url https://pypi.org/simple --extra-index-url https://pypi.nvidia.com ai-dynamo-runtime==1.3.0.dev1 ai-dynamo==1.3.0.dev1",
      );
      expect(pr.env).toMatchObject({
        DYNAMO_VERSION: "1.3.0.dev1",
        DYNAMO_WHEEL_NAME: "ai_dynamo-1.3.0.dev1-py3-none-any.whl",
      });
      expect(preamble(pr)).not.toContain("ai-dynamo==0.8");
      expect(parses(pr.argv[2]!)).toBe("");
    }
  });

  it("builds a hash-pinned dynamo from source, cached per commit in a node directory mounted where srtctl caches", () => {
    const hash = "4025cb6a8992d19fd19eead36065e08ea5301f35";
    const p = plan(`  hash: "${hash}"\n`);
    const pr = proc(p, "decode-0-rank0");
    const pre = preamble(pr);
    expect(pre).toContain(`cd dynamo && git checkout ${hash} && `);
    expect(pre).toContain(`maturin build --release -o /tmp && mkdir -p ${DYNAMO_CACHE_ROOT}/${hash} && `);
    expect(pre).toContain(`) 201>${DYNAMO_CACHE_ROOT}/.${hash}.lock && `);
    expect(pre).toContain(
      `pip install --break-system-packages -e /tmp/dynamo-src/dynamo && echo 'Dynamo installed from source (${hash})'`,
    );
    expect(pr.mounts).toContainEqual({ host: DYNAMO_SOURCE_CACHE, container: DYNAMO_CACHE_ROOT });
    expect(proc(p, "infra-etcd").mounts).toEqual([]);
    expect(parses(pr.argv[2]!)).toBe("");
  });

  it("installs nothing when the recipe says install: false, and srtctl's 0.8.0 when it names no source", () => {
    expect(proc(plan("  install: false\n"), "decode-0-rank0").argv[0]).toBe("python3");
    expect(preamble(proc(plan(""), "decode-0-rank0"))).toContain("ai-dynamo-runtime==0.8.0 ai-dynamo==0.8.0");
  });

  it("refuses a patched source build at the recipe's line", () => {
    expect(() => plan('  hash: "abc"\n  cargo_patches: ["x = 1"]\n')).toThrow(
      /gb200-disagg-1p1d\.yaml:\d+:3: dynamo\.cargo_patches: cannot be honoured/,
    );
  });
});
