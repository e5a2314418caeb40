/**
 * numpy's legacy global generator (`np.random.seed(s)`, `np.random.randint(low, high, size)`), as
 * the reference lab's client draws its random prompts' lengths and offsets: MT19937 seeded with
 * `init_genrand`, and bounded integers by masked rejection on 32-bit draws (numpy's
 * `random_bounded_uint64_fill` with `use_masked`, ranges below 2^32). Pure.
 */

const N = 624;
const M = 397;

export class NumpyRandomState {
  private readonly mt = new Uint32Array(N);
  private pos = N;

  /** `np.random.seed(seed)` for an integer seed in [0, 2^32) */
  constructor(seed: number) {
    if (!(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff))
      throw new RangeError(`numpy seeds are integers in [0, 2^32) (got ${seed})`);
    let s = seed >>> 0;
    for (let i = 0; i < N; i++) {
      this.mt[i] = s;
      s = (Math.imul(1812433253, s ^ (s >>> 30)) + i + 1) >>> 0;
    }
  }

  nextU32(): number {
    if (this.pos >= N) this.twist();
    let y = this.mt[this.pos++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `randint(low, high, size)`: integers in [low, high), high - low at most 2^32 */
  randint(low: number, high: number, size: number): number[] {
    const rng = high - 1 - low;
    if (!(Number.isInteger(low) && Number.isInteger(high)) || rng < 0)
      throw new RangeError(`randint needs integers low < high (got ${low}, ${high})`);
    if (rng > 0xffffffff) throw new RangeError(`randint ranges above 2^32 are not reproduced (got ${rng + 1})`);
    const out = new Array<number>(size);
    if (rng === 0) return out.fill(low);
    if (rng === 0xffffffff) {
      for (let i = 0; i < size; i++) out[i] = low + this.nextU32();
      return out;
    }
    const mask = maskFor(rng);
    for (let i = 0; i < size; i++) {
      let v: number;
      do v = (this.nextU32() & mask) >>> 0;
      while (v > rng);
      out[i] = low + v;
    }
    return out;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % N]! & 0x7fffffff);
      mt[i] = (mt[(i + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
    }
    this.pos = 0;
  }
}

/** the smallest 2^k - 1 at least `rng` */
function maskFor(rng: number): number {
  let mask = rng;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}
