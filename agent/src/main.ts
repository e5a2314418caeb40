#!/usr/bin/env node
/**
 * `benchfleet-agent`: the agent's own entry, everything a GPU node runs — `discover` (what this node
 * is), `start` (connect to the controller and run the attempts it assigns) and `emulate` (the emulated
 * engine, which the emulated launcher starts through this entry).
 */
import { reportError } from "@benchfleet/shared";
import { Command } from "commander";
import { registerAgentCommands } from "./commands/agent.js";
import { registerEmulate } from "./commands/emulate.js";
import { registerLabClient } from "./commands/lab-client.js";
import { registerLabEval } from "./commands/lab-eval.js";
import { registerLabReplay } from "./commands/lab-replay.js";

function buildAgentProgram(): Command {
  const program = new Command("benchfleet-agent")
    .description("benchfleet node agent: discovery, the agent process, the emulated engine")
    .showHelpAfterError()
    .exitOverride();
  registerAgentCommands(program);
  registerEmulate(program);
  registerLabClient(program);
  registerLabEval(program);
  registerLabReplay(program);
  return program;
}

try {
  await buildAgentProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err);
}
