/** Dispatch, layering order, placement rules, ports and the errors recipes raise for bad input. */
import { fileURLToPath } from "node:url";
import { ConfigError, RecipeError } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "./index.js";
import { additionalSettingsLayer, overridesLayer, renderFlags, resolveSettings } from "./layering.js";
import { layoutGang, placeGang } from "./placement.js";
import { checkPortBase, PORT_BASES, PORT_BLOCK, portBaseForAttempt, RESERVED_PORTS } from "./ports.js";
import { parsePreset } from "./preset.js";
import { loadPresets } from "./preset-loader.js";
import { type DeploymentInput, DSR1_H200_SGLANG, makeDeployment, makePlacement } from "./test-support/deployments.js";

const presets = loadPresets(fileURLToPath(new URL("../../configs/recipes/", import.meta.url)));
const base: DeploymentInput = DSR1_H200_SGLANG;
const plan = (i: Partial<DeploymentInput>, p: Parameters<typeof makePlacement>[1] = {}) => {
  const d = makeDeployment({ ...base, ...i });
  return buildLaunchPlan(d, makePlacement(d, p), { presets });
};
const argvOf = (i: Partial<DeploymentInput>) => plan(i).nodes[0]!.processes[0]!.argv;
const after = (argv: string[], f: string) => argv[argv.indexOf(f) + 1];

describe("dispatch", () => {
  it.each(["llmd-vllm", "tilert", "mystery"])("framework %s → non-retryable 'no recipe for framework'", (fw) => {
    const err = (() => {
      try {
        plan({ framework: fw });
      } catch (e) {
        return e;
      }
    })() as RecipeError;
    expect(err).toBeInstanceOf(RecipeError);
    expect(err.retryable).toBe(false);
    expect(err.message).toBe(`no recipe for framework ${fw}`);
  });
  it("atom-disagg → explicit not supported yet", () => {
    expect(() => plan({ framework: "atom-disagg", sku: "mi355x" })).toThrow(
      /atom-disagg: disaggregated ATOM is not supported yet/,
    );
  });
  it("spec-decoding draft_model → not supported (no draft model path)", () => {
    expect(() => plan({ specDecoding: "draft_model" })).toThrow(/draft_model .* not supported yet/);
  });
  it("atom on an NVIDIA SKU is refused", () => {
    expect(() => plan({ framework: "atom" })).toThrow(/AMD GPUs only/);
  });
});

describe("layering", () => {
  it("preset ← entry ← additional-settings ← overrides, null removes", () => {
    const layers = [
      { name: "defaults", parts: [{ settings: { flags: { a: 1, b: true, c: "x" } } }] },
      { name: "preset", parts: [{ settings: { flags: { a: 2 }, env: { E: "p" } } }] },
      { name: "entry", parts: [{ roles: ["decode" as const], settings: { flags: { a: 3 } } }] },
      additionalSettingsLayer("decode", ["E=add", "--d=4", "lower=true"], "k").layer,
      overridesLayer({ "--c": null, "decode.b": false, F: 7, "prefill.a": 9 }, "k"),
    ];
    const dec = resolveSettings(layers, "decode");
    expect(dec.flags).toEqual({ a: 3, b: false, d: "4", lower: true });
    expect(dec.env).toEqual({ E: "add", F: "7" });
    expect(renderFlags(dec.flags)).toEqual(["--a", "3", "--d", "4", "--lower"]);
    const pre = resolveSettings(layers, "prefill");
    expect(pre.flags).toEqual({ a: 9, b: true });
    expect(renderFlags({ port: 1, trust_remote_code: true }, "equals")).toEqual(["--port=1", "--trust_remote_code"]);
  });

  it("recipe overrides reach argv, env and the TensorRT-LLM YAML", () => {
    const a = argvOf({
      recipeOverrides: { "mem-fraction-static": 0.7, "--disable-radix-cache": null, "chunked-prefill-size": 8192 },
    });
    expect(after(a, "--mem-fraction-static")).toBe("0.7");
    expect(a).not.toContain("--disable-radix-cache");
    const t = plan({
      framework: "trt",
      recipeOverrides: { "config.kv_cache_config.free_gpu_memory_fraction": 0.5, TRTLLM_ENABLE_PDL: null },
    });
    const w = t.nodes[0]!.processes[0]!;
    expect(w.files[0]!.content).toMatch(/free_gpu_memory_fraction: 0.5/);
    expect(w.env.TRTLLM_ENABLE_PDL).toBeUndefined();
  });

  it("an override of a placement-derived flag is refused", () => {
    expect(() => plan({ recipeOverrides: { port: 9000 } })).toThrow(/recipe override of --port is not allowed/);
    expect(() => plan({ recipeOverrides: { CUDA_VISIBLE_DEVICES: "0" } })).toThrow(
      /CUDA_VISIBLE_DEVICES is not allowed/,
    );
  });

  it("spec flags must stay all-or-none", () => {
    expect(() => plan({ specDecoding: "mtp", recipeOverrides: { "speculative-eagle-topk": null } })).toThrow(
      /set all of .* or none/,
    );
  });

  it("concurrency-tied flags follow the largest point, or the point of a per-point launch", () => {
    expect(after(argvOf({ concs: [4, 512, 16] }), "--max-running-requests")).toBe("512");
    const d = makeDeployment({ ...base, concs: [4, 512] });
    const p = buildLaunchPlan(d, makePlacement(d), { presets, point: { concurrency: 4, isl: 1024, osl: 1024 } });
    expect(after(p.nodes[0]!.processes[0]!.argv, "--cuda-graph-max-bs")).toBe("4");
  });

  it("bad additional-settings and bad overrides name what and where", () => {
    expect(() => additionalSettingsLayer("prefill", ["NOEQUALS"], "key prefill")).toThrow(
      /key prefill: additional-settings "NOEQUALS": expected KEY=VALUE/,
    );
    expect(() => overridesLayer({ "bad key!": 1 }, "key benchfleet.recipe")).toThrow(
      /key benchfleet.recipe: recipe override "bad key!" is not a flag name/,
    );
    const pool = { numWorker: 1, tp: 8, ep: 8, dpAttn: true };
    expect(() =>
      plan({
        framework: "sglang-disagg",
        kvP2pTransfer: "mooncake",
        prefill: { ...pool, additionalSettings: ["PREFILL_NODES=3"] },
        decode: pool,
      }),
    ).toThrow(/PREFILL_NODES=3 but the prefill pool is placed on 1 node/);
    expect(() => plan({ framework: "sglang-disagg", kvP2pTransfer: "tcp-magic", prefill: pool, decode: pool })).toThrow(
      /not an SGLang transfer backend/,
    );
  });

  it("preset files are validated with file:line:col", () => {
    expect(() =>
      parsePreset("family: x\nmoe: true\nrules:\n  - engine: sglang\n    flagz: {}\n", "configs/recipes/x.yaml"),
    ).toThrow(ConfigError);
    expect(() =>
      parsePreset("family: x\nmoe: true\nrules:\n  - engine: sglang\n    flagz: {}\n", "configs/recipes/x.yaml"),
    ).toThrow(/configs\/recipes\/x.yaml:5:5: .*flagz: unknown key/);
  });

  it("no preset for the model prefix: engine defaults only, said in the notes", () => {
    const p = plan({ modelPrefix: "unknownmodel" });
    expect(p.notes.join("\n")).toMatch(/no preset configs\/recipes\/unknownmodel.yaml/);
    expect(p.nodes[0]!.processes[0]!.argv).not.toContain("--kv-cache-dtype");
  });
});

describe("placement", () => {
  const pd = (
    p: { numWorker: number; tp: number },
    d: { numWorker: number; tp: number },
    sku: DeploymentInput["sku"] = "b200",
  ) => makeDeployment({ ...base, sku, framework: "sglang-disagg", kvP2pTransfer: "nixl", prefill: p, decode: d });

  it("prefill first then decode; wide workers span consecutive nodes; GB200 has 4 GPUs per node", () => {
    const l = layoutGang(pd({ numWorker: 1, tp: 4 }, { numWorker: 2, tp: 8 }, "gb200"));
    expect(l.nodes).toBe(5);
    expect(l.workers.map((w) => [w.pool, w.index, w.ranks.map((r) => r.nodeRank)])).toEqual([
      ["prefill", 0, [0]],
      ["decode", 0, [1, 2]],
      ["decode", 1, [3, 4]],
    ]);
  });
  it("pools share a node only when both fit in one", () => {
    const one = layoutGang(pd({ numWorker: 1, tp: 4 }, { numWorker: 1, tp: 4 }));
    expect(one.nodes).toBe(1);
    expect(one.workers.map((w) => [w.pool, w.ranks[0]!.gpus, w.ranks[0]!.slot])).toEqual([
      ["prefill", [0, 1, 2, 3], 0],
      ["decode", [4, 5, 6, 7], 1],
    ]);
    const two = layoutGang(pd({ numWorker: 1, tp: 4 }, { numWorker: 1, tp: 8 }));
    expect(two.workers.map((w) => w.ranks[0]!.nodeRank)).toEqual([0, 1]);
  });
  it("a worker that cannot split evenly across nodes is refused; a gang of the wrong size too", () => {
    expect(() => layoutGang(pd({ numWorker: 1, tp: 12 }, { numWorker: 1, tp: 8 }))).toThrow(
      /cannot span nodes of 8 GPUs evenly/,
    );
    const d = pd({ numWorker: 2, tp: 8 }, { numWorker: 1, tp: 8 });
    const nodes = makePlacement(d, { nodes: 2 }).nodes;
    expect(() => placeGang(d, nodes, 20480, "nvidia")).toThrow(/the gang has 2 node\(s\) but the deployment needs 3/);
    const small = makePlacement(makeDeployment({ ...base }));
    small.nodes[0]!.gpuCount = 4;
    expect(() => buildLaunchPlan(makeDeployment({ ...base }), small)).toThrow(
      /needs GPU 7 on h200-node-00, which has 4 GPU/,
    );
  });
  it("vendor of the placement must match the SKU", () => {
    const d = makeDeployment(base);
    expect(() => buildLaunchPlan(d, { ...makePlacement(d), vendor: "amd" })).toThrow(
      /SKU h200 is nvidia but the placement says amd/,
    );
  });
});

describe("ports", () => {
  it("blocks holding a default port (8998 included) are refused; candidate bases avoid them", () => {
    expect(() => checkPortBase(8704)).toThrow(/contains the engine default port 8998/);
    expect(() => checkPortBase(65300)).toThrow(/must lie in 1024..65535/);
    for (const b of PORT_BASES) for (const r of RESERVED_PORTS) expect(r >= b && r < b + PORT_BLOCK).toBe(false);
    expect(portBaseForAttempt("sweep1.abc:attempt-1")).toBe(portBaseForAttempt("sweep1.abc:attempt-1"));
    const bases = new Set(Array.from({ length: 20 }, (_, i) => portBaseForAttempt(`job.x:attempt-${i}`)));
    expect(bases.size).toBeGreaterThan(5);
  });
  it("the same deployment on another port base shifts every port by the same amount", () => {
    const a = plan({}, { portBase: 20480 }).nodes[0]!.processes[0]!.ports.http!;
    const b = plan({}, { portBase: 20992 }).nodes[0]!.processes[0]!.ports.http!;
    expect(b - a).toBe(512);
  });
});
