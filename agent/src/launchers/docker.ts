/**
 * `docker` launcher: `docker run --rm` in the foreground (its output is the container's), with the
 * vendor's GPU flags, host network and IPC, shared memory, mounts and env, named and labelled with
 * the attempt id. Stop acts on that container name only. Env values travel in the docker client's
 * environment (`-e NAME` without a value), so secrets never appear in a process list.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, posix } from "node:path";
import type { ProcessSpec } from "@benchfleet/shared";
import { execa } from "execa";
import { labScriptDockerArgs } from "../lab-script/docker-args.js";
import { labWorkspaceDir } from "../lab-script/workspace.js";
import { type LaunchContext, LaunchError, type Launcher, type RunningProcess, refuseMpi } from "./launcher.js";
import { spawnGrouped } from "./process.js";

export interface DockerOptions {
  /** docker CLI (default `docker`; `podman` takes the same flags) */
  binary?: string;
  shmSize?: string;
  /** pass /dev/infiniband and IPC_LOCK for RDMA */
  rdma?: boolean;
  /** pull missing images in prepare (default true) */
  pull?: boolean;
  /** the host's HF hub cache, mounted where a lab script expects it (script mode) */
  hfCache?: string;
}

/** container name: `bf-<attempt>-<process>`, restricted to docker's name charset */
export function containerName(attemptId: string, processName: string): string {
  return `bf-${attemptId}-${processName}`.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, 128);
}

export const ATTEMPT_LABEL = "benchfleet.attempt";

/** the `docker rm --force` argv (without the binary) that removes a container, running or not */
export function dockerRemoveArgs(name: string): string[] {
  return ["rm", "--force", name];
}

/** host path where a plan file of this spec is written before it is mounted */
export function hostFilePath(attemptDir: string, spec: ProcessSpec, path: string): string {
  return join(attemptDir, "files", spec.name, path.replace(/^\/+/, ""));
}

/** the exact `docker run` argv (without the binary) for one process */
export function dockerRunArgs(
  spec: ProcessSpec,
  o: { attemptId: string; vendor: "nvidia" | "amd"; attemptDir: string; shmSize?: string; rdma?: boolean },
): string[] {
  if (!spec.image) throw new LaunchError(`process ${spec.name} has no image: the docker launcher needs one`, false);
  const a = ["run", "--rm", "--name", containerName(o.attemptId, spec.name)];
  a.push("--label", `${ATTEMPT_LABEL}=${o.attemptId}`, "--label", `benchfleet.process=${spec.name}`);
  a.push("--network", "host", "--ipc", "host", "--shm-size", o.shmSize ?? "32g");
  a.push("--ulimit", "memlock=-1", "--ulimit", "stack=67108864");
  if (o.vendor === "nvidia") {
    if (spec.gpus.length > 0) a.push("--gpus", `"device=${spec.gpus.join(",")}"`);
  } else {
    a.push("--device", "/dev/kfd", "--device", "/dev/dri", "--group-add", "video");
    a.push("--cap-add", "SYS_PTRACE", "--security-opt", "seccomp=unconfined");
  }
  if (o.rdma) a.push("--device", "/dev/infiniband", "--cap-add", "IPC_LOCK");
  for (const m of spec.mounts) a.push("-v", `${m.host}:${m.container}${m.readOnly ? ":ro" : ""}`);
  for (const f of spec.files) {
    const inContainer = isAbsolute(f.path) ? f.path : posix.join(spec.cwd ?? "/", f.path);
    a.push("-v", `${hostFilePath(o.attemptDir, spec, f.path)}:${inContainer}:ro`);
  }
  for (const k of Object.keys(spec.env)) a.push("-e", k);
  if (
    o.vendor === "amd" &&
    spec.gpus.length > 0 &&
    !("HIP_VISIBLE_DEVICES" in spec.env) &&
    !("ROCR_VISIBLE_DEVICES" in spec.env)
  ) {
    a.push("-e", `HIP_VISIBLE_DEVICES=${spec.gpus.join(",")}`);
  }
  if (spec.cwd) a.push("-w", spec.cwd);
  a.push("--entrypoint", spec.argv[0], spec.image, ...spec.argv.slice(1));
  return a;
}

export class DockerLauncher implements Launcher {
  readonly kind = "docker" as const;
  /** the docker CLI this launcher runs (recorded so a restarted agent removes containers with it) */
  readonly bin: string;

  constructor(private readonly o: DockerOptions = {}) {
    this.bin = o.binary ?? "docker";
  }

  async prepare(specs: ProcessSpec[], _ctx: LaunchContext, signal: AbortSignal): Promise<void> {
    const images = [...new Set(specs.map((s) => s.image).filter((i): i is string => !!i))];
    for (const image of images) {
      const have = await execa(this.bin, ["image", "inspect", "--format", "{{.Id}}", image], {
        reject: false,
        cancelSignal: signal,
      });
      if (have.exitCode === 0) continue;
      if (this.o.pull === false) throw new LaunchError(`image ${image} is not present and pulling is off`, false);
      const pull = await execa(this.bin, ["pull", image], { reject: false, cancelSignal: signal });
      if (pull.exitCode !== 0) {
        const why =
          String(pull.stderr ?? "")
            .split("\n")
            .filter(Boolean)
            .pop() ?? pull.shortMessage;
        throw new LaunchError(`cannot pull ${image}: ${why}`, !/not found|manifest unknown|denied/i.test(why ?? ""));
      }
    }
  }

  async start(spec: ProcessSpec, ctx: LaunchContext): Promise<RunningProcess> {
    refuseMpi(spec, this.kind);
    for (const f of spec.files) {
      const p = hostFilePath(ctx.attemptDir, spec, f.path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.content);
    }
    // a lab script runs as the lab's runner runs it (lab-script/docker-args.ts)
    const args =
      spec.kind === "lab-script"
        ? labScriptDockerArgs(spec, {
            attemptId: ctx.attemptId,
            vendor: ctx.vendor,
            workspace: labWorkspaceDir(ctx.attemptDir),
            ...(this.o.hfCache ? { hfCache: this.o.hfCache } : {}),
          })
        : dockerRunArgs(spec, {
            attemptId: ctx.attemptId,
            vendor: ctx.vendor,
            attemptDir: ctx.attemptDir,
            shmSize: this.o.shmSize,
            rdma: this.o.rdma,
          });
    const proc = await spawnGrouped(
      { name: spec.name, file: this.bin, args, env: spec.env, cwd: ctx.attemptDir },
      ctx,
      "container",
    );
    proc.handle = `container ${containerName(ctx.attemptId, spec.name)}`;
    return proc;
  }

  async stop(proc: RunningProcess, graceMs: number): Promise<void> {
    const name = proc.handle.replace(/^container /, "");
    await execa(this.bin, ["stop", "--time", String(Math.ceil(graceMs / 1000)), name], { reject: false });
    await execa(this.bin, dockerRemoveArgs(name), { reject: false });
    await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 5000))]);
  }
}
