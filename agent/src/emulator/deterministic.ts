/** Deterministic randomness: a seeded PRNG and string hashing, so emulator runs are reproducible. */
import { createHash } from "node:crypto";

/** mulberry32: small, fast, good enough for emulation. Returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform float in [0, 1) derived from the parts' sha256. */
export function hashUnit(...parts: Array<string | number>): number {
  const h = createHash("sha256").update(parts.join("\u0000")).digest();
  return h.readUInt32BE(0) / 4294967296;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
