/**
 * `emulated` launcher: runs the emulated engine (`benchfleet emulate …`) in place of the engine
 * the plan names, with the role, port and parallelism derived from the plan's ProcessSpec.
 * Infra processes (etcd, nats) become plain TCP listeners on their ports so tcp health checks and
 * clients still find them. Processes are real children in their own process groups.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { LaunchPlan, ProcessSpec } from "@benchfleet/shared";
import { emulateArgs, emulatedRole } from "./emulated-args.js";
import type { LaunchContext, Launcher, RunningProcess } from "./launcher.js";
import { type SpawnSpec, spawnGrouped } from "./process.js";
import { killTree } from "./process-group.js";

export interface EmulatedLauncherOptions {
  /** command that runs `benchfleet emulate` (default: this repo's CLI through tsx) */
  command?: string[];
  /** extra args for every emulated engine (e.g. `--time-scale 10`, faults) */
  extraArgs?: string[];
  /** the launch plan being run (routers find their workers in it) */
  plan?: () => LaunchPlan | undefined;
  host?: string;
}

export function defaultEmulateCommand(): string[] {
  const cli = fileURLToPath(new URL("../../../controller/src/cli/main.ts", import.meta.url));
  return [process.execPath, "--conditions=source", "--import", import.meta.resolve("tsx"), cli, "emulate"];
}

const INFRA_SCRIPT = `
const net = require("node:net");
const [host, ...ports] = process.argv.slice(1);
for (const p of ports.map(Number)) net.createServer((s) => s.on("error", () => {}).end()).listen(p, host, () => console.log("infra listening on " + p));
process.on("SIGTERM", () => process.exit(0));
`;

/** what runs in place of a plan's process: the emulated engine, or a TCP listener for infra */
export function emulatedCommand(spec: ProcessSpec, ctx: LaunchContext, o: EmulatedLauncherOptions): SpawnSpec {
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
  const args = [
    ...cmd.slice(1),
    ...emulateArgs({ spec, deployment: ctx.deployment, plan: o.plan?.(), host: o.host }),
    ...(o.extraArgs ?? []),
  ];
  return { name: spec.name, file: cmd[0], args, env: { BENCHFLEET_EMULATED: "1" }, cwd: ctx.attemptDir };
}

export class EmulatedLauncher implements Launcher {
  readonly kind = "emulated" as const;

  constructor(private readonly o: EmulatedLauncherOptions = {}) {}

  async start(spec: ProcessSpec, ctx: LaunchContext): Promise<RunningProcess> {
    mkdirSync(ctx.attemptDir, { recursive: true });
    return spawnGrouped(emulatedCommand(spec, ctx, this.o), ctx);
  }

  async stop(proc: RunningProcess, graceMs: number): Promise<void> {
    if (proc.pid !== undefined) await killTree(proc.pid, graceMs);
    await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 2000))]);
  }
}
