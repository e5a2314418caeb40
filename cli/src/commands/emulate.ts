/** `benchfleet emulate`: the agent's emulated engine (`benchfleet-agent emulate`). */
import { registerEmulate } from "@benchfleet/agent";
import type { Command } from "commander";

export function register(program: Command): void {
  registerEmulate(program);
}
