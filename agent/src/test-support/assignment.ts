/** Builders of valid deployments, assignments and one-process launch plans for agent tests. */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { Assignment, Deployment, LaunchPlan, ProcessSpec } from "@benchfleet/shared";

export function makeDeployment(over: Partial<Deployment> = {}): Deployment {
  const base: Deployment = {
    fingerprint: createHash("sha256").update(JSON.stringify(over)).digest("hex"),
    configKey: "test-fp8-h100-sglang",
    configKeys: ["test-fp8-h100-sglang"],
    sourceFiles: ["configs/test.yaml"],
    runner: "h100",
    sku: "h100",
    gpusPerNode: 8,
    image: "lmsysorg/sglang:v0.5.5",
    model: "meta-llama/Llama-3.1-8B-Instruct",
    modelPrefix: "llama3-8b",
    precision: "fp8",
    framework: "sglang",
    isl: 128,
    osl: 16,
    specDecoding: "none",
    multinode: false,
    disagg: false,
    scenario: "fixed-seq-len",
    tp: 1,
    ep: 1,
    dpAttn: false,
    nodes: 1,
    gpus: 1,
    points: [
      { concurrency: 2, isl: 128, osl: 16 },
      { concurrency: 4, isl: 128, osl: 16 },
    ],
    eval: false,
    evalsOnly: false,
    launchPerPoint: false,
    promptsPerConc: 2,
    maxModelLen: 4096,
    recipeOverrides: {},
    priority: 0,
    timeouts: { prepare: 10, launch: 10, ready: 10, warmup: 10, load: 30, eval: 30, teardown: 10 },
    estimate: { launchSeconds: 1, loadSeconds: 1, evalSeconds: 0, wallSeconds: 2, gpuHours: 0.001 },
  };
  return { ...base, ...over };
}

export function makeAssignment(over: Partial<Assignment> = {}, dep: Partial<Deployment> = {}): Assignment {
  const deployment = makeDeployment(dep);
  return {
    attemptId: "att-1",
    fencingToken: 1,
    attemptNumber: 1,
    jobId: `sweep1.${deployment.fingerprint.slice(0, 16)}`,
    sweepId: "sweep1",
    deployment,
    points: deployment.points,
    runEval: false,
    gang: [{ agentId: "agent-a", hostname: "localhost", ip: "127.0.0.1", rank: 0, gpuCount: 8, rdmaDevices: [] }],
    rank: 0,
    portBase: 30000,
    emulated: true,
    ...over,
  };
}

/** argv that runs the load generator's fixture server (a real OpenAI-compatible HTTP server with known delays) */
export function fixtureEngineArgv(port: number, extra: string[] = []): string[] {
  const script = fileURLToPath(new URL("../loadgen/fixture-server.ts", import.meta.url));
  return [
    process.execPath,
    "--conditions=source",
    "--import",
    import.meta.resolve("tsx"),
    script,
    "--port",
    String(port),
    "--ttft-ms",
    "5",
    "--itl-ms",
    "1",
    ...extra,
  ];
}

export function processSpec(over: Partial<ProcessSpec> & { name: string; argv: string[] }): ProcessSpec {
  return {
    role: "worker",
    env: {},
    mounts: [],
    files: [],
    gpus: [0],
    ports: {},
    health: [],
    stage: 0,
    ownSession: true,
    ...over,
  };
}

/** a one-node plan whose only process is `spec`, served at port */
export function onePlan(spec: ProcessSpec, port: number): LaunchPlan {
  return {
    framework: "fixture",
    nodes: [{ rank: 0, hostname: "localhost", ip: "127.0.0.1", processes: [spec] }],
    endpoint: { baseUrl: `http://127.0.0.1:${port}`, model: "fixture", api: "completions" },
    gangHealth: [{ kind: "canary", url: `http://127.0.0.1:${port}`, model: "fixture", path: "/v1/completions" }],
    notes: [],
  };
}
