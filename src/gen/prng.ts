/**
 * The generator's only source of randomness: xoshiro128** (Blackman & Vigna,
 * 2018), 32-bit state words, seeded through splitmix32 so that every seed
 * (including 0) gives a well-mixed, non-zero state. Same seed, same stream, on
 * every platform: only 32-bit integer arithmetic (`Math.imul`, `>>> 0`).
 * Nothing here reads a clock or `Math.random`.
 *
 * `fork(label)` derives an independent stream from this one's seed and a
 * label, so that (say) the topology and the traffic draw from different
 * streams and adding a draw to one never shifts the other.
 */
import { ApiUsageError } from '../model/errors.js';

/** splitmix32 step: returns [next state, output]. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) >>> 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  z = (z ^ (z >>> 16)) >>> 0;
  return [s, z];
}

/** FNV-1a over a string's UTF-16 code units (for fork labels). */
function fnv1a(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const TWO_POW_32 = 4294967296;

export class Prng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** The seed words this stream started from (for fork). */
  private readonly seedLo: number;
  private readonly seedHi: number;

  /**
   * `seed`: a safe integer (negative and values above 2^32 are fine; both
   * 32-bit halves are used).
   */
  constructor(seed: number, salt = 0) {
    if (!Number.isSafeInteger(seed)) throw new ApiUsageError(`prng: seed ${seed} is not a safe integer`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    this.seedLo = lo;
    this.seedHi = hi;
    let st = (lo ^ Math.imul(hi, 0x27d4eb2d) ^ salt) >>> 0;
    let out: number;
    [st, out] = splitmix32(st);
    this.s0 = out;
    [st, out] = splitmix32(st ^ hi);
    this.s1 = out;
    [st, out] = splitmix32(st);
    this.s2 = out;
    [st, out] = splitmix32(st ^ salt);
    this.s3 = out;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A stream with the given raw xoshiro128** state (for known-answer tests); not all zero. */
  static fromState(state: readonly [number, number, number, number]): Prng {
    const p = new Prng(0);
    [p.s0, p.s1, p.s2, p.s3] = state.map((x) => x >>> 0) as [number, number, number, number];
    if ((p.s0 | p.s1 | p.s2 | p.s3) === 0) throw new ApiUsageError('prng: the all-zero state is not allowed');
    return p;
  }

  /** An independent stream for `label`, derived from this stream's seed (not its position). */
  fork(label: string): Prng {
    const seed = this.seedHi * TWO_POW_32 + this.seedLo;
    return new Prng(seed > Number.MAX_SAFE_INTEGER ? this.seedLo : seed, fnv1a(label));
  }

  /** Next 32-bit unsigned integer (xoshiro128**). */
  u32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const m = Math.imul(s1, 5);
    const rot = ((m << 7) | (m >>> 25)) >>> 0;
    const result = Math.imul(rot, 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    let n2 = (s2 ^ s0) >>> 0;
    let n3 = (s3 ^ s1) >>> 0;
    const n1 = (s1 ^ n2) >>> 0;
    const n0 = (s0 ^ n3) >>> 0;
    n2 = (n2 ^ t) >>> 0;
    n3 = ((n3 << 11) | (n3 >>> 21)) >>> 0;
    this.s0 = n0;
    this.s1 = n1;
    this.s2 = n2;
    this.s3 = n3;
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.u32() >>> 5; // 27 bits
    const lo = this.u32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n), n ≤ 2^53, without modulo bias (rejection on 32 bits when it fits). */
  int(n: number): number {
    if (!(n >= 1) || !Number.isSafeInteger(n)) throw new ApiUsageError(`prng: int(${n}) needs a positive safe integer`);
    if (n <= TWO_POW_32) {
      const limit = TWO_POW_32 - (TWO_POW_32 % n);
      for (;;) {
        const x = this.u32();
        if (x < limit) return x % n;
      }
    }
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && (p >= 1 || this.float() < p);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new ApiUsageError('prng: pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** Index drawn with the given non-negative weights (at least one positive). */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    if (!(total > 0)) throw new ApiUsageError('prng: weights sum to zero');
    let x = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0 && weights[i]! > 0) return i;
    }
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
    return 0;
  }

  /** Exponentially distributed value with the given mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }

  /** Uniform bigint in [0, 2^bits) (bits ≤ 128). */
  bits(bits: number): bigint {
    let v = 0n;
    let left = bits;
    while (left > 0) {
      const take = Math.min(32, left);
      const x = take === 32 ? this.u32() : this.u32() >>> (32 - take);
      v = (v << BigInt(take)) | BigInt(x);
      left -= take;
    }
    return v;
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
    return items;
  }
}
