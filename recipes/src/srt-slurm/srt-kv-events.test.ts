/**
 * `backend.kv_events_config` on recipes we write in srt-slurm's format (the SGLang 1P1D and vLLM
 * DEP8 recipes of configs/srt-slurm-recipes/ with the field added): `--kv-events-config` exactly as
 * srtctl writes it, where it writes it, on the worker slot's KV-events port (a block of one per GPU
 * for a vLLM DP role launched per node), and which modes publish.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Deployment, LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { buildLaunchPlan } from "../build-launch-plan.js";
import { makeDeployment, makePlacement } from "../test-support/deployments.js";
import { kvEventsFor, kvEventsLaunch } from "./srt-kv-events.js";

const RECIPES = fileURLToPath(new URL("../../../configs/srt-slurm-recipes/", import.meta.url));
const SGLANG = readFileSync(`${RECIPES}dsr1-fp4/gb200-disagg-1p1d.yaml`, "utf8");
const VLLM = readFileSync(`${RECIPES}dsv4-fp4/gb200-vllm-1p1d-dep8.yaml`, "utf8");

function sglangRow(kv: string): Deployment {
  const configFile = "recipes/dsr1-fp4/gb200-disagg-1p1d.yaml";
  const d = makeDeployment({
    configKey: "test-dsr1-fp4-gb200-dynamo-sglang",
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
  const text = SGLANG.replace("backend:\n  type: sglang\n", `backend:\n  type: sglang\n  kv_events_config: ${kv}\n`);
  expect(text).not.toBe(SGLANG);
  return { ...d, srtRecipe: { configFile, path: "srt/gb200-disagg-1p1d.yaml", text } };
}

function vllmRow(kv: string): Deployment {
  const configFile = "recipes/dsv4-fp4/gb200-vllm-1p1d-dep8.yaml";
  const pool = { numWorker: 1, tp: 8, ep: 8, dpAttn: true, additionalSettings: [`CONFIG_FILE=${configFile}`] };
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
    prefill: pool,
    decode: pool,
  });
  const text = VLLM.replace("backend:\n  type: vllm\n", `backend:\n  type: vllm\n  kv_events_config: ${kv}\n`);
  expect(text).not.toBe(VLLM);
  return { ...d, srtRecipe: { configFile, path: "srt/gb200-vllm-1p1d-dep8.yaml", text } };
}

const plan = (d: Deployment) => buildLaunchPlan(d, makePlacement(d));
const byName = (p: LaunchPlan, name: string): ProcessSpec => {
  const hit = p.nodes.flatMap((n) => n.processes).find((x) => x.name === name);
  if (!hit) throw new Error(`no process ${name}`);
  return hit;
};
/** words of the command after the dynamo install wrapper's `exec` (single-quoted parts unquoted) */
function command(p: ProcessSpec): string[] {
  if (p.argv[0] !== "bash") return p.argv;
  const line = p.argv[2]!.slice(p.argv[2]!.indexOf(" && exec ") + 9);
  return [...line.matchAll(/(?:[^\s']+|'[^']*')+/g)].map((m) => m[0].replace(/'([^']*)'/g, "$1"));
}
const after = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];

describe("kv_events_config on SGLang workers", () => {
  it("true: prefill and decode publish on their slot's KV-events port; the flag comes before --request-plane", () => {
    const p = plan(sglangRow("true"));
    for (const name of ["prefill-0-rank0", "decode-0-rank0"]) {
      const proc = byName(p, name);
      const argv = command(proc);
      expect(proc.ports.kvEvents).toBeGreaterThan(0);
      expect(after(argv, "--kv-events-config")).toBe(
        `{"publisher": "zmq", "topic": "kv-events", "endpoint": "tcp://*:${proc.ports.kvEvents}"}`,
      );
      expect(argv.indexOf("--kv-events-config")).toBe(argv.indexOf("--request-plane") - 2);
      // one port per slot: not any other port the process holds
      expect(Object.values(proc.ports).filter((x) => x === proc.ports.kvEvents)).toHaveLength(1);
    }
  });

  it("per mode: a mapping merged over the defaults, an absent mode silent", () => {
    const p = plan(sglangRow("{ decode: { topic: decode-events, buffer_steps: 4 } }"));
    expect(command(byName(p, "prefill-0-rank0"))).not.toContain("--kv-events-config");
    const decode = byName(p, "decode-0-rank0");
    expect(after(command(decode), "--kv-events-config")).toBe(
      `{"publisher": "zmq", "topic": "decode-events", "buffer_steps": 4, "endpoint": "tcp://*:${decode.ports.kvEvents}"}`,
    );
    expect(byName(p, "prefill-0-rank0").ports.kvEvents).toBeUndefined();
  });
});

describe("kv_events_config on vLLM workers", () => {
  it("a DP role launched per node: one port per GPU of the node from the slot's, vLLM's defaults, after --request-plane", () => {
    const p = plan(vllmRow("true"));
    for (const name of ["prefill-0-rank0", "prefill-0-rank1", "decode-0-rank0", "decode-0-rank1"]) {
      const proc = byName(p, name);
      const argv = command(proc);
      const port = proc.ports.kvEvents!;
      expect(after(argv, "--kv-events-config")).toBe(
        `{"publisher": "zmq", "topic": "kv-events", "enable_kv_cache_events": true, "endpoint": "tcp://*:${port}"}`,
      );
      expect(argv.indexOf("--kv-events-config")).toBe(argv.indexOf("--request-plane") + 2);
      expect(proc.env.DYN_VLLM_KV_EVENT_PORT).toBe(String(port));
      expect([proc.ports.kvEvents1, proc.ports.kvEvents2, proc.ports.kvEvents3]).toEqual([
        port + 1,
        port + 2,
        port + 3,
      ]);
      // the block holds none of the process's other ports
      const others = Object.entries(proc.ports).filter(([k]) => !k.startsWith("kvEvents"));
      for (const [, v] of others) expect(v < port || v > port + 3).toBe(true);
    }
  });

  it("`aggregated: true` alone: disaggregated workers do not publish", () => {
    const p = plan(vllmRow("{ aggregated: true }"));
    expect(command(byName(p, "decode-0-rank0"))).not.toContain("--kv-events-config");
  });
});

describe("kvEventsFor / kvEventsLaunch", () => {
  it("true publishes for prefill and decode, not aggregated; a mode's `true` or mapping turns it on", () => {
    expect(kvEventsFor(true, "agg", "sglang")).toBeUndefined();
    expect(kvEventsFor({ aggregated: true }, "agg", "vllm")).toEqual({
      publisher: "zmq",
      topic: "kv-events",
      enable_kv_cache_events: true,
    });
    expect(kvEventsFor({ prefill: { publisher: "custom" } }, "prefill", "sglang")).toEqual({
      publisher: "custom",
      topic: "kv-events",
    });
    expect(kvEventsFor(false, "decode", "sglang")).toBeUndefined();
    expect(kvEventsFor(null, "decode", "vllm")).toBeUndefined();
  });

  it("more local publishers than a slot's block: a RecipeError naming the field", () => {
    expect(() => kvEventsLaunch({ topic: "t" }, 100, 8, "backend.vllm_config.decode")).toThrow(
      /^backend\.vllm_config\.decode: 8 local data-parallel ranks publish KV events on 8 consecutive ports; a worker slot holds 4$/,
    );
    expect(kvEventsLaunch(undefined, 100, 8)).toEqual({ args: [], ports: {} });
  });
});
