/**
 * The command line that runs this agent's own entry (`emulate`, …): from source, `main.ts` through
 * tsx; from a bundle, the bundle file itself, which holds every command.
 */
import { fileURLToPath } from "node:url";

export function selfCommand(...args: string[]): string[] {
  if (import.meta.url.endsWith(".ts")) {
    const entry = fileURLToPath(new URL("./main.ts", import.meta.url));
    return [process.execPath, "--conditions=source", "--import", import.meta.resolve("tsx"), entry, ...args];
  }
  return [process.execPath, fileURLToPath(import.meta.url), ...args];
}
