/**
 * `emulated` launcher: runs the emulated engine (`benchfleet emulate …`) in place of the engine
 * the plan names, with the role, port and parallelism derived from the plan's ProcessSpec.
 * Infra processes (etcd, nats) become plain TCP listeners on their ports so tcp health checks and
 * clients still find them; a `--headless` rank of a worker spanning nodes becomes a process that stays
 * up and serves nothing (rank 0 serves for the worker). Processes are real children in their own process groups.
 */

import { mkdirSync } from "node:fs";
import type { LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { standInCommand } from "../lab-script/stand-in.js";
import { labWorkspaceDir } from "../lab-script/workspace.js";
import { selfCommand } from "../self-command.js";
import { emulateArgs, emulatedRole, gpuEngineUrl } from "./emulated-args.js";
import type { LaunchContext, Launcher, RunningProcess } from "./launcher.js";
import { type SpawnSpec, spawnGrouped } from "./process.js";
import { killTree } from "./process-group.js";

export interface EmulatedLauncherOptions {
  /** command that runs the emulator (default: this package's entry, `main.ts emulate`, through tsx) */
  command?: string[];
  /** extra args for every emulated engine (e.g. `--time-scale 10`, faults) */
  extraArgs?: string[];
  /** the launch plan being run (routers find their workers in it) */
  plan?: () => LaunchPlan | undefined;
  host?: string;
  /** the model's tokenizer directory on this node: the emulated engine counts prompts with it, as a real one */
  tokenizerFor?: (model: string) => string | undefined;
}

export function defaultEmulateCommand(): string[] {
  return selfCommand("emulate");
}

/** infra stand-in: accepts TCP (nats' tcp check) and answers any request with HTTP 200 (etcd's GET /health) */
const INFRA_SCRIPT = `
const net = require("node:net");
const [host, ...ports] = process.argv.slice(1);
const ok = "HTTP/1.1 200 OK\\r\\ncontent-type: application/json\\r\\ncontent-length: 17\\r\\nconnection: close\\r\\n\\r\\n{\\"health\\":\\"true\\"}";
const serve = (s) => { s.on("error", () => {}); s.setTimeout(5000, () => s.destroy()); s.once("data", () => s.end(ok)); };
for (const p of ports.map(Number)) net.createServer(serve).listen(p, host, () => console.log("infra listening on " + p));
process.on("SIGTERM", () => process.exit(0));
`;

/** a headless rank of a worker spanning nodes: up until stopped, serving nothing */
const HEADLESS_SCRIPT = `
console.log("headless rank: serves nothing; its worker's rank 0 serves");
setInterval(() => {}, 1 << 30);
process.on("SIGTERM", () => process.exit(0));
`;

/** what runs in place of a plan's process: the emulated engine, a TCP listener for infra, an idle process for a headless rank */
export function emulatedCommand(spec: ProcessSpec, ctx: LaunchContext, o: EmulatedLauncherOptions): SpawnSpec {
  if (spec.kind === "lab-script") {
    // the lab's script itself, its engine the emulated one and its client benchfleet's (lab-script/stand-in.ts)
    const cmd = o.command ?? defaultEmulateCommand();
    const engine = [...cmd, ...emulateArgs({ spec, deployment: ctx.deployment, host: o.host }), ...(o.extraArgs ?? [])];
    return standInCommand({
      spec,
      host: o.host ?? "0.0.0.0",
      workspace: labWorkspaceDir(ctx.attemptDir),
      engine,
      client: selfCommand("lab-client", "--engine-timing"),
      replay: selfCommand("lab-replay", "--engine-timing"),
      evalCommand: selfCommand("lab-eval", "--emulated"),
    });
  }
  if (emulatedRole(spec) === "headless") {
    return { name: spec.name, file: process.execPath, args: ["-e", HEADLESS_SCRIPT], env: {}, cwd: ctx.attemptDir };
  }
  if (emulatedRole(spec) === "infra") {
    const ports = Object.values(spec.ports).map(String);
    return {
      name: spec.name,
      file: process.execPath,
      args: ["-e", INFRA_SCRIPT, o.host ?? "0.0.0.0", ...ports],
      env: {},
      cwd: ctx.attemptDir,
    };
  }
  const cmd = o.command ?? defaultEmulateCommand();
  const tokenizer = o.tokenizerFor?.(ctx.deployment.model);
  const args = [
    ...cmd.slice(1),
    ...emulateArgs({ spec, deployment: ctx.deployment, plan: o.plan?.(), host: o.host }),
    ...(tokenizer ? ["--tokenizer", tokenizer] : []),
    ...(o.extraArgs ?? []),
  ];
  return { name: spec.name, file: cmd[0], args, env: { BENCHFLEET_EMULATED: "1" }, cwd: ctx.attemptDir };
}

/** an emulated engine running now and the GPUs of this node its process holds */
export interface EmulatedEngineRef {
  name: string;
  gpus: number[];
  /** base URL of the engine whose `/control/state` tells how busy those GPUs are */
  url: string;
}

export class EmulatedLauncher implements Launcher {
  readonly kind = "emulated" as const;
  private readonly live = new Map<RunningProcess, EmulatedEngineRef>();

  constructor(private readonly o: EmulatedLauncherOptions = {}) {}

  async start(spec: ProcessSpec, ctx: LaunchContext): Promise<RunningProcess> {
    mkdirSync(ctx.attemptDir, { recursive: true });
    const proc = await spawnGrouped(emulatedCommand(spec, ctx, this.o), ctx);
    const url = gpuEngineUrl(spec, this.o.plan?.(), this.o.host ?? "127.0.0.1");
    if (url && !proc.exit) {
      this.live.set(proc, { name: spec.name, gpus: [...spec.gpus], url });
      void proc.exited.then(() => this.live.delete(proc));
    }
    return proc;
  }

  /** the engines of this node's processes that hold GPUs, while they run (the emulated GPU power model polls them) */
  engines(): EmulatedEngineRef[] {
    return [...this.live.values()];
  }

  async stop(proc: RunningProcess, graceMs: number): Promise<void> {
    if (proc.pid !== undefined) await killTree(proc.pid, graceMs);
    await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 2000))]);
  }
}
