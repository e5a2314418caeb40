/** The docker command of a lab script, argument by argument, against the lab's docker runners. */
import type { ProcessSpec } from "@benchfleet/shared";
import { describe, expect, it } from "vitest";
import { labScriptDockerArgs } from "./docker-args.js";

const spec: ProcessSpec = {
  name: "lab-script-c16",
  role: "worker",
  kind: "lab-script",
  image: "lmsysorg/sglang:v0.5.16",
  argv: ["bash", "benchmarks/single_node/fixed_seq_len/dsr1_fp8_h100.sh"],
  env: { HF_HUB_CACHE: "/mnt/hf_hub_cache/", MODEL: "deepseek-ai/DeepSeek-R1-0528", TP: "2", CONC: "16" },
  mounts: [],
  cwd: "/workspace/",
  files: [],
  gpus: [2, 3],
  ports: { http: 20480 },
  health: [],
  stage: 0,
  ownSession: true,
};

describe("lab script docker command", () => {
  it("NVIDIA: launch_h100-cr.sh's flags, the placement's GPUs, the checkout at /workspace/", () => {
    expect(
      labScriptDockerArgs(spec, {
        attemptId: "a1",
        vendor: "nvidia",
        workspace: "/data/a1/lab-workspace",
        hfCache: "/hf",
      }),
    ).toEqual([
      "run",
      "--rm",
      "--network=host",
      "--name=bf-a1-lab-script-c16",
      "--label",
      "benchfleet.attempt=a1",
      "--runtime=nvidia",
      "--gpus",
      '"device=2,3"',
      "--ipc=host",
      "--privileged",
      "--shm-size=16g",
      "--ulimit",
      "memlock=-1",
      "--ulimit",
      "stack=67108864",
      "-v",
      "/hf:/mnt/hf_hub_cache/",
      "-v",
      "/data/a1/lab-workspace:/workspace/",
      "-w",
      "/workspace/",
      "-e",
      "HF_TOKEN",
      "-e",
      "HF_HUB_CACHE",
      "-e",
      "MODEL",
      "-e",
      "TP",
      "-e",
      "CONC",
      "--entrypoint=/bin/bash",
      "lmsysorg/sglang:v0.5.16",
      "benchmarks/single_node/fixed_seq_len/dsr1_fp8_h100.sh",
    ]);
  });

  it("AMD: launch_mi325x-tw.sh's devices and security options; no HF mount without a cache dir", () => {
    const a = labScriptDockerArgs(spec, { attemptId: "a1", vendor: "amd", workspace: "/ws" });
    expect(a.slice(6, 26)).toEqual([
      "--device=/dev/kfd",
      "--device=/dev/dri",
      "--group-add",
      "video",
      "--group-add",
      "render",
      "--ipc=host",
      "--privileged",
      "--shm-size=32g",
      "--ulimit",
      "memlock=-1",
      "--ulimit",
      "stack=67108864",
      "--security-opt",
      "seccomp=unconfined",
      "--cap-add=SYS_PTRACE",
      "-v",
      "/ws:/workspace/",
      "-w",
      "/workspace/",
    ]);
    expect(a).toContain("HIP_VISIBLE_DEVICES=2,3");
    expect(a.slice(-3)).toEqual([
      "--entrypoint=/bin/bash",
      "lmsysorg/sglang:v0.5.16",
      "benchmarks/single_node/fixed_seq_len/dsr1_fp8_h100.sh",
    ]);
  });

  it("refuses a spec without an image", () => {
    expect(() =>
      labScriptDockerArgs({ ...spec, image: undefined }, { attemptId: "a", vendor: "nvidia", workspace: "/w" }),
    ).toThrow("process lab-script-c16 has no image: the docker launcher needs one");
  });
});
