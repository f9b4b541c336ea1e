/**
 * Header space of one hop (one interface, one direction, one address
 * family) as products of intervals, and exact first-match region splitting.
 *
 * A point is a packet as a rule sees it at that hop: (remote address, local
 * address, IP protocol, source port, destination port) — the five fields of
 * SEMANTICS §4's "a rule matches a packet when all of". A box is one inclusive
 * interval per field. Ports only exist for tcp and udp (a rule with ports never
 * matches any other protocol), so every box that constrains a port is built
 * with its protocol interval reduced to exactly 6 or 17 (rules.ts); for any
 * other protocol every box is then full in both port fields and the port
 * values of a point do not matter.
 *
 * Exactness: intervals are bigints on input; `Space` compresses each field to
 * the cells between the distinct endpoints of every box it will ever see
 * (coordinate compression), so the split below works on small integers and
 * is still exact — every cell is uniformly inside or outside every box.
 *
 * `firstMatch` is the region splitting: the region is cut by the first box
 * that overlaps it into the part inside (decided by that box's entry) and up
 * to 2·5 slabs outside, each continued with the later boxes. The pieces it
 * visits are disjoint and cover the region, each with its deciding entry (or
 * none): the same first-match the reference evaluator computes point by point
 * (src/reference/match.ts), region by region. It is the box split of
 * src/compile/tree.ts ("the first box that covers the region ends the list")
 * taken to the end instead of stopping at a leaf size.
 */
import { InternalError, SgfError } from '../model/errors.js';

export const DIM = { REMOTE: 0, LOCAL: 1, PROTO: 2, SPORT: 3, DPORT: 4 } as const;
export const K = 5;
export const DIM_NAMES = ['remote', 'local', 'protocol', 'source port', 'destination port'] as const;

/** An inclusive interval per dimension, on input values (bigint). */
export interface RawBox {
  lo: bigint[];
  hi: bigint[];
}

export function rawBox(lo: bigint[], hi: bigint[]): RawBox {
  return { lo, hi };
}

/** The full range of each dimension for `family`. */
export function fullBounds(family: 4 | 6): [bigint[], bigint[]] {
  const addrMax = family === 4 ? 0xffffffffn : (1n << 128n) - 1n;
  return [[0n, 0n, 0n, 0n, 0n], [addrMax, addrMax, 255n, 65535n, 65535n]];
}

/**
 * Compressed coordinates for a fixed set of boxes. Cell c of dimension d is
 * the input interval [cuts[d][c], cuts[d][c+1] - 1].
 */
export class Space {
  readonly cuts: bigint[][];
  private readonly maps: Map<bigint, number>[];

  constructor(readonly family: 4 | 6, boxes: Iterable<RawBox>) {
    const [flo, fhi] = fullBounds(family);
    const sets: Set<bigint>[] = Array.from({ length: K }, (_, d) => new Set([flo[d]!, fhi[d]! + 1n]));
    for (const b of boxes) {
      for (let d = 0; d < K; d++) {
        sets[d]!.add(b.lo[d]!);
        sets[d]!.add(b.hi[d]! + 1n);
      }
    }
    this.cuts = sets.map((s) => [...s].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    this.maps = this.cuts.map((c) => new Map(c.map((v, i) => [v, i] as const)));
  }

  /** Cells of a raw box, as [lo0, hi0, lo1, hi1, …] (every endpoint must have been registered). */
  cells(b: RawBox): Int32Array {
    const out = new Int32Array(2 * K);
    for (let d = 0; d < K; d++) {
      const l = this.maps[d]!.get(b.lo[d]!);
      const h = this.maps[d]!.get(b.hi[d]! + 1n);
      if (l === undefined || h === undefined) throw new InternalError(`sgfilter analysis: box endpoint not registered in dimension ${DIM_NAMES[d]}`);
      out[2 * d] = l;
      out[2 * d + 1] = h - 1;
    }
    return out;
  }

  /** Input interval of cells [clo, chi] of dimension d. */
  interval(d: number, clo: number, chi: number): [bigint, bigint] {
    return [this.cuts[d]![clo]!, this.cuts[d]![chi + 1]! - 1n];
  }

  /** The whole space as a region. */
  whole(): Int32Array {
    const out = new Int32Array(2 * K);
    for (let d = 0; d < K; d++) out[2 * d + 1] = this.cuts[d]!.length - 2;
    return out;
  }
}

/** Boxes (in cells) in first-match order, each tagged with the entry it belongs to. */
export class BoxList {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly entry: Int32Array;
  readonly n: number;

  constructor(boxes: { cells: Int32Array; entry: number }[]) {
    this.n = boxes.length;
    this.lo = new Int32Array(this.n * K);
    this.hi = new Int32Array(this.n * K);
    this.entry = new Int32Array(this.n);
    boxes.forEach((b, i) => {
      for (let d = 0; d < K; d++) {
        this.lo[i * K + d] = b.cells[2 * d]!;
        this.hi[i * K + d] = b.cells[2 * d + 1]!;
      }
      this.entry[i] = b.entry;
    });
  }
}

/** Does box i of `list` overlap the region? */
function overlaps(list: BoxList, i: number, r: Int32Array): boolean {
  const o = i * K;
  for (let d = 0; d < K; d++) if (list.lo[o + d]! > r[2 * d + 1]! || list.hi[o + d]! < r[2 * d]!) return false;
  return true;
}

export function regionsOverlap(a: Int32Array, b: Int32Array): boolean {
  for (let d = 0; d < K; d++) if (a[2 * d]! > b[2 * d + 1]! || a[2 * d + 1]! < b[2 * d]!) return false;
  return true;
}

export function regionContains(outer: Int32Array, inner: Int32Array): boolean {
  for (let d = 0; d < K; d++) if (outer[2 * d]! > inner[2 * d]! || outer[2 * d + 1]! < inner[2 * d + 1]!) return false;
  return true;
}

export function intersect(a: Int32Array, b: Int32Array): Int32Array | null {
  const out = new Int32Array(2 * K);
  for (let d = 0; d < K; d++) {
    const l = Math.max(a[2 * d]!, b[2 * d]!);
    const h = Math.min(a[2 * d + 1]!, b[2 * d + 1]!);
    if (l > h) return null;
    out[2 * d] = l;
    out[2 * d + 1] = h;
  }
  return out;
}

/**
 * Pieces the splits of one hop may visit in all before they give up: a bound
 * on time and memory. The analyses at the clouds' limits (bench section
 * analysis) stay far below it (no rule there needs 1,000).
 */
export const DEFAULT_SPLIT_BUDGET = 2_000_000;

/** A budget of pieces shared by several splits. */
export interface SplitBudget {
  left: number;
  readonly total: number;
}

export function splitBudget(total = DEFAULT_SPLIT_BUDGET): SplitBudget {
  return { left: total, total };
}

/** Thrown when a split produces more pieces than its budget (the caller reports "not analysed"). */
export class SplitBudgetExceeded extends SgfError {
  readonly code = 'SGF_ANALYSIS_BUDGET_EXCEEDED';
  constructor(readonly budget: number) {
    super(`the region split outgrew its budget of ${budget} pieces`);
  }
}

/**
 * Visit disjoint pieces covering `region`, each with the entry of the first
 * box of `list` (from index `from` on) that contains it, or -1 when none does.
 * Only boxes [from, end) take part. Every piece costs one unit of `budget`
 * (SplitBudgetExceeded when it runs out). `visit` returns true to stop early.
 * Returns true when stopped early.
 */
export function firstMatch(
  list: BoxList,
  region: Int32Array,
  visit: (piece: Int32Array, entry: number, box: number) => boolean,
  from = 0,
  end = list.n,
  budget: SplitBudget = splitBudget(),
): boolean {
  const stack: { r: Int32Array; next: number }[] = [{ r: region, next: from }];
  while (stack.length > 0) {
    const { r, next } = stack.pop()!;
    let i = next;
    while (i < end && !overlaps(list, i, r)) i++;
    if (--budget.left < 0) throw new SplitBudgetExceeded(budget.total);
    if (i >= end) {
      if (visit(r, -1, -1)) return true;
      continue;
    }
    // Inside box i: decided by its entry.
    const o = i * K;
    const inside = new Int32Array(2 * K);
    for (let d = 0; d < K; d++) {
      inside[2 * d] = Math.max(r[2 * d]!, list.lo[o + d]!);
      inside[2 * d + 1] = Math.min(r[2 * d + 1]!, list.hi[o + d]!);
    }
    if (visit(inside, list.entry[i]!, i)) return true;
    // Outside: slabs below and above the box in each dimension in turn.
    const rest = r.slice();
    for (let d = 0; d < K; d++) {
      const bl = list.lo[o + d]!;
      const bh = list.hi[o + d]!;
      if (rest[2 * d]! < bl) {
        const s = rest.slice();
        s[2 * d + 1] = bl - 1;
        stack.push({ r: s, next: i + 1 });
        rest[2 * d] = bl;
      }
      if (rest[2 * d + 1]! > bh) {
        const s = rest.slice();
        s[2 * d] = bh + 1;
        stack.push({ r: s, next: i + 1 });
        rest[2 * d + 1] = bh;
      }
    }
  }
  return false;
}

/** Inclusive ranges sorted and merged where they touch or overlap: [[1,3],[4,9],[20,20]] -> [[1,9],[20,20]]. */
export function mergeRanges(r: readonly [bigint, bigint][]): [bigint, bigint][] {
  const s = [...r].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [l, h] of s) {
    const last = out[out.length - 1];
    if (last && l <= last[1] + 1n) {
      if (h > last[1]) last[1] = h;
    } else out.push([l, h]);
  }
  return out;
}
