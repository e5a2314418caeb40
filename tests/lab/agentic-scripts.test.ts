/**
 * Against the reference lab's real checkout (skipped without it): every single-node agentic row
 * of InferenceX's master configs held against its script in benchmarks/single_node/agentic/ at
 * each point (lab-agentic-scripts.ts): the engine's flags, env and options both ways, the side
 * servers and the Mooncake store config. The census (scripts whose launch equals theirs at every
 * point, and what differs for the others) is printed; docs/agentic.md records it. A script with a
 * preset in configs/recipes/scripts/agentic/ must launch as its script at every point. The lab
 * client's settings each script sets (AIPERF_* / AGENTIC_* as build_replay_cmd reads them) are
 * held against the point's client settings; the scripts with a preset must give the same at every
 * point they are traced to.
 * BENCHFLEET_LAB_CHECKOUTS is a directory holding an `InferenceX` checkout.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  checkAgenticRows,
  formatAgenticClientSummary,
  formatAgenticSummary,
  labSingleNodeRows,
  summarizeAgenticChecks,
  summarizeAgenticClient,
} from "@benchfleet/cli";
import { loadPresets, loadScriptPresets } from "@benchfleet/recipes";
import { describe, expect, it } from "vitest";

const LAB = process.env.BENCHFLEET_LAB_CHECKOUTS;
const IX = LAB ? join(LAB, "InferenceX") : "";
const RECIPES = fileURLToPath(new URL("../../configs/recipes/", import.meta.url));

describe.skipIf(!LAB || !existsSync(join(IX, "benchmarks", "single_node", "agentic")))(
  "single-node agentic rows against the lab's agentic scripts",
  () => {
    it("each point's launch is compared with its script; scripts with a preset launch as theirs", () => {
      const rows = labSingleNodeRows(IX, join(IX, "configs", "runners.yaml"), "agentic-coding");
      const scripts = loadScriptPresets(RECIPES);
      const checks = checkAgenticRows(rows, { presets: loadPresets(RECIPES), scripts });
      const summaries = summarizeAgenticChecks(checks);
      process.stdout.write(`${rows.length} single-node agentic deployments\n${formatAgenticSummary(summaries, 40)}`);
      expect(rows.length).toBeGreaterThan(0);
      const withPreset = new Set(
        scripts.filter((s) => s.script.includes("/agentic/")).map((s) => s.script.split("/").pop()!),
      );
      expect(withPreset.size).toBeGreaterThan(0);
      const unequal = summaries
        .filter((s) => withPreset.has(s.key) && s.equal + s.excused !== s.points)
        .map((s) => `${s.key}: ${s.differences.map((d) => d.what).join("; ")}`);
      expect(unequal).toEqual([]);
      const clients = summarizeAgenticClient(checks);
      process.stdout.write(formatAgenticClientSummary(clients, 40));
      expect(clients.reduce((n, s) => n + s.equal, 0)).toBeGreaterThan(0);
      const clientUnequal = clients
        .filter((s) => withPreset.has(s.key) && s.equal + s.unknown !== s.points)
        .map((s) => `${s.key}: ${s.differences.map((d) => d.what).join("; ")}`);
      expect(clientUnequal).toEqual([]);
    }, 600_000);
  },
);
