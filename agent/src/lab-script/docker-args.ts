/**
 * The `docker run` argv of a lab script, as the lab's docker runners build it
 * (InferenceX `runners/launch_h100-cr.sh` for NVIDIA, `launch_mi325x-tw.sh` for AMD): host network,
 * IPC and privileges, the HF cache and the checkout mounted, `/workspace/` as working directory, the
 * env contract passed by name, `/bin/bash` as entrypoint and the script's path as its argument.
 * benchfleet's differences: the GPUs of the placement instead of the first GPU_COUNT, and the
 * attempt's label and container name, by which the agent stops and reaps what it started.
 */
import type { ProcessSpec } from "@benchfleet/shared";
import { ATTEMPT_LABEL, containerName } from "../launchers/docker.js";
import { LaunchError } from "../launchers/launcher.js";

export interface LabDockerOptions {
  attemptId: string;
  vendor: "nvidia" | "amd";
  /** the attempt's copy of the lab checkout (mounted at /workspace/) */
  workspace: string;
  /** the host's HF hub cache, mounted at the script's HF_HUB_CACHE */
  hfCache?: string;
}

/** the exact argv (without the docker binary) of one run of the script `spec` names */
export function labScriptDockerArgs(spec: ProcessSpec, o: LabDockerOptions): string[] {
  if (!spec.image) throw new LaunchError(`process ${spec.name} has no image: the docker launcher needs one`, false);
  const name = containerName(o.attemptId, spec.name);
  const a = ["run", "--rm", "--network=host", `--name=${name}`, "--label", `${ATTEMPT_LABEL}=${o.attemptId}`];
  if (o.vendor === "nvidia") {
    a.push("--runtime=nvidia", "--gpus", `"device=${spec.gpus.join(",")}"`, "--ipc=host", "--privileged");
    a.push("--shm-size=16g", "--ulimit", "memlock=-1", "--ulimit", "stack=67108864");
  } else {
    a.push("--device=/dev/kfd", "--device=/dev/dri", "--group-add", "video", "--group-add", "render");
    a.push("--ipc=host", "--privileged", "--shm-size=32g", "--ulimit", "memlock=-1", "--ulimit", "stack=67108864");
    a.push("--security-opt", "seccomp=unconfined", "--cap-add=SYS_PTRACE");
  }
  const hfHome = spec.env.HF_HUB_CACHE;
  if (o.hfCache && hfHome) a.push("-v", `${o.hfCache}:${hfHome}`);
  a.push("-v", `${o.workspace}:/workspace/`, "-w", "/workspace/");
  // values travel in the docker client's environment, as the lab's `-e NAME`
  a.push("-e", "HF_TOKEN");
  for (const k of Object.keys(spec.env)) a.push("-e", k);
  if (o.vendor === "amd") a.push("-e", `HIP_VISIBLE_DEVICES=${spec.gpus.join(",")}`);
  a.push("--entrypoint=/bin/bash", spec.image, ...spec.argv.slice(1));
  return a;
}
