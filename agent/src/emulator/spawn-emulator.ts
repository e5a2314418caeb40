/**
 * Runs `benchfleet-agent emulate …` (agent/src/main.ts) as a real child process and waits for its `listening on` line.
 * For tests and tools that need the emulator out of their own event loop.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { selfCommand } from "../self-command.js";

export interface EmulatorProcess {
  child: ChildProcess;
  url: string;
  pid: number;
  /** resolves with the exit code (or signal name) */
  exited: Promise<number | string>;
  stderr: () => string;
  kill(): Promise<void>;
}

export async function spawnEmulator(args: string[], timeoutMs = 20_000): Promise<EmulatorProcess> {
  const [file, ...prefix] = selfCommand("emulate", ...args);
  const child = spawn(file!, prefix, {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  let out = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, sig) => resolve(code ?? sig ?? -1)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator did not start in ${timeoutMs} ms: ${err}`)), timeoutMs);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited (${code}) before listening: ${err.trim()}`));
    });
  });
  return {
    child,
    url,
    pid: child.pid!,
    exited,
    stderr: () => err,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
