#!/usr/bin/env node
/**
 * `benchfleet` operator CLI. Each command group lives in its own file under ./commands and
 * registers itself on the program; add new groups to COMMANDS below.
 */
import { ConfigError } from "@benchfleet/shared";
import { Command, CommanderError } from "commander";
import { CliError } from "./cli-error.js";

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

/** Prints what went wrong without a stack trace (set BENCHFLEET_DEBUG=1 to see one). */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode;
  if (process.env.BENCHFLEET_DEBUG) console.error(err);
  if (err instanceof ConfigError || err instanceof CliError) {
    console.error(`error: ${err.message}`);
    return err instanceof CliError ? err.exitCode : 2;
  }
  const msg = err instanceof Error ? err.message : String(err);
  console.error(`error: ${msg}`);
  return 1;
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
