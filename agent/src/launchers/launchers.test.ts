import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildLaunchPlan } from "@benchfleet/recipes";
import { describe, expect, it } from "vitest";
import { makeDeployment, processSpec } from "../test-support/assignment.js";
import { containerName, dockerRunArgs } from "./docker.js";
import { emulateArgs, flagValue, flagValues, workerUrls } from "./emulated-args.js";
import type { LaunchContext } from "./launcher.js";
import { ProcessLauncher } from "./process.js";

describe("docker launcher argv", () => {
  const spec = processSpec({
    name: "worker-0",
    image: "lmsysorg/sglang:v0.5.5",
    argv: ["python3", "-m", "sglang.launch_server", "--model-path", "/models/dsr1", "--tp", "8", "--port", "30000"],
    env: { HF_TOKEN: "secret", NCCL_DEBUG: "WARN" },
    mounts: [
      { host: "/data/models", container: "/models", readOnly: true },
      { host: "/scratch", container: "/scratch" },
    ],
    files: [{ path: "/etc/extra.yaml", content: "a: 1\n" }],
    gpus: [0, 1, 2, 3, 4, 5, 6, 7],
    cwd: "/workspace",
  });

  it("NVIDIA: --gpus device list, host network/IPC, mounts, env by name only, named and labelled by attempt", () => {
    expect(dockerRunArgs(spec, { attemptId: "sw1.abc.a2", vendor: "nvidia", attemptDir: "/var/bf/att" })).toEqual([
      "run",
      "--rm",
      "--name",
      "bf-sw1.abc.a2-worker-0",
      "--label",
      "benchfleet.attempt=sw1.abc.a2",
      "--label",
      "benchfleet.process=worker-0",
      "--network",
      "host",
      "--ipc",
      "host",
      "--shm-size",
      "32g",
      "--ulimit",
      "memlock=-1",
      "--ulimit",
      "stack=67108864",
      "--gpus",
      '"device=0,1,2,3,4,5,6,7"',
      "-v",
      "/data/models:/models:ro",
      "-v",
      "/scratch:/scratch",
      "-v",
      "/var/bf/att/files/worker-0/etc/extra.yaml:/etc/extra.yaml:ro",
      "-e",
      "HF_TOKEN",
      "-e",
      "NCCL_DEBUG",
      "-w",
      "/workspace",
      "--entrypoint",
      "python3",
      "lmsysorg/sglang:v0.5.5",
      "-m",
      "sglang.launch_server",
      "--model-path",
      "/models/dsr1",
      "--tp",
      "8",
      "--port",
      "30000",
    ]);
  });

  it("AMD: /dev/kfd and /dev/dri, video group, HIP_VISIBLE_DEVICES; RDMA devices on request", () => {
    const a = dockerRunArgs(
      { ...spec, files: [], mounts: [], env: {}, gpus: [4, 5], cwd: undefined },
      { attemptId: "a1", vendor: "amd", attemptDir: "/x", shmSize: "64g", rdma: true },
    );
    expect(a).toEqual([
      "run",
      "--rm",
      "--name",
      "bf-a1-worker-0",
      "--label",
      "benchfleet.attempt=a1",
      "--label",
      "benchfleet.process=worker-0",
      "--network",
      "host",
      "--ipc",
      "host",
      "--shm-size",
      "64g",
      "--ulimit",
      "memlock=-1",
      "--ulimit",
      "stack=67108864",
      "--device",
      "/dev/kfd",
      "--device",
      "/dev/dri",
      "--group-add",
      "video",
      "--cap-add",
      "SYS_PTRACE",
      "--security-opt",
      "seccomp=unconfined",
      "--device",
      "/dev/infiniband",
      "--cap-add",
      "IPC_LOCK",
      "-e",
      "HIP_VISIBLE_DEVICES=4,5",
      "--entrypoint",
      "python3",
      "lmsysorg/sglang:v0.5.5",
      "-m",
      "sglang.launch_server",
      "--model-path",
      "/models/dsr1",
      "--tp",
      "8",
      "--port",
      "30000",
    ]);
  });

  it("secrets never appear in the argv; names are sanitised; a spec without an image is refused", () => {
    expect(dockerRunArgs(spec, { attemptId: "a", vendor: "nvidia", attemptDir: "/x" }).join(" ")).not.toContain(
      "secret",
    );
    expect(containerName("sw:1/a", "r")).toBe("bf-sw-1-a-r");
    expect(() =>
      dockerRunArgs({ ...spec, image: undefined }, { attemptId: "a", vendor: "nvidia", attemptDir: "/x" }),
    ).toThrow(/has no image/);
  });

  it("the docker CLI here parses the generated argv (no engine: it fails on the daemon, not on a flag)", () => {
    // no Docker engine runs here: only check the client parses our flags (it fails on the daemon, not on a flag)
    let out = "";
    try {
      execFileSync(
        "docker",
        [
          "--host",
          "unix:///nonexistent.sock",
          ...dockerRunArgs(spec, { attemptId: "a", vendor: "nvidia", attemptDir: "/x" }),
        ],
        { stdio: "pipe", timeout: 10_000 },
      );
    } catch (e) {
      out = String((e as { stderr?: Buffer }).stderr ?? "");
    }
    if (out === "") return; // docker CLI not installed on this machine
    expect(out).not.toMatch(/unknown flag|invalid argument|flag needs an argument/i);
    expect(out).toMatch(/daemon|nonexistent\.sock|connect/i);
  });
});

describe("emulated launcher mapping", () => {
  it("reads parallelism, spec decoding, model and port from a real sglang recipe's argv", () => {
    const dep = makeDeployment({
      sku: "b200",
      model: "deepseek-ai/DeepSeek-R1-0528",
      precision: "fp8",
      framework: "sglang",
      tp: 8,
      ep: 8,
      dpAttn: true,
      specDecoding: "mtp",
      gpus: 8,
    });
    const plan = buildLaunchPlan(dep, {
      nodes: [{ rank: 0, hostname: "n0", ip: "10.0.0.1", gpuCount: 8, rdmaDevices: [] }],
      portBase: 31000,
      vendor: "nvidia",
    });
    const worker = plan.nodes[0].processes.find((p) => p.role !== "infra" && p.role !== "router");
    expect(worker).toBeDefined();
    const args = emulateArgs({ spec: worker!, deployment: dep, plan });
    const port = flagValue(args, ["--port"]);
    expect(Number(port)).toBeGreaterThanOrEqual(31000);
    expect(args).toEqual(
      expect.arrayContaining([
        "--role",
        "both",
        "--sku",
        "b200",
        "--precision",
        "fp8",
        "--tp",
        "8",
        "--ep",
        "8",
        "--dp-attn",
        "--spec",
        "mtp",
      ]),
    );
    expect(flagValue(args, ["--model"])).toBe(flagValue(worker!.argv, ["--model-path", "--model"]) ?? dep.model);
  });

  it("maps vLLM flags and a router's worker URLs", () => {
    const dep = makeDeployment({ framework: "vllm", tp: 4 });
    const vllm = processSpec({
      name: "w",
      argv: ["vllm", "serve", "m", "--tensor-parallel-size", "4", "--enable-expert-parallel", "--port", "8000"],
      ports: { http: 8000 },
    });
    expect(emulateArgs({ spec: vllm, deployment: dep })).toEqual([
      "--role",
      "both",
      "--port",
      "8000",
      "--host",
      "0.0.0.0",
      "--sku",
      "h100",
      "--model",
      "meta-llama/Llama-3.1-8B-Instruct",
      "--precision",
      "fp8",
      "--tp",
      "4",
      "--ep",
      "4",
    ]);
    const router = processSpec({
      name: "router",
      role: "router",
      argv: [
        "python",
        "-m",
        "sglang_router.launch_router",
        "--pd-disaggregation",
        "--prefill",
        "http://10.0.0.1:30001",
        "9001",
        "--decode",
        "http://10.0.0.2:30002",
        "--port",
        "30000",
      ],
      ports: { http: 30000 },
    });
    expect(flagValues(router.argv, "--prefill")).toEqual(["http://10.0.0.1:30001", "9001"]);
    const a = emulateArgs({ spec: router, deployment: dep });
    expect(a).toEqual([
      "--role",
      "router",
      "--port",
      "30000",
      "--host",
      "0.0.0.0",
      "--sku",
      "h100",
      "--model",
      "meta-llama/Llama-3.1-8B-Instruct",
      "--precision",
      "fp8",
      "--prefill",
      "http://10.0.0.1:30001",
      "--decode",
      "http://10.0.0.2:30002",
    ]);
  });

  it("maps an aggregated sglang router's --worker-urls to the emulated frontend's workers", () => {
    const dep = makeDeployment({ framework: "sglang", tp: 4 });
    const router = processSpec({
      name: "router",
      role: "router",
      argv: [
        "python",
        "-m",
        "sglang_router.launch_router",
        "--worker-urls",
        "http://10.0.0.1:30001",
        "http://10.0.0.2:30001",
        "--host",
        "0.0.0.0",
        "--port",
        "30000",
      ],
      ports: { http: 30000 },
    });
    const a = emulateArgs({ spec: router, deployment: dep });
    expect(a.slice(a.indexOf("--worker"))).toEqual([
      "--worker",
      "http://10.0.0.1:30001",
      "--worker",
      "http://10.0.0.2:30001",
    ]);
  });

  it("a frontend without URLs in its argv finds the workers in the plan", () => {
    const mk = (name: string, role: "prefill" | "decode", port: number) =>
      processSpec({ name, role, argv: ["x"], ports: { http: port } });
    const plan = {
      framework: "dynamo-sglang",
      nodes: [
        {
          rank: 0,
          hostname: "a",
          ip: "10.0.0.1",
          processes: [mk("prefill-0-rank0", "prefill", 30001), mk("decode-0-rank0", "decode", 30002)],
        },
        {
          rank: 1,
          hostname: "b",
          ip: "10.0.0.2",
          processes: [mk("decode-0-rank1", "decode", 30002), mk("decode-1-rank0", "decode", 30003)],
        },
      ],
      endpoint: { baseUrl: "http://10.0.0.1:8000", model: "m", api: "completions" as const },
      gangHealth: [],
      notes: [],
    };
    expect(workerUrls(plan, "decode")).toEqual(["http://10.0.0.1:30002", "http://10.0.0.2:30003"]);
  });
});

describe("process launcher", () => {
  it("streams lines, writes plan files, passes env and cwd, and stops the group", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bf-proc-"));
    const lines: string[] = [];
    const ctx: LaunchContext = {
      attemptId: "a",
      deployment: makeDeployment(),
      vendor: "nvidia",
      attemptDir: dir,
      onLine: (p, s, l) => lines.push(`${p}/${s}: ${l}`),
    };
    const spec = processSpec({
      name: "echo",
      argv: ["sh", "-c", 'cat conf/x.yaml; echo "v=$BF_TEST_VAR" >&2; pwd; exec sleep 60'],
      env: { BF_TEST_VAR: "42" },
      files: [{ path: "conf/x.yaml", content: "hello: world\n" }],
      cwd: dir,
    });
    const l = new ProcessLauncher();
    const p = await l.start(spec, ctx);
    const deadline = Date.now() + 5000;
    while (lines.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(lines).toEqual(
      expect.arrayContaining(["echo/stdout: hello: world", "echo/stderr: v=42", `echo/stdout: ${dir}`]),
    );
    expect(readFileSync(join(dir, "conf/x.yaml"), "utf8")).toBe("hello: world\n");
    await l.stop(p, 1000);
    expect(p.exit).toEqual({ code: null, signal: "SIGTERM" });
    await expect(l.start(processSpec({ name: "nope", argv: ["/nonexistent/engine"] }), ctx)).rejects.toThrow(
      /cannot start nope/,
    );
    // one node of an MPI job spanning nodes needs srun: refused, not retryable, nothing started
    const mpi = processSpec({
      name: "trt-1",
      argv: ["sh", "-c", "echo started"],
      mpi: { job: "ctx-0", nodes: 2, nodeIndex: 1, tasksPerNode: 4 },
    });
    const err = await l.start(mpi, ctx).catch((e) => e);
    expect(err.message).toMatch(
      /trt-1 is node 2 of MPI job ctx-0 spanning 2 nodes: the process launcher cannot start it/,
    );
    expect(err.retryable).toBe(false);
    expect(lines.some((x) => x.includes("echo started"))).toBe(false);
    // a lab script (script mode) needs its container: refused, not retryable, nothing started
    const script = processSpec({
      name: "lab-script-c4",
      argv: ["bash", "benchmarks/single_node/fixed_seq_len/x.sh"],
      kind: "lab-script",
    });
    const refused = await l.start(script, ctx).catch((e) => e);
    expect(refused.message).toBe(
      "process lab-script-c4 runs the lab's script benchmarks/single_node/fixed_seq_len/x.sh (script mode): the process launcher cannot start it (use --launcher docker)",
    );
    expect(refused.retryable).toBe(false);
  });
});
