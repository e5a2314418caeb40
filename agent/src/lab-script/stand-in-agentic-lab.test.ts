/**
 * The lab's own agentic scripts that only run as themselves (their preset says `script-mode`), run
 * on the emulated fleet against the reference lab's real checkout (skipped without it;
 * BENCHFLEET_LAB_CHECKOUTS is a directory holding an `InferenceX` checkout): each script, in a copy
 * of the checkout, with the lab's agentic env at its first point and the stand-in
 * `benchmark_lib.sh` (stand-in.ts), starts the emulated engine, replays the trace through
 * `lab-replay` and leaves the lab's aggregated result, stored as the point with per-turn latencies
 * and the engine's hit rate; the steps that patch the engine's image are reported, not run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildLaunchPlan, findScriptPreset, loadScriptPresets, placeGang } from "@benchfleet/recipes";
import {
  buildPlan,
  type Deployment,
  freePort,
  labScriptCandidates,
  labScriptEnv,
  labScriptHash,
  loadMasterConfigs,
  loadRunnersFile,
  loadYaml,
  pointFromLabAgenticResult,
  SkuCatalog,
  withLabScript,
} from "@benchfleet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { findModel, loadModelCatalog } from "../emulator/model-spec.js";
import { emulateArgs } from "../launchers/emulated-args.js";
import { selfCommand } from "../self-command.js";
import { standInCommand, takeContainerSteps } from "./stand-in.js";

const LAB = process.env.BENCHFLEET_LAB_CHECKOUTS;
const IX = LAB ? join(LAB, "InferenceX") : "";
const REPO = fileURLToPath(new URL("../../../", import.meta.url));

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** the first single-node agentic deployment of each script whose preset says script-mode, in script mode */
function scriptModeDeployments(): Deployment[] {
  const configs = readdirSync(join(IX, "configs"))
    .filter((n) => n.endsWith("master.yaml"))
    .map((n) => ({ file: join(IX, "configs", n), text: readFileSync(join(IX, "configs", n), "utf8") }));
  const runnersFile = join(IX, "configs", "runners.yaml");
  const skus = join(REPO, "configs", "skus.yaml");
  const plan = buildPlan(loadMasterConfigs(configs), {
    catalog: loadYaml(readFileSync(skus, "utf8"), skus, SkuCatalog).value as SkuCatalog,
    runners: loadRunnersFile({ file: runnersFile, text: readFileSync(runnersFile, "utf8") }),
    selection: { scenarioTypes: new Set(["agentic-coding"]) },
  });
  const presets = loadScriptPresets(join(REPO, "configs", "recipes"));
  const byScript = new Map<string, Deployment>();
  for (const d of plan.deployments) {
    if (d.multinode || !findScriptPreset(presets, d)?.["script-mode"]) continue;
    const rel = labScriptCandidates(d).find((p) => existsSync(join(IX, p)));
    if (!rel || byScript.has(rel)) continue;
    // a short measured duration: the emulator's clock runs 20× fast
    const short = { ...d, agentic: { ...d.agentic!, durationS: 30 } };
    byScript.set(rel, withLabScript(short, { path: rel, sha256: labScriptHash(readFileSync(join(IX, rel))) }));
  }
  return [...byScript.values()];
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

describe.skipIf(!LAB || !existsSync(join(IX, "benchmarks", "single_node", "agentic")))(
  "the lab's script-mode agentic scripts on the emulated fleet",
  () => {
    it("each runs as itself with the stand-ins, leaves the lab's agentic result, and its image patches are reported", async () => {
      const deployments = scriptModeDeployments();
      expect(deployments.length).toBeGreaterThan(0);
      // the emulated engine serves the models of its catalog (configs/models.yaml); the others are named
      const catalog = loadModelCatalog();
      const known = (d: Deployment) => {
        try {
          findModel(catalog, d.model);
          return true;
        } catch {
          return false;
        }
      };
      const unserved = deployments.filter((d) => !known(d)).map((d) => `${d.labScript!.path} (${d.model})`);
      const runnable = deployments.filter(known);
      expect(runnable.length).toBeGreaterThan(0);
      const summary: string[] = [];
      for (const d of runnable) {
        const ws = mkdtempSync(join(tmpdir(), "bf-standin-lab-"));
        dirs.push(ws);
        cpSync(IX, ws, { recursive: true, filter: (src) => !src.split("/").includes(".git") });
        const node = { hostname: "n0", ip: "127.0.0.1", gpuCount: d.gpusPerNode, rdmaDevices: [] };
        const built = buildLaunchPlan(d, placeGang(d, [node], 20480, d.sku.startsWith("mi") ? "amd" : "nvidia"));
        const base = built.nodes[0]!.processes[0]!;
        const point = d.points[0]!;
        const port = await freePort();
        const spec = {
          ...base,
          ports: { http: port },
          env: { ...base.env, ...labScriptEnv(d, point.concurrency, { runnerName: "standin_0", port }) },
        };
        const engine = [
          ...selfCommand("emulate"),
          ...emulateArgs({ spec, deployment: d, host: "127.0.0.1" }),
          "--time-scale",
          "0.05",
          "--quiet",
        ];
        const run = standInCommand({
          spec,
          host: "127.0.0.1",
          workspace: ws,
          engine,
          client: selfCommand("lab-client", "--engine-timing"),
          replay: selfCommand("lab-replay", "--engine-timing"),
          evalCommand: selfCommand("lab-eval", "--emulated"),
        });
        const child = spawn(run.file, run.args, { env: run.env, cwd: run.cwd, detached: true, stdio: "pipe" });
        let out = "";
        child.stdout!.on("data", (b) => (out += b.toString()));
        child.stderr!.on("data", (b) => (out += b.toString()));
        let code: number | null;
        try {
          code = await exitOf(child);
        } finally {
          // the server the script left in the background goes with it
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {}
        }
        const serverLog = join(ws, "results", "server.log");
        const engineTail = existsSync(serverLog) ? readFileSync(serverLog, "utf8").slice(-1500) : "";
        expect(code, `${d.labScript!.path}:\n${out.slice(-3000)}\nengine:\n${engineTail}`).toBe(0);
        const file = join(ws, `${spec.env.RESULT_FILENAME}.json`);
        const r = pointFromLabAgenticResult(
          JSON.parse(readFileSync(file, "utf8")),
          file,
          point,
          { total: d.gpus, prefill: 0, decode: 0 },
          true,
          new Date().toISOString(),
        );
        expect(r.status, r.failureReason).toBe("ok");
        expect(r.agentic!.requests.completed).toBeGreaterThan(0);
        expect(r.agentic!.ttftMs.median).toBeGreaterThan(0);
        expect(r.engineMetrics?.roles[0]?.prefixCache?.hitRate).toBeGreaterThan(0);
        const steps = takeContainerSteps(ws);
        expect(steps.length, d.labScript!.path).toBeGreaterThan(0);
        summary.push(`${d.labScript!.path} c=${point.concurrency}: ${steps.join("; ")}`);
      }
      process.stdout.write(
        `script-mode agentic scripts run on the emulated fleet:\n  ${summary.join("\n  ")}\n` +
          `not run, the emulator's model catalog lacks their model: ${unserved.join(", ") || "none"}\n`,
      );
    }, 600_000);
  },
);
