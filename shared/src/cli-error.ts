import { ConfigError } from "./config-error.js";

/** An error the CLI prints as one line (no stack) before exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/**
 * Prints what went wrong without a stack trace (set BENCHFLEET_DEBUG=1 to see one) and returns the
 * exit code: 2 for a ConfigError, the CliError's own code, commander's code for a usage error it
 * already printed, 1 otherwise.
 */
export function reportError(err: unknown): number {
  if (isCommanderError(err)) return err.exitCode;
  if (process.env.BENCHFLEET_DEBUG) console.error(err);
  if (err instanceof ConfigError || err instanceof CliError) {
    console.error(`error: ${err.message}`);
    return err instanceof CliError ? err.exitCode : 2;
  }
  const msg = err instanceof Error ? err.message : String(err);
  console.error(`error: ${msg}`);
  return 1;
}

/** commander's CommanderError, recognised by shape so this package need not depend on commander. */
function isCommanderError(err: unknown): err is { exitCode: number } {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: unknown; exitCode?: unknown };
  return typeof e.code === "string" && e.code.startsWith("commander.") && typeof e.exitCode === "number";
}
