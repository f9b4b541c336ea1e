/**
 * Capture timestamps: from an interface's raw words to nanoseconds (bigint,
 * wrapped to a signed 64-bit value exactly as the WASM decoder's i64
 * arithmetic does) and to the decimal text with the capture's full precision.
 *
 * The formulas (A, B are the two raw 32-bit words; U = A·2^32 + B unsigned;
 * off = if_tsoffset seconds; every step wraps modulo 2^64):
 * | kind    | nanoseconds                                             | text digits |
 * |---------|---------------------------------------------------------|-------------|
 * | PAIR_US | A·1e9 + B·1000                                          | 6           |
 * | PAIR_NS | A·1e9 + B                                               | 9           |
 * | DEC k≤9 | U·10^(9-k) + off·1e9                                    | k           |
 * | DEC k>9 | U / 10^(k-9) (unsigned) + off·1e9                       | k (from U)  |
 * | BIN k   | (U>>k)·1e9 + ((f>>s)·1e9 >> (k-s)) + off·1e9, f = U mod 2^k, s = max(0, k-34) | 9 |
 * A fraction word B at or above its unit (1e6, 1e9) is carried into the
 * seconds by the same formula (the reader warns SGF_PCAP_BAD_TIMESTAMP).
 */
import { TS_KIND, type TsKind } from './format.js';
import { formatTs } from '../model/packet.js';

export interface TsClock {
  kind: TsKind;
  /** k of 10^-k or 2^-k (pcapng); 6 or 9 for pcap. */
  exp: number;
  /** if_tsoffset, whole seconds. */
  offset: bigint;
}

const POW10: bigint[] = [];
for (let i = 0n, p = 1n; i <= 20n; i++, p *= 10n) POW10.push(p);
const NS = 1_000_000_000n;

/** Raw timestamp words to nanoseconds (signed 64-bit, wrapping like i64). */
export function tsToNs(clock: TsClock, a: number, b: number): bigint {
  const A = BigInt(a >>> 0);
  const B = BigInt(b >>> 0);
  let ns: bigint;
  switch (clock.kind) {
    case TS_KIND.PAIR_US:
      return BigInt.asIntN(64, A * NS + B * 1000n);
    case TS_KIND.PAIR_NS:
      return BigInt.asIntN(64, A * NS + B);
    case TS_KIND.DEC: {
      const U = (A << 32n) | B;
      ns = clock.exp <= 9 ? U * POW10[9 - clock.exp]! : U / POW10[clock.exp - 9]!;
      break;
    }
    default: {
      const U = (A << 32n) | B;
      const k = BigInt(clock.exp);
      const s = clock.exp > 34 ? BigInt(clock.exp - 34) : 0n;
      const f = U & ((1n << k) - 1n);
      ns = (U >> k) * NS + (BigInt.asUintN(64, (f >> s) * NS) >> (k - s));
      break;
    }
  }
  return BigInt.asIntN(64, ns + clock.offset * NS);
}

/** The decimal seconds text of a timestamp with the clock's full precision. */
export function tsText(clock: TsClock, a: number, b: number, ns: bigint): string {
  switch (clock.kind) {
    case TS_KIND.PAIR_US:
      return formatTs(ns, 6);
    case TS_KIND.PAIR_NS:
      return formatTs(ns, 9);
    case TS_KIND.DEC: {
      if (clock.exp <= 9) return formatTs(ns, clock.exp);
      const U = (BigInt(a >>> 0) << 32n) | BigInt(b >>> 0);
      const p = POW10[clock.exp]!;
      const sec = U / p + clock.offset;
      return `${sec}.${(U % p).toString().padStart(clock.exp, '0')}`;
    }
    default:
      return formatTs(ns, 9);
  }
}

/** Is the fraction word of a pcap timestamp out of range (≥ its unit)? */
export function badPairFraction(kind: TsKind, b: number): boolean {
  return (kind === TS_KIND.PAIR_US && b >>> 0 >= 1_000_000) || (kind === TS_KIND.PAIR_NS && b >>> 0 >= 1_000_000_000);
}
