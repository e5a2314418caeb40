/**
 * `process` launcher: runs the plan's argv bare with execa, in its own process group (setsid),
 * env and cwd from the plan, stdout/stderr streamed line by line. Stop kills that group only.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import type { ProcessSpec } from "@benchfleet/shared";
import { execa } from "execa";
import { LineSplitter } from "../telemetry/line-splitter.js";
import {
  type ExitInfo,
  type LaunchContext,
  LaunchError,
  type Launcher,
  type RunningProcess,
  refuseLabScript,
  refuseMpi,
} from "./launcher.js";
import { killTree } from "./process-group.js";

export interface SpawnSpec {
  name: string;
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

const TAIL = 50;

/** writes the files a spec asks for; relative paths land under `base` */
export function writePlanFiles(spec: ProcessSpec, base: string): void {
  for (const f of spec.files) {
    const path = isAbsolute(f.path) ? f.path : join(base, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content);
  }
}

/** spawns in a new process group and streams its lines; shared by the process, docker and emulated launchers */
export async function spawnGrouped(s: SpawnSpec, ctx: LaunchContext, handlePrefix = "pgid"): Promise<RunningProcess> {
  const tail: string[] = [];
  const push = (stream: "stdout" | "stderr", line: string) => {
    tail.push(line);
    if (tail.length > TAIL) tail.shift();
    ctx.onLine(s.name, stream, line);
  };
  const child = execa(s.file, s.args, {
    env: { ...s.env, ...ctx.env },
    extendEnv: true,
    cwd: s.cwd,
    detached: true,
    cleanup: false,
    reject: false,
    buffer: false,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  for (const stream of ["stdout", "stderr"] as const) {
    child[stream]?.on("data", (c: Buffer) => {
      for (const l of splitters[stream].push(c)) push(stream, l);
    });
    child[stream]?.on("end", () => {
      for (const l of splitters[stream].flush()) push(stream, l);
    });
  }
  const spawned = await new Promise<{ ok: true } | { ok: false; error: string }>((resolve) => {
    child.once("spawn", () => resolve({ ok: true }));
    child.once("error", (e) => resolve({ ok: false, error: e.message }));
  });
  if (!spawned.ok) {
    await child.catch(() => undefined);
    throw new LaunchError(`cannot start ${s.name} (${s.file}): ${spawned.error}`, false);
  }
  const proc: RunningProcess = {
    name: s.name,
    pid: child.pid,
    handle: `${handlePrefix} ${child.pid}`,
    exit: undefined,
    exited: child.then((r) => {
      const info: ExitInfo = { code: r.exitCode ?? null, signal: r.signal ?? null };
      proc.exit = info;
      return info;
    }),
    tail: () => [...tail],
  };
  return proc;
}

export class ProcessLauncher implements Launcher {
  readonly kind = "process" as const;

  async start(spec: ProcessSpec, ctx: LaunchContext): Promise<RunningProcess> {
    refuseMpi(spec, this.kind);
    refuseLabScript(spec, this.kind);
    const cwd = spec.cwd ?? ctx.attemptDir;
    mkdirSync(cwd, { recursive: true });
    writePlanFiles(spec, cwd);
    return spawnGrouped({ name: spec.name, file: spec.argv[0], args: spec.argv.slice(1), env: spec.env, cwd }, ctx);
  }

  async stop(proc: RunningProcess, graceMs: number): Promise<void> {
    if (proc.pid !== undefined) await killTree(proc.pid, graceMs);
    await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 2000))]);
  }
}
