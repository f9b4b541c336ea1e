/**
 * Partitioning boxes into separately searched trees.
 *
 * Mode 'auto' (the default) first tries ONE tree under two budgets: a size
 * cap (`singleTreeBudget` leaf records, ~4-6 MB of table) and a time cap
 * counted in work, not on a clock (`singleTreeWork`: boxes examined over all
 * nodes, ~0.2-0.3 s of building), so an abandoned attempt costs a bounded,
 * deterministic fraction of a second whatever the rule set. One tree means
 * one walk per packet, the fastest when it fits (all 1K ClassBench sets,
 * acl1_10K). When either budget is exceeded the boxes are split as below.
 *
 * One decision tree over a wildcard-heavy list replicates rules without bound:
 * fw1_10K has 5,102 rules with any source and 2,200 with any destination, and
 * cutting either address copies the other kind into every leaf (one tree:
 * 204 MB, 18 s to build). As in CutSplit, rules are split by which address
 * field is "small" (its prefix is at least `prefixBits` longer than the
 * shortest prefix any box of the list has in that field: with a wildcard
 * rule in the list, a prefix of /16 or more in IPv4; in a list whose rules
 * all sit inside 2001:db8::/32, /48 or more):
 *   part R: the remote (packet source for ingress) is small;
 *   part L: the remote is large, the local side is small;
 *   part X: both are large (cut on ports and protocol).
 * Each part's tree cuts what discriminates it, so replication stays low. Parts
 * with fewer than `mergeBelow` boxes are merged into X. The matcher visits the
 * trees by ascending minimum position and stops when the best match so far
 * precedes the next tree's first rule.
 */
import type { BoxSet } from './boxes.js';

export interface PartitionOptions {
  /** 'auto': one tree if it fits `singleTreeBudget`, else 'split'; 'split': R/L/X as above; 'none': one tree. */
  mode: 'auto' | 'split' | 'none';
  /** 'auto': most leaf records one tree may have (a size cap). */
  singleTreeBudget: number;
  /** 'auto': most boxes the single-tree attempt may examine (a deterministic time cap, see TreeOptions.workBudget). */
  singleTreeWork: number;
  /** A field is small when its prefix is at least this much longer than the list's shortest one. */
  prefixBits: number;
  /** Parts smaller than this are merged into the last part. */
  mergeBelow: number;
}

export const DEFAULT_PARTITION_OPTIONS: PartitionOptions = { mode: 'auto', singleTreeBudget: 131072, singleTreeWork: 393216, prefixBits: 16, mergeBelow: 16 };

/** Parts as box-index lists sorted by position; every box is in exactly one part. */
export function partitionBoxes(boxes: BoxSet, opts: Pick<PartitionOptions, 'mode' | 'prefixBits' | 'mergeBelow'>): Int32Array[] {
  const { n, K, lo, hi, family } = boxes;
  if (opts.mode === 'none' || n === 0) return [new Int32Array(n).map((_, i) => i)];
  const words = family === 4 ? 1 : 4;
  // Fixed leading bits of each box's remote and local address.
  const fixed = (b: number, first: number): number => {
    let bits = 0;
    for (let w = 0; w < words; w++) {
      const span = hi[b * K + first + w]! - lo[b * K + first + w]! + 1;
      if (span === 1) { bits += 32; continue; }
      return bits + 32 - Math.ceil(Math.log2(span));
    }
    return bits;
  };
  const rBits = new Int32Array(n);
  const lBits = new Int32Array(n);
  let rBase = Infinity;
  let lBase = Infinity;
  for (let b = 0; b < n; b++) {
    rBits[b] = fixed(b, 0);
    lBits[b] = fixed(b, words);
    if (rBits[b]! < rBase) rBase = rBits[b]!;
    if (lBits[b]! < lBase) lBase = lBits[b]!;
  }
  const parts: number[][] = [[], [], []];
  for (let b = 0; b < n; b++) {
    const rSmall = rBits[b]! >= rBase + opts.prefixBits;
    const lSmall = lBits[b]! >= lBase + opts.prefixBits;
    parts[rSmall ? 0 : lSmall ? 1 : 2]!.push(b);
  }
  const out: number[][] = [];
  const rest: number[] = [];
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p]!;
    if (part.length === 0) continue;
    if (part.length < opts.mergeBelow && p < parts.length - 1) rest.push(...part);
    else if (p === parts.length - 1) rest.push(...part);
    else out.push(part);
  }
  if (rest.length > 0) out.push(rest.sort((a, b) => a - b));
  return out.map((p) => Int32Array.from(p));
}
