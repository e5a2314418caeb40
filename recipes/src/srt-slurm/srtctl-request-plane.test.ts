/**
 * srtctl's default dynamo request plane read from the srt-slurm checkout a plan reads its recipes
 * from (srtctl-request-plane.ts, through srtctl-defaults.ts): checkouts written per test with the
 * schema line of each srtctl version, and our GB200 1P1D recipe
 * (configs/srt-slurm-recipes/dsr1-fp4/gb200-disagg-1p1d.yaml) with its `request_plane` left out.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Deployment, LaunchPlan, SrtRecipeRef } from "@benchfleet/shared";
import { afterAll, describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";
import { srtRecipeSource } from "./recipe-dirs.js";

const RECIPES = fileURLToPath(new URL("../../../configs/srt-slurm-recipes/", import.meta.url));
const GOLDEN = fileURLToPath(new URL("../golden/srt-dynamo-sglang-gb200-1p1d.json", import.meta.url));
const REL = "dsr1-fp4/gb200-disagg-1p1d.yaml";
const WITH_NATS = readFileSync(`${RECIPES}${REL}`, "utf8");
const WITHOUT = WITH_NATS.replace('  request_plane: "nats"\n', "");

function row(text: string, srtctl?: SrtRecipeRef["srtctl"]): Deployment {
  const configFile = `recipes/${REL}`;
  const d = makeDeployment({
    configKey: "demo-dsr1-fp4-gb200-dynamo-sglang",
    sku: "gb200",
    framework: "dynamo-sglang",
    model: "nvidia/DeepSeek-R1-0528-FP4-V2",
    modelPrefix: "dsr1",
    precision: "fp4",
    image: "nvcr.io/nvidia/ai-dynamo/sglang-runtime:0.8.1",
    isl: 1024,
    concs: [4, 8],
    prefill: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${configFile}`] },
    decode: { numWorker: 1, tp: 4, additionalSettings: [`CONFIG_FILE=${configFile}`] },
  });
  return { ...d, srtRecipe: { configFile, path: `srt/${REL}`, text, ...(srtctl ? { srtctl } : {}) } };
}

const plan = (d: Deployment) => buildLaunchPlan(d, makePlacement(d));
const dynamoProcesses = (p: LaunchPlan) =>
  p.nodes.flatMap((n) => n.processes).filter((pr) => pr.argv.join(" ").includes("dynamo."));
/**
 * the request plane each dynamo process is given: workers by flag and DYN_REQUEST_PLANE, frontends
 * (srtctl passes them no flag) by DYN_REQUEST_PLANE
 */
const planes = (p: LaunchPlan) =>
  dynamoProcesses(p).map((pr) => {
    const flag = /--request-plane'? '?(\w+)/.exec(pr.argv.join(" "))?.[1];
    const env = pr.env.DYN_REQUEST_PLANE;
    return { name: pr.name, plane: pr.name.startsWith("frontend") && flag === undefined ? env : `${flag}/${env}` };
  });

describe("srtctl's default request plane is the one of the srt-slurm checkout the recipes come from", () => {
  expect(WITHOUT).not.toBe(WITH_NATS);
  const tmp = mkdtempSync(join(tmpdir(), "srtctl-request-plane-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  /** an srt-slurm checkout: srtctl's schema (and worker stage) as a version has them, our recipe in recipes/ */
  function checkout(name: string, schema: string, workerStage = ""): string {
    const dir = join(tmp, name);
    mkdirSync(join(dir, "src", "srtctl", "backends"), { recursive: true });
    mkdirSync(join(dir, "src", "srtctl", "core"), { recursive: true });
    mkdirSync(join(dir, "src", "srtctl", "cli", "mixins"), { recursive: true });
    mkdirSync(join(dir, "recipes", "dsr1-fp4"), { recursive: true });
    writeFileSync(
      join(dir, "src", "srtctl", "backends", "vllm.py"),
      "class VLLMProtocol:\n    cmd = ['--device-ids']\n",
    );
    writeFileSync(join(dir, "src", "srtctl", "core", "schema.py"), `class DynamoConfig:\n${schema}\n`);
    writeFileSync(join(dir, "src", "srtctl", "cli", "mixins", "worker_stage.py"), `env = {\n${workerStage}\n}\n`);
    writeFileSync(join(dir, "recipes", REL), WITHOUT);
    return dir;
  }
  const found = (dirs: string[]) => {
    const f = srtRecipeSource(dirs)(`recipes/${REL}`);
    if ("error" in f) throw new Error(f.error);
    return f;
  };
  const main = checkout(
    "main",
    '    request_plane: str = "tcp"',
    '    "DYN_REQUEST_PLANE": self.config.dynamo.request_plane,',
  );
  const q2 = checkout(
    "sa-submission",
    '    request_plane: str = "nats"',
    '    "DYN_REQUEST_PLANE": self.config.dynamo.request_plane,',
  );
  const older = checkout("a98738de", "    install: bool = True", '    "DYN_REQUEST_PLANE": "nats",');
  const unknown = checkout("unknown", "    request_plane: str = default_plane()");

  it("reads the default from the checkout's srtctl: the schema's default, else the worker stage's fixed plane", () => {
    expect(found([main]).srtctl).toBeUndefined();
    expect(found([q2]).srtctl).toEqual({ requestPlane: "nats" });
    expect(found([older]).srtctl).toEqual({ requestPlane: "nats" });
    // a field whose default is not a literal says nothing: the reader's (main's) tcp applies
    expect(found([unknown]).srtctl).toBeUndefined();
    // an overlay of recipes after the checkout: the checkout's srtctl still decides
    expect(found([q2, RECIPES]).srtctl).toEqual({ requestPlane: "nats" });
    expect(found([RECIPES]).srtctl).toBeUndefined();
  });

  it("a recipe without request_plane under a NATS srtctl launches as the same recipe saying nats (golden)", () => {
    const p = plan(row(WITHOUT, found([q2]).srtctl));
    expect(`${JSON.stringify(p, null, 2)}\n`).toBe(readFileSync(GOLDEN, "utf8"));
    expect(p).toEqual(plan(row(WITHOUT, found([older]).srtctl)));
  });

  it("gives every dynamo worker and frontend the checkout's plane, flag and DYN_REQUEST_PLANE alike", () => {
    const nats = planes(plan(row(WITHOUT, { requestPlane: "nats" })));
    const tcp = planes(plan(row(WITHOUT, found([main]).srtctl)));
    expect(nats.map((x) => x.name)).toEqual(["prefill-0-rank0", "decode-0-rank0", "frontend-0"]);
    expect(nats.map((x) => x.plane)).toEqual(["nats/nats", "nats/nats", "nats"]);
    expect(tcp.map((x) => x.name)).toEqual(nats.map((x) => x.name));
    expect(tcp.map((x) => x.plane)).toEqual(["tcp/tcp", "tcp/tcp", "tcp"]);
  });

  it("the recipe's own request_plane wins over the checkout's default", () => {
    const own = WITH_NATS.replace('request_plane: "nats"', 'request_plane: "tcp"');
    const p = planes(plan(row(own, { requestPlane: "nats" })));
    expect(p.map((x) => x.plane)).toEqual(["tcp/tcp", "tcp/tcp", "tcp"]);
  });
});
