/** Deterministic randomness from string hashing, so emulator runs are reproducible (the seeded PRNG is shared's Rng). */
import { createHash } from "node:crypto";

/** Uniform float in [0, 1) derived from the parts' sha256. */
export function hashUnit(...parts: Array<string | number>): number {
  const h = createHash("sha256").update(parts.join("\u0000")).digest();
  return h.readUInt32BE(0) / 4294967296;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
