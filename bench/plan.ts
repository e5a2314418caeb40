/**
 * Planner speed: load + validate + plan a large master config, in-process (no CLI start-up).
 * `pnpm bench:plan [extra master files...]` — extra files (e.g. a lab's real nvidia/amd masters)
 * are planned too, as one set.
 */
import { readFileSync } from "node:fs";
import { buildPlan, loadMasterConfigs, loadYaml, SkuCatalog } from "@benchfleet/shared";
import { largeMasterConfig } from "../tests/large-config.js";

const catalog = loadYaml(
  readFileSync(new URL("../configs/skus.yaml", import.meta.url), "utf8"),
  "skus.yaml",
  SkuCatalog,
).value as SkuCatalog;

function time(label: string, files: Array<{ file: string; text: string }>, runs = 5): void {
  const lines = files.reduce((s, f) => s + f.text.split("\n").length, 0);
  const ms: number[] = [];
  let deployments = 0;
  let points = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const plan = buildPlan(loadMasterConfigs(files), { catalog });
    ms.push(performance.now() - t0);
    deployments = plan.totals.deployments;
    points = plan.totals.points;
  }
  ms.sort((a, b) => a - b);
  console.log(
    `${label}: ${lines} lines → ${deployments} deployments, ${points} points; median ${ms[Math.floor(runs / 2)]!.toFixed(0)} ms, min ${ms[0]!.toFixed(0)} ms (${runs} runs)`,
  );
}

time("synthetic large config", [{ file: "large-master.yaml", text: largeMasterConfig(10) }]);
const extra = process.argv.slice(2);
if (extra.length)
  time(
    extra.join(" + "),
    extra.map((f) => ({ file: f, text: readFileSync(f, "utf8") })),
  );
