/** A commander option parser for a positive integer; a bad value names the option. */
import { InvalidArgumentError } from "commander";

export function positiveIntOption(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got "${v}"`);
    return n;
  };
}
