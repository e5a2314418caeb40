/**
 * Starts the fixture server (fixture-server.ts) as a separate Node process, so that the server's
 * work does not share the client's event loop; used by the timing tests and bench/load.ts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface FixtureProcess {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

// From source the server is run through tsx; in a bundle (bench/bundle.sh) it is the sibling
// fixture-server.mjs.
const FROM_SOURCE = import.meta.url.endsWith(".ts");
const SCRIPT = fileURLToPath(new URL(FROM_SOURCE ? "./fixture-server.ts" : "./fixture-server.mjs", import.meta.url));
const NODE_ARGS = FROM_SOURCE ? ["--conditions=source", "--import", "tsx", SCRIPT] : [SCRIPT];

/** args: fixture-server CLI flags, e.g. ["--ttft-ms", "20", "--itl-ms", "5"] */
export function spawnFixture(args: string[], timeoutMs = 20_000): Promise<FixtureProcess> {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 3000).unref();
    });
  return new Promise<FixtureProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`fixture server did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl < 0) return;
      clearTimeout(timer);
      const { port, url } = JSON.parse(out.slice(0, nl)) as { port: number; url: string };
      resolve({ url, port, child, stop });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`fixture server exited with ${code}: ${stderr}`));
    });
  });
}
