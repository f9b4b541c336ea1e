/**
 * The set lookup of one classifier: remote address -> membership bitmap over
 * the sets (group references, address groups) its rules use.
 *
 * The address space is cut into elementary intervals at every member range's
 * start and end+1; each interval gets the class of its membership pattern
 * (intervals with equal patterns share one bitmap). Cost: O(total members)
 * words, never members × rules. A group of 65,536 addresses is ~131K interval
 * starts and two classes.
 */
import type { Family } from '../model/packet.js';
import type { SetDef } from './boxes.js';
import { SETS } from './format.js';
import { Words } from './words.js';

/**
 * Append the set lookup to `out` (word-aligned, 16-byte aligned start);
 * returns its byte offset relative to `base` (the classifier start, in words).
 * Layout: format.ts, "Sets".
 */
export function emitSets(out: Words, base: number, family: Family, sets: readonly SetDef[]): number {
  const M = sets.length;
  const wordsPerClass = Math.max(1, Math.ceil(M / 32));
  // Events: +s at lo, -s at hi+1.
  const limit = family === 4 ? 1n << 32n : 1n << 128n;
  const evPoint: bigint[] = [];
  const evSet: number[] = [];
  sets.forEach((s, si) => {
    for (const [lo, hi] of s.ranges) {
      evPoint.push(lo); evSet.push(si + 1);
      if (hi + 1n < limit) { evPoint.push(hi + 1n); evSet.push(-(si + 1)); }
    }
  });
  const order = evPoint.map((_, i) => i).sort((a, b) => (evPoint[a]! < evPoint[b]! ? -1 : evPoint[a]! > evPoint[b]! ? 1 : 0));
  const count = new Int32Array(M);
  const active = new Set<number>();
  const classes = new Map<string, number>();
  const classBits: number[][] = [];
  const classOf = (key: string, members: number[]): number => {
    let c = classes.get(key);
    if (c === undefined) {
      c = classBits.length;
      classes.set(key, c);
      classBits.push(members);
    }
    return c;
  };
  const starts: bigint[] = [];
  const cls: number[] = [];
  const push = (p: bigint) => {
    const members = [...active].sort((a, b) => a - b);
    const c = classOf(members.join(','), members);
    if (cls.length > 0 && cls[cls.length - 1] === c) return; // merge equal neighbours
    starts.push(p);
    cls.push(c);
  };
  if (order.length === 0 || evPoint[order[0]!]! !== 0n) push(0n);
  for (let k = 0; k < order.length; ) {
    const p = evPoint[order[k]!]!;
    while (k < order.length && evPoint[order[k]!]! === p) {
      const e = evSet[order[k]!]!;
      const s = Math.abs(e) - 1;
      if (e > 0) { if (count[s]++ === 0) active.add(s); }
      else if (--count[s]! === 0) active.delete(s);
      k++;
    }
    push(p);
  }
  out.align(4);
  const at = out.length;
  const head = out.reserve(SETS.SIZE / 4);
  out.set(head + SETS.N_INTERVALS / 4, starts.length);
  out.set(head + SETS.WORDS_PER_CLASS / 4, wordsPerClass);
  // starts
  out.align(4);
  out.set(head + SETS.STARTS_OFF / 4, (out.length - base) * 4);
  for (const s of starts) {
    if (family === 4) out.push(Number(s));
    else {
      // two u64 little-endian: high 64 bits then low 64 bits; each u64 as (low word, high word)
      const hi = s >> 64n;
      const lo = s & 0xffffffffffffffffn;
      out.push(Number(hi & 0xffffffffn)); out.push(Number(hi >> 32n));
      out.push(Number(lo & 0xffffffffn)); out.push(Number(lo >> 32n));
    }
  }
  out.set(head + SETS.CLASS_OFF / 4, (out.length - base) * 4);
  for (const c of cls) out.push(c);
  out.set(head + SETS.BITMAPS_OFF / 4, (out.length - base) * 4);
  for (const members of classBits) {
    const at2 = out.reserve(wordsPerClass);
    for (const s of members) out.set(at2 + (s >>> 5), out.get(at2 + (s >>> 5)) | (1 << (s & 31)));
  }
  return (at - base) * 4;
}
