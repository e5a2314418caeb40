/** Test helper: agentic-coding deployments (trace replay points, KV offloading) made by hand. */
import { Deployment, type SkuName } from "@benchfleet/shared";
import { makeDeployment } from "./deployments.js";

export function makeAgenticDeployment(o: {
  seed: string;
  sku?: SkuName;
  concurrencies: number[];
  kvOffloading?: "none" | "dram";
  dramOffloadGb?: number;
}): Deployment {
  const sku = o.sku ?? "h200";
  const { maxModelLen: _, ...base } = makeDeployment({
    seed: o.seed,
    sku,
    points: o.concurrencies.map((concurrency) => ({ concurrency, isl: 0, osl: 0, durationS: 600 })),
  });
  const dram = o.kvOffloading === "dram";
  const key = `llama3-8b-bf16-${sku}-vllm-agentic-${o.seed}`;
  return Deployment.parse({
    ...base,
    configKey: key,
    configKeys: [key],
    model: "meta-llama/Llama-3.1-8B-Instruct",
    modelPrefix: "llama3-8b",
    framework: "vllm",
    precision: "bf16",
    isl: 0,
    osl: 0,
    scenario: "agentic-coding",
    agentic: {
      durationS: 600,
      kvOffloading: dram ? "dram" : "none",
      ...(dram ? { kvOffloadBackend: { name: "vllm-native" } } : {}),
      dramOffloadGb: dram ? (o.dramOffloadGb ?? 400) : 0,
    },
  });
}
