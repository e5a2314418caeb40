/** Runs the real `benchfleet` CLI as a child process (the same entry `pnpm benchfleet` uses). */
import { type SpawnOptions, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CLI_MAIN = fileURLToPath(new URL("../../cli/src/main.ts", import.meta.url));
/** node's arguments that run the CLI from source */
const CLI_NODE_ARGS = ["--conditions=source", "--import", "tsx", CLI_MAIN];

/** Starts the CLI as a long-running child process (cwd: the repository root unless given). */
export function spawnCli(args: string[], opts: SpawnOptions = {}) {
  return spawn(process.execPath, [...CLI_NODE_ARGS, ...args], { cwd: REPO_ROOT, ...opts });
}

export function runCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; input?: string; timeoutMs?: number } = {},
) {
  const res = spawnSync(process.execPath, [...CLI_NODE_ARGS, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, ...opts.env },
    input: opts.input,
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 60_000,
    maxBuffer: 512 * 1024 * 1024,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** Runs the CLI to its end without blocking this process (use it when the controller runs in this process). */
export function runCliAsync(
  args: string[],
  opts: { env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args, { env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}
