#!/usr/bin/env node
/**
 * `benchfleet` operator CLI. Each command group lives in its own file under ./commands and
 * registers itself on the program; add new groups to COMMANDS below.
 */
import { reportError } from "@benchfleet/shared";
import { Command } from "commander";

type Register = (program: Command) => void;

const COMMANDS: Array<() => Promise<{ register: Register }>> = [
  () => import("./commands/plan.js"),
  () => import("./commands/recipe.js"),
  () => import("./commands/emulate.js"),
  () => import("./commands/agent.js"),
  () => import("./commands/controller.js"),
  () => import("./commands/sweep.js"),
  () => import("./commands/jobs.js"),
  () => import("./commands/nodes.js"),
  () => import("./commands/logs.js"),
  () => import("./commands/results.js"),
  () => import("./commands/results-analytics.js"),
  () => import("./commands/events.js"),
  () => import("./commands/up.js"),
  () => import("./commands/load.js"),
  () => import("./commands/eval.js"),
];

export async function buildProgram(): Promise<Command> {
  const program = new Command("benchfleet")
    .description("benchfleet: LLM inference benchmark sweeps across a GPU fleet")
    .showHelpAfterError()
    .exitOverride();
  for (const load of COMMANDS) (await load()).register(program);
  return program;
}

async function main(): Promise<void> {
  try {
    const program = await buildProgram();
    await program.parseAsync(process.argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

await main();
