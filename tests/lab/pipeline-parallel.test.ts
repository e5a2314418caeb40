/**
 * Against the reference lab's real checkouts (skipped without them; BENCHFLEET_LAB_CHECKOUTS holds
 * `InferenceX` and `srt-slurm`): every deployment of the lab's master configs with pipeline
 * parallelism (a pool with pp > 1) that launches from its srt-slurm recipe gives its emulated
 * engines the recipe's pipeline stages (`--pp`), and the emulated engine, started with those
 * arguments, fits the model on the worker's tp × pp GPUs where one stage's GPUs alone would not.
 * The count is printed; docs/agentic.md records it. Then one TP8 × PP2 row of each SKU, launched
 * from the lab's own recipe on the emulated gang (one launcher per node), serves a load point.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { EmulatorConfigError, emulateArgs, startEmulator } from "@benchfleet/agent";
import { checkRecipes, planFromFiles } from "@benchfleet/controller";
import { buildLaunchPlan, loadPresets } from "@benchfleet/recipes";
import { makePlacement } from "@benchfleet/recipes/test-support";
import type { Deployment } from "@benchfleet/shared";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/cli.js";
import { EmulatedGangs, planOnFreePorts } from "../helpers/emulated-gang.js";

const LAB = process.env.BENCHFLEET_LAB_CHECKOUTS;
const IX = LAB ? join(LAB, "InferenceX") : "";
const SRT = LAB ? join(LAB, "srt-slurm") : "";

function labPlan(extra: { keys?: string[]; srtSlurm?: string[] } = {}) {
  const config = readdirSync(join(IX, "configs"))
    .filter((f) => f.endsWith("master.yaml"))
    .map((f) => join(IX, "configs", f));
  return planFromFiles({ config, runners: join(IX, "configs", "runners.yaml"), ...extra });
}

const stages = (d: Deployment) => Math.max(d.pp ?? 1, d.prefill?.pp ?? 1, d.decode?.pp ?? 1);
const flag = (args: string[], name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);

/** the emulated engine as `benchfleet emulate ARGS` would start it, closed again; its KV capacity */
async function engineFits(args: string[], pp: number): Promise<number> {
  const e = await startEmulator({
    sku: flag(args, "--sku")!,
    model: flag(args, "--model")!,
    precision: flag(args, "--precision")!,
    tp: Number(flag(args, "--tp")),
    ep: Number(flag(args, "--ep")),
    pp,
    dpAttn: args.includes("--dp-attn"),
    spec: flag(args, "--spec") === "mtp" ? "mtp" : "none",
  });
  try {
    const models = (await (await fetch(`${e.url}/v1/models`)).json()) as {
      data: Array<{ benchfleet: { pp: number; kv_capacity_tokens: number } }>;
    };
    expect(models.data[0]!.benchfleet.pp).toBe(pp);
    return models.data[0]!.benchfleet.kv_capacity_tokens;
  } finally {
    await e.close();
  }
}

describe.skipIf(!LAB || !existsSync(join(IX, "configs", "runners.yaml")) || !existsSync(SRT))(
  "the lab's pipeline-parallel deployments on the emulated engine",
  () => {
    const gangs = new EmulatedGangs();
    afterAll(() => gangs.stop());

    it("launch with the recipe's stages and fit only with them", async () => {
      const dirs = [SRT, IX, join(IX, "benchmarks", "multi_node", "srt-slurm-recipes")];
      const keys = [
        ...new Set(
          labPlan()
            .deployments.filter((d) => stages(d) > 1)
            .map((d) => d.configKey),
        ),
      ];
      const presets = loadPresets(join(REPO_ROOT, "configs", "recipes"));
      const seen: string[] = [];
      // deployments that do not launch from their recipe (tests/lab/agentic-launch.test.ts says why)
      let skipped = 0;
      for (const key of keys) {
        const plan = labPlan({ keys: [key], srtSlurm: dirs });
        const unlaunchable = new Set(checkRecipes(plan).map((u) => u.fingerprint));
        skipped += plan.deployments.filter((x) => stages(x) > 1 && unlaunchable.has(x.fingerprint)).length;
        for (const d of plan.deployments.filter((x) => stages(x) > 1 && !unlaunchable.has(x.fingerprint))) {
          const launch = buildLaunchPlan(d, makePlacement(d), { presets });
          for (const node of launch.nodes)
            for (const spec of node.processes) {
              // a worker's rank 0 stands for it (its other ranks are headless)
              if (!["prefill", "decode", "worker"].includes(spec.role) || /-rank[1-9]\d*$/.test(spec.name)) continue;
              const args = emulateArgs({ spec, deployment: d, plan: launch });
              const what = `${key} ${spec.name}: ${args.join(" ")}`;
              expect(flag(args, "--pp"), what).toBe(String(stages(d)));
              expect(await engineFits(args, stages(d)), what).toBeGreaterThan(0);
              await expect(engineFits(args, 1), what).rejects.toThrow(EmulatorConfigError);
              await expect(engineFits(args, 1), what).rejects.toThrow(/out of memory/);
              seen.push(
                `${key} ${spec.name} ${flag(args, "--sku")} tp ${flag(args, "--tp")} × pp ${flag(args, "--pp")}`,
              );
            }
        }
      }
      const tally = new Map<string, number>();
      for (const line of seen) tally.set(line, (tally.get(line) ?? 0) + 1);
      const lines = [...tally.entries()].map(([k, n]) => `${String(n).padStart(4)}  ${k}`);
      process.stdout.write(
        `${seen.length} engine processes of the lab's pipeline-parallel deployments (${keys.length} keys) fit only with PP (${skipped} deployments do not launch from their recipe):\n${lines.join("\n")}\n`,
      );
      expect(seen.length).toBeGreaterThan(0);
    }, 300_000);

    it.each(["kimik3-fp4-b200-dynamo-vllm-agentic", "kimik3-fp4-gb200-dynamo-vllm-agentic-dspark-mooncake-tp8pp2"])(
      "%s: the lab's recipe launches on the emulated gang and serves",
      async (key) => {
        const dirs = [SRT, IX, join(IX, "benchmarks", "multi_node", "srt-slurm-recipes")];
        const plan = labPlan({ keys: [key], srtSlurm: dirs });
        const d0 = plan.deployments.find((d) => d.srtRecipe && stages(d) > 1);
        expect(d0, `${key}: a deployment launched from its recipe`).toBeDefined();
        // the gang's load point is a fixed-length one (the agentic replay runs in tests/pipeline-parallel-sweep.test.ts)
        const d = { ...d0!, isl: 256, osl: 16 };
        const launch = await planOnFreePorts(d, { presets: loadPresets(join(REPO_ROOT, "configs", "recipes")) });
        const { res, lines } = await gangs.launchAndLoad(launch, d, `lab-pp-${key}`);
        expect(res.status, lines.slice(-10).join("\n")).toBe("ok");
        expect(res.bench.completed).toBe(12);
        expect(res.bench.failed).toBe(0);
      },
      120_000,
    );
  },
);
