/**
 * Which block of ports an attempt owns on every node of its gang: PORT_BLOCK ports from a base
 * chosen from the attempt id, below the Linux ephemeral range and never holding an engine's default
 * port. The controller assigns it (Assignment.portBase); the recipes lay their ports out inside it
 * (recipes/src/ports.ts). Pure.
 */

export const PORT_BLOCK = 512;

/** Default ports of the engines and their infra; an attempt's block never contains one. */
export const RESERVED_PORTS: readonly number[] = [2379, 2380, 4222, 5600, 8000, 8080, 8998, 9003, 30000, 50051];

/** Candidate bases: 10240 + k*PORT_BLOCK below the Linux ephemeral range (32768), minus blocks with a reserved port. */
export const PORT_BASES: readonly number[] = (() => {
  const out: number[] = [];
  for (let b = 10240; b + PORT_BLOCK <= 32768; b += PORT_BLOCK) {
    if (!RESERVED_PORTS.some((p) => p >= b && p < b + PORT_BLOCK)) out.push(b);
  }
  return out;
})();

/**
 * The port base of an attempt: deterministic in the attempt id (FNV-1a), so a restarted agent
 * computes the same ports, and consecutive attempts of one job usually land on different blocks.
 */
export function portBaseForAttempt(attemptId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < attemptId.length; i++) {
    h ^= attemptId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return PORT_BASES[h % PORT_BASES.length]!;
}
