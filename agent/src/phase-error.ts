/** A failed attempt phase: the reason the controller shows and whether another try may succeed. */
import type { Phase } from "@benchfleet/shared";

export class PhaseError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly phase?: Phase,
  ) {
    super(message);
    this.name = "PhaseError";
  }
}

/** the attempt was cancelled (controller cancel, agent shutdown) */
export class CancelledError extends Error {
  constructor(
    readonly reason: string,
    /** an agent shutdown is reported as a retryable failure, a controller cancel as cancelled */
    readonly asFailure = false,
  ) {
    super(reason);
    this.name = "CancelledError";
  }
}

/** Classifies an error thrown in a phase: typed errors carry their own flag; unknown errors are retryable. */
export function toPhaseError(e: unknown, phase: Phase): PhaseError {
  if (e instanceof PhaseError) return e;
  const err = e as { message?: string; retryable?: unknown; name?: string };
  const msg = err?.message ?? String(e);
  if (typeof err?.retryable === "boolean") return new PhaseError(msg, err.retryable, phase);
  return new PhaseError(msg, true, phase);
}
