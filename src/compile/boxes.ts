/**
 * Rules -> boxes: the geometric view of a rule list for one address family.
 *
 * A box is one u32 range per key dimension (a dimension is a u32 field of the
 * tuple, named by its byte offset, see format.ts TUPLE) plus an optional set
 * requirement. An IPv6 prefix becomes four 32-bit ranges (exact words before
 * the prefix boundary, one aligned range at it, full words after), so one
 * classifier handles both families. A rule becomes several boxes when it has
 * port lists ("22,25,27" × source ports); all keep the rule's position.
 *
 * Group references and address groups are NOT expanded into their members:
 * the rule's remote dimensions stay full and the box carries the index of a
 * set; the set's members go once into the per-classifier set lookup (sets.ts).
 */
import { prefixMask, type Cidr } from '../model/address.js';
import type { Family } from '../model/packet.js';
import type { PortRange, Rule, TopologyIndex } from '../model/topology.js';
import { TUPLE } from './format.js';

/** Key dimensions (tuple byte offsets) per family. */
export const DIMS_V4 = [TUPLE.REMOTE, TUPLE.LOCAL, TUPLE.SPORT, TUPLE.DPORT, TUPLE.PROTO] as const;
export const DIMS_V6 = [
  TUPLE.REMOTE, TUPLE.REMOTE + 4, TUPLE.REMOTE + 8, TUPLE.REMOTE + 12,
  TUPLE.LOCAL, TUPLE.LOCAL + 4, TUPLE.LOCAL + 8, TUPLE.LOCAL + 12,
  TUPLE.SPORT, TUPLE.DPORT, TUPLE.PROTO,
] as const;

export function dimsOf(family: Family): readonly number[] {
  return family === 4 ? DIMS_V4 : DIMS_V6;
}

const FULL = 0xffffffff;

/** Boxes in struct-of-arrays form, sorted by position. */
export interface BoxSet {
  family: Family;
  /** Tuple byte offset of each dimension. */
  dims: readonly number[];
  K: number;
  n: number;
  /** lo/hi of box b, dimension d at [b*K + d]. */
  lo: Uint32Array;
  hi: Uint32Array;
  pos: Int32Array;
  /** Set index or -1. */
  set: Int32Array;
  /**
   * Every leaf group stores all K dimensions, the covered ones too (the
   * classifier's GROUP_FORM 1, docs/table-format.md): set by compile.ts for
   * IPv4 classifiers without sets.
   */
  allDims?: boolean;
}

/** A set referenced by the rules of one classifier: its members of that family as [lo, hi] ranges. */
export interface SetDef {
  key: string;
  ranges: [bigint, bigint][];
}

/** The u32 words of an address, most significant first (4 for IPv6, 1 for IPv4). */
export function addressWords(family: Family, value: bigint): number[] {
  if (family === 4) return [Number(value & 0xffffffffn)];
  return [0, 1, 2, 3].map((i) => Number((value >> BigInt(96 - 32 * i)) & 0xffffffffn));
}

/** Per-word [lo, hi] ranges of a CIDR block. */
function cidrRanges(c: Cidr): [number, number][] {
  const words = c.family === 4 ? 1 : 4;
  const net = addressWords(c.family, c.network);
  const out: [number, number][] = [];
  for (let w = 0; w < words; w++) {
    const fixed = c.prefix - 32 * w; // bits of this word that are fixed
    if (fixed >= 32) out.push([net[w]!, net[w]!]);
    else if (fixed <= 0) out.push([0, FULL]);
    else {
      const host = (2 ** (32 - fixed)) - 1;
      out.push([net[w]!, net[w]! + host]);
    }
  }
  return out;
}

function cidrBounds(c: Cidr): [bigint, bigint] {
  const bits = c.family === 4 ? 32 : 128;
  const all = (1n << BigInt(bits)) - 1n;
  return [c.network, c.network | (all & ~prefixMask(c.family, c.prefix))];
}

interface BoxBuilder {
  lo: number[];
  hi: number[];
  pos: number[];
  set: number[];
}

/**
 * The boxes of `rules` (already in SEMANTICS §4 order; position = array index)
 * for `family`, and the sets they reference.
 */
export function rulesToBoxes(rules: readonly Rule[], family: Family, index: TopologyIndex): { boxes: BoxSet; sets: SetDef[] } {
  const dims = dimsOf(family);
  const K = dims.length;
  const words = family === 4 ? 1 : 4;
  const b: BoxBuilder = { lo: [], hi: [], pos: [], set: [] };
  const setIndex = new Map<string, number>();
  const sets: SetDef[] = [];
  const setOf = (key: string, make: () => [bigint, bigint][]): number => {
    let i = setIndex.get(key);
    if (i === undefined) {
      const ranges = make();
      i = ranges.length === 0 ? -2 : sets.length; // -2: empty in this family, never matches
      if (i >= 0) sets.push({ key, ranges });
      setIndex.set(key, i);
    }
    return i;
  };
  const sportIdx = dims.indexOf(TUPLE.SPORT);
  const dportIdx = dims.indexOf(TUPLE.DPORT);
  const protoIdx = dims.indexOf(TUPLE.PROTO);

  rules.forEach((rule, pos) => {
    if (rule.ethertype !== 'any' && rule.ethertype !== family) return;
    const lo = new Array<number>(K).fill(0);
    const hi = new Array<number>(K).fill(FULL);
    let set = -1;
    switch (rule.remote.kind) {
      case 'any':
        break;
      case 'cidr': {
        if (rule.remote.cidr.family !== family) return;
        cidrRanges(rule.remote.cidr).forEach(([l, h], w) => { lo[w] = l; hi[w] = h; });
        break;
      }
      case 'group': {
        const gid = rule.remote.group;
        set = setOf(`group:${gid}`, () => {
          const out: [bigint, bigint][] = [];
          for (const iface of index.members.get(gid) ?? []) for (const ip of iface.ips) if (ip.family === family) out.push([ip.value, ip.value]);
          return out;
        });
        break;
      }
      case 'addressGroup': {
        const aid = rule.remote.addressGroup;
        set = setOf(`addressGroup:${aid}`, () =>
          (index.addressGroups.get(aid)?.cidrs ?? []).filter((c) => c.family === family).map(cidrBounds));
        break;
      }
    }
    if (set === -2) return;
    if (rule.local !== null) {
      if (rule.local.family !== family) return;
      cidrRanges(rule.local).forEach(([l, h], w) => { lo[words + w] = l; hi[words + w] = h; });
    }
    if (rule.protocol !== 'all') { lo[protoIdx] = rule.protocol; hi[protoIdx] = rule.protocol; }
    const dports: (PortRange | null)[] = rule.ports ?? [null];
    const sports: (PortRange | null)[] = rule.sourcePorts ?? [null];
    for (const dp of dports) {
      for (const sp of sports) {
        for (let d = 0; d < K; d++) {
          let l = lo[d]!;
          let h = hi[d]!;
          if (d === dportIdx && dp) { l = dp.from; h = dp.to; }
          if (d === sportIdx && sp) { l = sp.from; h = sp.to; }
          b.lo.push(l);
          b.hi.push(h);
        }
        b.pos.push(pos);
        b.set.push(set);
      }
    }
  });
  const n = b.pos.length;
  return {
    boxes: {
      family, dims, K, n,
      lo: Uint32Array.from(b.lo), hi: Uint32Array.from(b.hi),
      pos: Int32Array.from(b.pos), set: Int32Array.from(b.set),
    },
    sets,
  };
}
