/**
 * Against the reference lab's real checkout (skipped without it): every single-node fixed-seq-len
 * row of InferenceX's master configs has a script, builds a launch at each of its points, and that
 * launch carries every flag, env var and TensorRT-LLM option its script passes at that point
 * (the script traced under bash with stubbed commands, cli/src/lab-script-trace.ts). Differences a
 * preset names under not-reproduced are counted apart. BENCHFLEET_LAB_CHECKOUTS is a directory
 * holding an `InferenceX` checkout. The census is printed; docs/single-node-presets.md records it.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkLabRows, formatChecks, labSingleNodeRows, scriptClientOptions } from "@benchfleet/cli";
import { loadPresets, loadScriptPresets } from "@benchfleet/recipes";
import { describe, expect, it } from "vitest";

const LAB = process.env.BENCHFLEET_LAB_CHECKOUTS;
const IX = LAB ? join(LAB, "InferenceX") : "";
const RECIPES = fileURLToPath(new URL("../../configs/recipes/", import.meta.url));

describe.skipIf(!LAB || !existsSync(join(IX, "benchmarks", "single_node")))(
  "single-node rows against the lab's scripts",
  () => {
    it("every row builds and its launch carries its script's flags, env and options at each point", () => {
      const rows = labSingleNodeRows(IX);
      const checks = checkLabRows(rows, { presets: loadPresets(RECIPES), scripts: loadScriptPresets(RECIPES) });
      const { text, failing } = formatChecks(checks);
      const excused = checks.filter((c) => c.excused?.length).length;
      process.stdout.write(
        `single-node census: ${rows.length} rows, ${text}  ${excused} points differ only where their preset says not reproduced\n`,
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.filter((r) => !r.script).map((r) => r.d.configKey)).toEqual([]);
      expect(checks.filter((c) => c.error).map((c) => `${c.configKey} conc ${c.conc}: ${c.error}`)).toEqual([]);
      expect(failing).toBe(0);
    }, 600_000);

    it("each preset's client block is what its script passes to run_benchmark_serving", () => {
      // agentic scripts replay traces (build_replay_cmd), they run no run_benchmark_serving
      const presets = loadScriptPresets(RECIPES).filter((p) => p.script.includes("/fixed_seq_len/"));
      const differ: string[] = [];
      for (const p of presets) {
        const found = scriptClientOptions(readFileSync(join(IX, p.script), "utf8"));
        if (!found) {
          differ.push(`${p.script}: no run_benchmark_serving call`);
          continue;
        }
        const script = {
          "use-chat-template": !!found["use-chat-template"],
          dsv4: !!found.dsv4,
          backend: found.backend,
        };
        const preset = {
          "use-chat-template": !!p.client?.["use-chat-template"],
          dsv4: !!p.client?.dsv4,
          backend: p.client?.backend,
        };
        if (JSON.stringify(script) !== JSON.stringify(preset))
          differ.push(`${p.script}: script ${JSON.stringify(script)}, preset ${JSON.stringify(preset)}`);
      }
      expect(presets.length).toBeGreaterThan(0);
      expect(differ).toEqual([]);
    });
  },
);
