/**
 * The emulated engine's prefix cache (pure): the prompt is cut into blocks of `blockTokens`
 * tokens, each named by a hash chained over every token before it (vLLM's block hashes), so a
 * block matches only when the whole prefix up to it matches. Only full blocks are cached.
 *
 * Two tiers, each least-recently-used: the GPU tier (`gpuBlocks`, the KV cache) and an optional
 * host-DRAM tier (`dramBlocks`, the KV-offload budget). A block evicted from the GPU tier moves to
 * DRAM; one evicted from DRAM is gone. A lookup walks the prompt's blocks from the start while
 * they are cached in either tier: blocks found on the GPU are reused as they are, blocks found in
 * DRAM are loaded back (and cost transfer time); the first block in neither ends the match. Storing a prompt
 * puts all its blocks on the GPU as the most recently used.
 */

export interface PrefixMatch {
  /** prompt blocks, in order */
  blocks: number;
  /** blocks of the matched prefix found on the GPU */
  gpuBlocks: number;
  /** blocks of the matched prefix found in host DRAM (loaded back) */
  dramBlocks: number;
}

/** FNV-1a over a token's text */
function hashWord(s: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Chained hash of each full block of the token stream: texts split into words, or token ids. */
export function blockHashes(prompt: readonly string[] | readonly number[], blockTokens: number): number[] {
  const out: number[] = [];
  // two 32-bit lanes make a 53-bit block name (collisions are negligible at any cache size)
  let a = 0x9e3779b9;
  let b = 0x85ebca6b;
  let n = 0;
  const add = (t: number) => {
    a = Math.imul(a ^ t, 0x01000193) >>> 0;
    b = Math.imul((b + t) ^ (b >>> 13), 0x5bd1e995) >>> 0;
    if (++n === blockTokens) {
      out.push((a & 0x1fffff) * 0x100000000 + b);
      n = 0;
    }
  };
  for (const part of prompt) {
    if (typeof part === "number") {
      add(part >>> 0);
      continue;
    }
    const re = /\S+/g;
    for (let m = re.exec(part); m; m = re.exec(part)) add(hashWord(part, m.index, m.index + m[0].length));
  }
  return out;
}

/** An LRU set of block names with a capacity; `add` returns what it evicted. */
class LruBlocks {
  private readonly set = new Set<number>();
  constructor(readonly capacity: number) {}

  has(h: number): boolean {
    return this.set.has(h);
  }

  delete(h: number): boolean {
    return this.set.delete(h);
  }

  get size(): number {
    return this.set.size;
  }

  add(h: number, evicted: number[]): void {
    if (this.capacity <= 0) {
      evicted.push(h);
      return;
    }
    this.set.delete(h);
    this.set.add(h);
    while (this.set.size > this.capacity) {
      const oldest = this.set.values().next().value as number;
      this.set.delete(oldest);
      evicted.push(oldest);
    }
  }
}

export class PrefixCache {
  private readonly gpu: LruBlocks;
  private readonly dram: LruBlocks;

  constructor(
    readonly blockTokens: number,
    gpuBlocks: number,
    dramBlocks: number,
  ) {
    if (!(Number.isInteger(blockTokens) && blockTokens >= 1))
      throw new RangeError(`prefix block size must be a positive integer (got ${blockTokens})`);
    this.gpu = new LruBlocks(Math.max(0, Math.floor(gpuBlocks)));
    this.dram = new LruBlocks(Math.max(0, Math.floor(dramBlocks)));
  }

  /** blocks held on the GPU and in DRAM */
  get sizes(): { gpu: number; dram: number } {
    return { gpu: this.gpu.size, dram: this.dram.size };
  }

  match(hashes: readonly number[]): PrefixMatch {
    let gpuBlocks = 0;
    let dramBlocks = 0;
    for (const h of hashes) {
      if (this.gpu.has(h)) gpuBlocks++;
      else if (this.dram.has(h)) dramBlocks++;
      else break;
    }
    return { blocks: hashes.length, gpuBlocks, dramBlocks };
  }

  /** the prompt's blocks are now on the GPU, most recently used; what the GPU evicts goes to DRAM */
  store(hashes: readonly number[]): void {
    const fromGpu: number[] = [];
    for (const h of hashes) {
      this.dram.delete(h);
      this.gpu.add(h, fromGpu);
    }
    const dropped: number[] = [];
    for (const h of fromGpu) this.dram.add(h, dropped);
  }
}
