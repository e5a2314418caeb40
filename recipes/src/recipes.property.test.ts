/**
 * Property tests over random deployments: every plan (or a named RecipeError, never another
 * exception) keeps ports unique per node and inside the attempt's block, never uses 8998, uses
 * every GPU of the gang exactly once, and its roles cover the pools.
 */
import { fileURLToPath } from "node:url";
import { RecipeError } from "@benchfleet/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "./index.js";
import { layoutGang } from "./placement.js";
import { PORT_BASES, PORT_BLOCK } from "./ports.js";
import { loadPresets } from "./preset-loader.js";
import { makeDeployment, makePlacement } from "./test-support/deployments.js";

const presets = loadPresets(fileURLToPath(new URL("../../configs/recipes/", import.meta.url)));

const nvidiaSkus = ["h100", "h200", "b200", "gb200"] as const;
const amdSkus = ["mi300x", "mi355x"] as const;
const tpArb = fc.constantFrom(1, 2, 4, 8, 16);
const poolArb = fc.record({
  numWorker: fc.integer({ min: 1, max: 4 }),
  tp: tpArb,
  dpAttn: fc.boolean(),
  epEqTp: fc.boolean(),
});

const caseArb = fc
  .record({
    vendor: fc.constantFrom("nvidia", "amd"),
    skuIdx: fc.nat(),
    disagg: fc.boolean(),
    fwIdx: fc.nat(),
    tp: fc.constantFrom(1, 2, 4, 8),
    dpAttn: fc.boolean(),
    prefill: poolArb,
    decode: poolArb,
    mtp: fc.boolean(),
    prefix: fc.constantFrom("dsr1", "gptoss", "llama70b", "qwen3"),
    concs: fc.uniqueArray(fc.integer({ min: 1, max: 2048 }), { minLength: 1, maxLength: 4 }),
    baseIdx: fc.nat(),
    rdma: fc.boolean(),
  })
  .map((c) => {
    const skus = c.vendor === "nvidia" ? nvidiaSkus : amdSkus;
    const sku = skus[c.skuIdx % skus.length]!;
    const fws = c.disagg
      ? c.vendor === "nvidia"
        ? ["sglang-disagg", "vllm", "trt", "dynamo-sglang", "dynamo-trt", "dynamo-vllm"]
        : ["sglang-disagg", "vllm"]
      : c.vendor === "nvidia"
        ? ["sglang", "vllm", "trt", "dynamo-sglang", "dynamo-trt", "dynamo-vllm"]
        : ["sglang", "vllm", "atom"];
    const framework = fws[c.fwIdx % fws.length]!;
    const kv =
      c.vendor === "amd"
        ? framework === "vllm"
          ? "mori"
          : "mori"
        : framework.startsWith("dynamo") || framework === "vllm" || framework === "trt"
          ? "nixl"
          : "mooncake";
    const pool = (p: typeof c.prefill) => ({
      numWorker: p.numWorker,
      tp: p.tp,
      ep: p.epEqTp ? p.tp : 1,
      dpAttn: p.dpAttn,
    });
    return {
      d: makeDeployment({
        configKey: `prop-${framework}-${sku}`,
        sku,
        framework,
        model: "org/model",
        modelPrefix: c.prefix,
        precision: "fp8",
        image: "img:tag",
        concs: c.concs,
        specDecoding: c.mtp ? "mtp" : "none",
        ...(c.disagg
          ? { prefill: pool(c.prefill), decode: pool(c.decode), kvP2pTransfer: kv }
          : { tp: c.tp, ep: c.dpAttn ? c.tp : 1, dpAttn: c.dpAttn }),
      }),
      base: PORT_BASES[c.baseIdx % PORT_BASES.length]!,
      rdma: c.rdma ? ["mlx5_0", "mlx5_1"] : [],
    };
  });

describe("recipe properties", () => {
  it("plans keep ports unique per node, GPUs used once, roles covering pools (or fail with RecipeError)", () => {
    let planned = 0;
    let refused = 0;
    fc.assert(
      fc.property(caseArb, ({ d, base, rdma }) => {
        let plan: ReturnType<typeof buildLaunchPlan>;
        try {
          plan = buildLaunchPlan(d, makePlacement(d, { portBase: base, rdma }), { presets });
        } catch (e) {
          if (!(e instanceof RecipeError)) throw e;
          expect(e.message.length).toBeGreaterThan(10);
          refused++;
          return;
        }
        planned++;
        const layout = layoutGang(d);
        expect(plan.nodes).toHaveLength(layout.nodes);
        for (const node of plan.nodes) {
          const ports = node.processes.flatMap((p) => Object.values(p.ports));
          expect(new Set(ports).size).toBe(ports.length);
          for (const port of ports) {
            expect(port).not.toBe(8998);
            expect(port).toBeGreaterThanOrEqual(base);
            expect(port).toBeLessThan(base + PORT_BLOCK);
          }
          const gpus = node.processes.flatMap((p) => p.gpus);
          expect(new Set(gpus).size).toBe(gpus.length);
          for (const g of gpus) expect(g).toBeLessThan(d.gpusPerNode);
          for (const p of node.processes) expect(p.argv.join(" ")).not.toMatch(/\b8998\b/);
        }
        const totalGpus = plan.nodes.reduce((s, n) => s + n.processes.reduce((t, p) => t + p.gpus.length, 0), 0);
        const expected = d.prefill && d.decode ? d.prefill.gpus + d.decode.gpus : d.gpus;
        expect(totalGpus).toBe(expected);
        const roles = new Set(plan.nodes.flatMap((n) => n.processes.map((p) => p.role)));
        if (d.prefill && d.decode) {
          expect(roles.has("prefill") && roles.has("decode")).toBe(true);
          const rank0 = (pool: string) =>
            plan.nodes.flatMap((n) => n.processes).filter((p) => p.role === pool && p.name.endsWith("-rank0")).length;
          expect(rank0("prefill")).toBe(d.prefill.numWorker);
          expect(rank0("decode")).toBe(d.decode.numWorker);
          expect(roles.has("router") || roles.has("frontend")).toBe(true);
        } else {
          expect(roles.has("worker")).toBe(true);
        }
        // the router/frontend and infra run on the leader
        for (const n of plan.nodes.slice(1))
          for (const p of n.processes) expect(["router", "frontend", "infra"]).not.toContain(p.role);
        expect(plan.endpoint.baseUrl.startsWith("http://10.0.0.")).toBe(true);
      }),
      { numRuns: 300, seed: 4242 },
    );
    // the generator must exercise real plans, not only refusals (since multi-node vLLM workers build,
    // the shapes it draws are all launchable: refusals are counted but no longer required)
    expect(planned).toBeGreaterThan(150);
    expect(planned + refused).toBe(300);
  });
});
