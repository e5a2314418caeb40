/** `benchfleet agent discover | start`: the agent's own commands (agent/src/main.ts) under one group. */
import { registerAgentCommands } from "@benchfleet/agent";
import type { Command } from "commander";

export function register(program: Command): void {
  const agent = program
    .command("agent")
    .description("the node agent: discovery and the process that runs benchmark attempts");
  registerAgentCommands(agent);
}
