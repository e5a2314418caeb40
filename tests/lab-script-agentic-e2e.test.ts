/**
 * Agentic script mode end to end: the real controller plans a posted agentic row with a lab
 * checkout (its BENCHFLEET_LAB_DIR setting) and stores the row's agentic script; a real agent
 * process (emulated H200, `--lab` the same checkout) runs the script itself under bash once per
 * point with the lab's agentic env — its `vllm serve` is the emulated engine (prefix cache, the
 * row's DRAM tier), its `build_replay_cmd` / `run_agentic_replay_and_write_outputs` benchfleet's
 * trace replay writing the lab's aggregated agentic result — and each file is stored as the point,
 * per-turn metrics and the engine's hit rate with it, marked as measured by the lab's script. The
 * script patches a file of the engine's image with `sed`, which the emulated fleet cannot apply:
 * the agent reports the step. The checkout is one we write in the lab's layout and format.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgenticFrontier, PointResult } from "@benchfleet/shared";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { spawnCli } from "./helpers/cli.js";
import { startTestController, sweepFinished, type TestController, TOKENS, until } from "./helpers/controller.js";
import { randomLoopback } from "./helpers/loopback.js";

const CONFIG = `llama3-8b-bf16-h200-vllm-agentic:
  image: vllm/vllm-openai:v0.26.0
  model: meta-llama/Llama-3.1-8B-Instruct
  model-prefix: llama3-8b
  runner: cluster:h200-lab
  precision: bf16
  framework: vllm
  multinode: false
  benchfleet: { script: true, agentic-duration: 60 }
  scenarios:
    agentic-coding:
      - dram-utilization: 0.5
        search-space:
          - { tp: 1, kv-offloading: dram, kv-offload-backend: { name: vllm-native, version: "0.26" }, conc-list: [2, 4] }
`;

const RUNNERS = `labels:
  cluster:h200-lab: [h200-lab_00]
hardware:
  cluster:h200-lab:
    available-cpu-dram-mib: 200_000
    gpus-per-node: 8
`;

// the lab's single-node agentic script format (benchmarks/single_node/agentic/<key>.sh)
const SCRIPT = `#!/usr/bin/env bash
set -euo pipefail
set -x

source "$(dirname "$0")/../../benchmark_lib.sh"

check_env_vars MODEL TP CONC KV_OFFLOADING TOTAL_CPU_DRAM_GB RESULT_DIR DURATION EP_SIZE

if [[ -n "\${MODEL_PATH:-}" ]]; then
    hf download "$MODEL" --local-dir "$MODEL_PATH"
else
    hf download "$MODEL"
    export MODEL_PATH="$MODEL"
fi

resolve_trace_source
install_agentic_deps

SERVER_LOG="$RESULT_DIR/server.log"
mkdir -p "$RESULT_DIR"

OFFLOAD_ARGS=()
if require_agentic_kv_offload_backend vllm-native; then
    OFFLOAD_ARGS=(--kv-offloading-backend native --kv-offloading-size "$TOTAL_CPU_DRAM_GB")
fi

# the image's chat server reports cached tokens only once patched
SERVING_CHAT=/sgl-workspace/vllm/vllm/entrypoints/openai/serving_chat.py
if ! sed -n '/cached_tokens=/p' "$SERVING_CHAT" | grep -q cached_tokens_details; then
    sed -i 's/cached_tokens=/cached_tokens_details=/' "$SERVING_CHAT"
fi

VLLM_CMD=(
    vllm serve "$MODEL_PATH" --served-model-name "$MODEL"
    --host 0.0.0.0 --port "$PORT"
    --tensor-parallel-size "$TP"
    --enable-prefix-caching
    "\${OFFLOAD_ARGS[@]}"
)
write_command "$RESULT_DIR/vllm_command.txt" "\${VLLM_CMD[@]}"
"\${VLLM_CMD[@]}" > "$SERVER_LOG" 2>&1 &
SERVER_PID=$!

wait_for_server_ready --port "$PORT" --server-log "$SERVER_LOG" --server-pid "$SERVER_PID"

build_replay_cmd "$RESULT_DIR"
REPLAY_CMD+=" --apply-chat-template"
run_agentic_replay_and_write_outputs "$RESULT_DIR"
stop_background_process_tree "$SERVER_PID" "vLLM server"
`;

describe("agentic script mode end to end", () => {
  let c: TestController;
  let dir: string;
  let lab: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bf-lab-agentic-e2e-"));
    lab = join(dir, "lab");
    const agentic = join(lab, "benchmarks", "single_node", "agentic");
    mkdirSync(agentic, { recursive: true });
    // the lab's H200 runners run the name without the framework
    writeFileSync(join(agentic, "llama3-8b_bf16_h200.sh"), SCRIPT);
    // the lab's library needs GPUs and AIPerf: on the emulated fleet a stand-in replaces it
    writeFileSync(join(lab, "benchmarks", "benchmark_lib.sh"), 'echo "the lab library needs a GPU" >&2; exit 1\n');
    c = await startTestController(inject("redisUrl"), { config: { labDir: lab, jobAttempts: 1 } });
  });
  afterAll(async () => {
    await c?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("each point runs the lab's agentic script; its aggregated result is the stored agentic point", async () => {
    const created = await c.api(
      "POST",
      "/api/v1/sweeps",
      {
        name: "lab-agentic-script",
        plan: {
          configs: [{ file: "master.yaml", text: CONFIG }],
          runners: { file: "runners.yaml", text: RUNNERS },
        },
      },
      TOKENS.operator,
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sweepId = created.body.sweepId as string;
    const jobs = await c.api("GET", `/api/v1/jobs?sweep=${sweepId}`, undefined, TOKENS.viewer);
    const jobIds = (jobs.body.items as Array<{ jobId: string }>).map((j) => j.jobId);
    expect(jobIds.length).toBeGreaterThan(0);
    for (const jobId of jobIds) {
      const d = (await c.api("GET", `/api/v1/jobs/${jobId}`, undefined, TOKENS.viewer)).body.deployment;
      expect(d.mode).toBe("script");
      expect(d.scenario).toBe("agentic-coding");
      expect(d.labScript.path).toBe("benchmarks/single_node/agentic/llama3-8b_bf16_h200.sh");
    }

    const child = spawnCli(
      [
        "agent",
        "start",
        "--controller",
        c.url.replace(/^http/, "ws"),
        "--token",
        TOKENS.enrol,
        "--agent-id",
        "lab-agentic-h200",
        "--emulate-sku",
        "h200",
        "--labels",
        "cluster:h200-lab",
        "--emulate-ip",
        randomLoopback(),
        "--time-scale",
        "0.05",
        "--lab",
        lab,
        "--data-dir",
        join(dir, "agent"),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout!.on("data", (b) => (output += b.toString()));
    child.stderr!.on("data", (b) => (output += b.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const jobLogs = async (process?: string) => {
      const lines: string[] = [];
      for (const jobId of jobIds) {
        const q = process ? `&process=${process}` : "";
        const l = await c.api("GET", `/api/v1/jobs/${jobId}/logs?tail=1000${q}`, undefined, TOKENS.viewer);
        for (const x of (l.body.lines ?? []) as Array<{ process: string; line: string }>)
          lines.push(`${x.process}: ${x.line}`);
      }
      return lines;
    };
    try {
      const job = await sweepFinished(c, sweepId, 150_000).catch(async (e: Error) => {
        const text = (await jobLogs()).join("\n");
        throw new Error(`${e.message}; agent output: ${output.slice(-2000)}\njob logs:\n${text.slice(-6000)}`);
      });
      expect(job.status, `${output.slice(-3000)}\n${(await jobLogs()).join("\n").slice(-6000)}`).toBe("succeeded");
      const results = await c.api("GET", `/api/v1/results?sweep=${sweepId}&emulated=true`, undefined, TOKENS.viewer);
      expect(results.body.total).toBe(2);
      for (const item of results.body.items as Array<{ result: unknown }>) {
        const r = PointResult.parse(item.result);
        expect(r.measuredBy).toBe("lab-script");
        expect(r.status, r.failureReason).toBe("ok");
        expect(r.point).toMatchObject({ isl: 0, osl: 0, durationS: 60 });
        const a = r.agentic!;
        // per-turn latencies from the lab's file (seconds there, ms here), its request counts and throughput
        expect(a.concurrency).toBe(r.point.concurrency);
        expect(a.requests.completed).toBeGreaterThan(0);
        expect(a.ttftMs.median).toBeGreaterThan(0);
        expect(a.e2elMs.median).toBeGreaterThan(a.ttftMs.median!);
        expect(a.throughput.totalTokensPerGpu).toBeGreaterThan(0);
        expect(a.trace.source).toBe("synthetic(seed=42)");
        // the engine's hit rate as the lab's file carries it: every turn extends its trajectory's history
        expect(r.engineMetrics!.roles[0]!.prefixCache!.hitRate).toBeGreaterThan(0.3);
      }
      const f = await c.api("GET", `/api/v1/results/agentic-frontier?sweep=${sweepId}`, undefined, TOKENS.viewer);
      const groups = f.body.groups as AgenticFrontier[];
      expect(groups).toHaveLength(1);
      expect(groups[0]!.group).toMatchObject({ sku: "h200", kvOffloading: "dram", kvOffloadBackend: "vllm-native" });
      expect(groups[0]!.measured).toBe(2);
      // the image patch the emulated fleet cannot apply is reported at each point, not skipped silently
      // the agent's log lines reach the controller after its results: wait for the last point's
      let agentLines: string[] = [];
      await until(
        async () => {
          agentLines = await jobLogs("agent");
          return agentLines.filter((l) => l.includes("ok, measured by the lab's agentic replay")).length === 2;
        },
        15_000,
        "both points' log lines",
      );
      // an AIPerf option the script appends to the replay command is named, not applied
      expect(
        (await jobLogs()).filter((l) =>
          l.includes("lab-replay: options of the lab's AIPerf not applied here: --apply-chat-template"),
        ),
      ).toHaveLength(2);
      for (const conc of [2, 4])
        expect(agentLines).toContainEqual(
          `agent: [agent] point c=${conc}: emulated fleet: the lab script's sed on /sgl-workspace/vllm/vllm/entrypoints/openai/serving_chat.py: not applied (a file of the engine's image)`,
        );
    } finally {
      await c.api("POST", `/api/v1/sweeps/${sweepId}/cancel`, {}, TOKENS.operator);
      child.kill("SIGTERM");
      await exited;
    }
  }, 200_000);
});
