import type { ProcessSpec } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import {
  allocationJobName,
  enrootImage,
  gpusOfGres,
  markedJobs,
  nodeUnusable,
  parseSbatchJobId,
  parseScontrolNodes,
  parseSinfoNodes,
  parseSqueueJob,
  type StepOptions,
  sbatchArgs,
  srunStepArgs,
} from "./slurm-args.js";

const spec = (o: Partial<ProcessSpec> = {}): ProcessSpec => ({
  name: "prefill-0-rank0",
  role: "prefill",
  image: "nvcr.io/nvidia/ai-dynamo/sglang-runtime:0.5.1",
  argv: ["python3", "-m", "sglang.launch_server", "--tp", "8"],
  env: { HF_TOKEN: "secret", CUDA_VISIBLE_DEVICES: "0,1,2,3,4,5,6,7" },
  mounts: [{ host: "/models", container: "/models", readOnly: true }],
  cwd: "/workspace",
  files: [{ path: "conf/extra.yaml", content: "a: 1\n" }],
  gpus: [0, 1, 2, 3, 4, 5, 6, 7],
  ports: { http: 30000 },
  health: [],
  stage: 1,
  ownSession: false,
  ...o,
});

describe("sbatch allocation", () => {
  it("whole nodes, named and marked for the attempt, time-limited, exclusions sorted, operator flags last", () => {
    expect(
      sbatchArgs({
        attemptId: "sw1.abc.a2-7",
        partition: "gpu",
        nodes: 2,
        timeMinutes: 90.2,
        output: "/shared/bf/att/slurm-%j.out",
        account: "bench",
        gpusPerNode: 8,
        exclude: ["node7", "node3"],
        extraArgs: ["--qos=high", "--segment={nodes}"],
        comment: "login-1:abcdef:sw1.abc.a2-7",
      }),
    ).toEqual([
      "--parsable",
      "--job-name=bf-sw1.abc.a2-7",
      "--partition=gpu",
      "--nodes=2",
      "--exclusive",
      "--time=91",
      "--output=/shared/bf/att/slurm-%j.out",
      "--account=bench",
      "--gpus-per-node=8",
      "--exclude=node3,node7",
      "--comment=login-1:abcdef:sw1.abc.a2-7",
      "--qos=high",
      "--segment=2",
      "--wrap",
      "exec sleep infinity",
    ]);
  });

  it("optional flags are left out; a job name keeps to Slurm-safe characters", () => {
    const a = sbatchArgs({
      attemptId: "x y",
      partition: "p",
      nodes: 1,
      timeMinutes: 0,
      output: "o",
      exclude: [],
      extraArgs: [],
    });
    expect(a).toEqual([
      "--parsable",
      "--job-name=bf-x-y",
      "--partition=p",
      "--nodes=1",
      "--exclusive",
      "--time=1",
      "--output=o",
      "--wrap",
      "exec sleep infinity",
    ]);
    expect(allocationJobName("a:b/c")).toBe("bf-a-b-c");
  });
});

/** a bare step on one node */
const bare: StepOptions = { jobId: "1", nodes: ["n1"], container: "none", attemptDir: "/s", cwd: "/c" };

describe("srun job steps", () => {
  it("pyxis: the image in enroot form, mounts including the plan's files, the working dir; env never in argv", () => {
    const a = srunStepArgs(spec(), {
      jobId: "42",
      nodes: ["gpu-a01"],
      container: "pyxis",
      attemptDir: "/shared/att",
      cwd: "/unused",
    });
    expect(a).toEqual([
      "--jobid=42",
      "--job-name=prefill-0-rank0",
      "--nodes=1",
      "--nodelist=gpu-a01",
      "--overlap",
      "--kill-on-bad-exit=1",
      "--export=ALL",
      "--ntasks=1",
      "--container-image=nvcr.io#nvidia/ai-dynamo/sglang-runtime:0.5.1",
      "--container-mounts=/models:/models:ro,/shared/att/files/prefill-0-rank0/conf/extra.yaml:/workspace/conf/extra.yaml:ro",
      "--container-workdir=/workspace",
      "--no-container-mount-home",
      "env",
      "CUDA_VISIBLE_DEVICES=0,1,2,3,4,5,6,7",
      "python3",
      "-m",
      "sglang.launch_server",
      "--tp",
      "8",
    ]);
    expect(a.join(" ")).not.toContain("secret");
  });

  it("bare (no image, or --slurm-container none): runs argv in its working dir", () => {
    const a = srunStepArgs(spec(), {
      jobId: "42",
      nodes: ["n1"],
      container: "none",
      attemptDir: "/s",
      cwd: "/s/procs/p",
    });
    expect(a.filter((x) => x.startsWith("--container"))).toEqual([]);
    expect(a).toContain("--chdir=/s/procs/p");
    expect(a.slice(-7)).toEqual([
      "env",
      "CUDA_VISIBLE_DEVICES=0,1,2,3,4,5,6,7",
      "python3",
      "-m",
      "sglang.launch_server",
      "--tp",
      "8",
    ]);
    // a process without a device selection runs as it is
    const plain = srunStepArgs(spec({ env: { HF_TOKEN: "secret" } }), bare);
    expect(plain).not.toContain("env");
    const amd = srunStepArgs(spec({ env: { HIP_VISIBLE_DEVICES: "4,5,6,7" } }), bare);
    expect(amd).toContain("HIP_VISIBLE_DEVICES=4,5,6,7");
    expect(srunStepArgs(spec({ image: undefined }), { ...bare, container: "pyxis" })).toContain("--chdir=/c");
  });

  it("MPI: one step over the job's nodes with ranks per node and the MPI plugin", () => {
    const a = srunStepArgs(spec({ image: undefined }), {
      ...bare,
      nodes: ["n1", "n2", "n3"],
      mpi: { tasksPerNode: 4, type: "pmix" },
    });
    expect(a).toContain("--nodes=3");
    expect(a).toContain("--nodelist=n1,n2,n3");
    expect(a).toContain("--ntasks-per-node=4");
    expect(a).toContain("--mpi=pmix");
    expect(a).not.toContain("--ntasks=1");
  });

  it("enroot image names: a registry host is followed by #; hub names, paths and URIs unchanged", () => {
    expect(enrootImage("nvcr.io/nvidia/tensorrt-llm/release:1.2.0")).toBe("nvcr.io#nvidia/tensorrt-llm/release:1.2.0");
    expect(enrootImage("localhost:5000/eng:1")).toBe("localhost:5000#eng:1");
    expect(enrootImage("lmsysorg/sglang:v0.5.16")).toBe("lmsysorg/sglang:v0.5.16");
    expect(enrootImage("rocm/sgl-dev:latest")).toBe("rocm/sgl-dev:latest");
    expect(enrootImage("ubuntu")).toBe("ubuntu");
    expect(enrootImage("/shared/images/sglang.sqsh")).toBe("/shared/images/sglang.sqsh");
    expect(enrootImage("nvcr.io#nvidia/x:1")).toBe("nvcr.io#nvidia/x:1");
    expect(enrootImage("docker://nvcr.io/nvidia/x:1")).toBe("docker://nvcr.io/nvidia/x:1");
  });
});

describe("parsing what Slurm prints", () => {
  it("sbatch --parsable, squeue job lines", () => {
    expect(parseSbatchJobId("4242\n")).toBe("4242");
    expect(parseSbatchJobId("4242;cluster-a\n")).toBe("4242");
    expect(parseSbatchJobId("sbatch: error: Batch job submission failed")).toBeUndefined();
    expect(parseSqueueJob("RUNNING|gpu-a[01-02]|None\n")).toEqual({
      state: "RUNNING",
      nodeList: "gpu-a[01-02]",
      reason: "",
    });
    expect(parseSqueueJob("PENDING||Resources\n")).toEqual({ state: "PENDING", nodeList: "", reason: "Resources" });
    expect(parseSqueueJob("PENDING|(null)|Priority")).toEqual({ state: "PENDING", nodeList: "", reason: "Priority" });
    expect(parseSqueueJob("\n")).toBeUndefined();
  });

  it("GPU counts from Gres strings", () => {
    expect(gpusOfGres("gpu:8")).toBe(8);
    expect(gpusOfGres("gpu:h100:8(S:0-1)")).toBe(8);
    expect(gpusOfGres("gpu:a100:4(S:0),gpu:a100:4(S:1)")).toBe(8);
    expect(gpusOfGres("gpu:mi300x:8,nic:mlx5:8")).toBe(8);
    expect(gpusOfGres("(null)")).toBe(0);
    expect(gpusOfGres("")).toBe(0);
  });

  it("scontrol show node -o: name, address, hostname, GPUs, state", () => {
    const out = [
      "NodeName=gpu-a01 Arch=x86_64 CoresPerSocket=56 CPUAlloc=0 Gres=gpu:h100:8(S:0-1) NodeAddr=10.1.0.11 NodeHostName=gpu-a01.cluster Version=23.11.4 State=IDLE ThreadsPerCore=2",
      "NodeName=gpu-a02 Arch=x86_64 Gres=(null) NodeAddr=gpu-a02 NodeHostName=gpu-a02 State=ALLOCATED+DRAIN",
      "",
    ].join("\n");
    expect(parseScontrolNodes(out)).toEqual([
      { name: "gpu-a01", addr: "10.1.0.11", hostname: "gpu-a01.cluster", gpus: 8, state: "IDLE" },
      { name: "gpu-a02", addr: "gpu-a02", hostname: "gpu-a02", gpus: 0, state: "ALLOCATED+DRAIN" },
    ]);
  });

  it("sinfo -N per node (a node in two partitions listed once); unusable states", () => {
    expect(parseSinfoNodes("n1|gpu:8|idle\nn2|gpu:8|drained*\nn1|gpu:8|idle\n")).toEqual([
      { name: "n1", gpus: 8, state: "idle" },
      { name: "n2", gpus: 8, state: "drained*" },
    ]);
    for (const s of ["down*", "drained", "draining", "fail", "maint", "not_responding", "unknown*", "inval"])
      expect(nodeUnusable(s), s).toBe(true);
    for (const s of ["idle", "mixed", "allocated", "completing", "reserved", "planned", "idle~"])
      expect(nodeUnusable(s), s).toBe(false);
  });

  it("marked jobs: only this agent's prefix, with the attempt", () => {
    const out = "101|login-1:abc:sw.j.a1-1\n102|login-2:abc:sw.j.a1-2\n103|\n104|login-1:abcdef:x\nbad|login-1:abc:y\n";
    expect(markedJobs(out, "login-1:abc:")).toEqual([{ jobId: "101", attemptId: "sw.j.a1-1" }]);
  });
});
