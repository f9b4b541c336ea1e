/**
 * Decision trees over boxes (binary cuts on rule endpoints), emitted as the
 * flat node and leaf arrays of format.ts.
 *
 * At each node the region is a product of u32 ranges. For every dimension the
 * rules' endpoints clipped to the region are the candidate cuts; the node
 * takes the one whose larger child holds the fewest boxes, boxes copied to
 * both children counting half (TreeOptions.cut 'balance': shallow trees, which
 * the 8-lane lockstep walk pays for at its deepest lane; 'weighted' is
 * HyperSplit's weighted segment balance, the earlier builder). Rules
 * overlapping both halves go to both. A node becomes a leaf when at most
 * `binth` rules remain, or when
 * its first rule covers the whole region (everything after it is shadowed
 * there). Leaves hold groups of four boxes matched at once with SIMD; a group
 * stores only the dimensions the region does not already guarantee.
 *
 * Wildcard-heavy lists replicate badly in a single tree, so the boxes are
 * first partitioned (partition.ts decides); each part gets its own tree and
 * the matcher visits them by ascending minimum position.
 */
import type { BoxSet } from './boxes.js';
import { ApiUsageError, SgfError } from '../model/errors.js';
import { LEAF_ENTRY, LEAF_GROUP, NODE, RECORD, TABLE_ERROR, TableError } from './format.js';
import { Words } from './words.js';

export interface TreeOptions {
  /** Leaf size threshold. */
  binth: number;
  /** Give up cutting below this depth (a leaf of whatever remains). */
  maxDepth: number;
  /** Throw TreeBudgetExceeded once the leaves hold more records than this. */
  recordBudget?: number;
  /**
   * Throw TreeBudgetExceeded once the builder has examined more boxes than
   * this (the sum over nodes of the boxes at the node, each costing a pass
   * over its K dimensions): bounds the time an abandoned attempt costs,
   * deterministically (no clock).
   */
  workBudget?: number;
  /**
   * How a node chooses its cut (default 'balance'): 'balance' takes, over
   * every dimension and every rule endpoint in it, the cut with the fewest
   * boxes in the larger child, counting boxes copied to both children at
   * half weight (cost max(L, R) + (L + R) / 2): the trees get shallower,
   * which the 8-lane lockstep walk pays for at its deepest lane.
   * 'weighted': HyperSplit's weighted segment balance (the dimension with the
   * smallest average weight per segment, cut at the weight median), the
   * builder before this one; kept for ablations (docs/classifier.md).
   */
  cut?: 'balance' | 'weighted';
  /**
   * Cut every node above this depth on down to leaves of one group (4
   * boxes), never below it; `binth` then does not apply (compile.ts sets it
   * to a fixed walk's steps, see fixedWalkSteps).
   */
  fillTo?: number;
  /** compile.ts: false keeps a fixed-walk tree as first built (no second, filled build; for ablations). */
  fill?: boolean;
  /**
   * compile.ts: false keeps a fixed-walk tree at its first build's depth (no
   * trimmed builds, whose deepest levels become leaves), and a single tree
   * that takes the lockstep loop as it is (no trimmed fixed walk, loopTrim);
   * for ablations.
   */
  trim?: boolean;
  /**
   * compile.ts's tail split of a single tree (tailSplit): undefined tries it
   * only when the single tree takes the lockstep loop, true always, false
   * never (docs/classifier.md, "The tail split").
   */
  tail?: boolean;
  /**
   * Cut and shadow within the bounding box of the tree's boxes (default
   * true): the root's region is the boxes' bounding box instead of the whole
   * key space, so no cut is spent on the space outside it (a key there
   * matches no box). Exact because the leaf groups still store every
   * dimension the whole-space region would not guarantee (docs/classifier.md,
   * "Bounding-box roots"). false: the root region is the whole space (the
   * builder before; for ablations).
   */
  clip?: boolean;
  /**
   * Cuts only (compile.ts's single-tree attempt, bld30): the build chooses
   * and records every cut and counts `work` (throwing TreeBudgetExceeded on
   * `workBudget` as usual) but emits no leaf: no groups, no leaf records, no
   * statistics. Its use is as the guide of a real build (build's `guide`),
   * which then takes its cuts instead of choosing them again and gives the
   * tree an unguided build gives; an attempt over the work budget is then
   * given up after the cut choice alone.
   */
  dry?: boolean;
}

/**
 * The 8-lane walk's cost model (docs/classifier.md, "Fixed-step walks"): for
 * a tree whose leaves number `depthCounts[d]` at depth d, the steps every
 * walk should take, or 0 to walk until no lane moves.
 *
 * The lockstep loop takes two steps per exit test and ends when no lane moved
 * in the second, so a group of 8 lanes whose deepest leaf is at depth m costs
 * 2 * ceil((m + 1) / 2) steps, each with 1/12 more for the exit test (16
 * operations per 2 x 8 steps of about 12). A fixed walk of D steps (D = the
 * deepest leaf; a lane at its leaf stays there) costs D steps plus its loop
 * counter (2 operations per 8 x 12). The expectation of m is taken over 8
 * leaves drawn independently, every leaf equally likely (nothing is known of
 * the traffic when the table is built). The fixed walk is chosen when it
 * costs no more.
 */
export function fixedWalkSteps(depthCounts: readonly (number | undefined)[]): number {
  const c = walkCosts(depthCounts);
  return c.fixed <= c.loop ? c.deepest : 0;
}

/**
 * The two walks' costs per lane in steps (the model of fixedWalkSteps):
 * `fixed`, D steps without an exit test, and `loop`, until no lane of 8
 * moved; `deepest` is D (-1 for no leaves).
 */
export function walkCosts(depthCounts: readonly (number | undefined)[]): { fixed: number; loop: number; deepest: number } {
  let total = 0;
  let deepest = -1;
  for (let d = 0; d < depthCounts.length; d++) {
    const c = depthCounts[d] ?? 0;
    total += c;
    if (c > 0) deepest = d;
  }
  if (total === 0 || deepest <= 0) return { fixed: Infinity, loop: deepest < 0 ? 0 : 2, deepest };
  let below = 0;
  let prev = 0;
  let lockstep = 0;
  for (let d = 0; d <= deepest; d++) {
    below += depthCounts[d] ?? 0;
    const f = (below / total) ** LANES; // P(the deepest of the 8 is at most d)
    lockstep += (f - prev) * 2 * Math.ceil((d + 1) / 2);
    prev = f;
  }
  const loop = lockstep * (1 + 16 / (2 * LANES * 12));
  const fixed = deepest * (1 + 2 / (LANES * 12));
  return { fixed, loop, deepest };
}

/** The bounding box of all `boxes` (lo > hi in every dimension when there are none). */
export function boundingBox(boxes: BoxSet): { lo: Uint32Array; hi: Uint32Array } {
  const { K, n, lo, hi } = boxes;
  const bl = new Uint32Array(K).fill(FULL);
  const bh = new Uint32Array(K);
  for (let b = 0; b < n; b++) {
    for (let d = 0; d < K; d++) {
      if (lo[b * K + d]! < bl[d]!) bl[d] = lo[b * K + d]!;
      if (hi[b * K + d]! > bh[d]!) bh[d] = hi[b * K + d]!;
    }
  }
  return { lo: bl, hi: bh };
}

/**
 * Sort the first `n` values of `a` ascending: insertion sort below
 * SORT_SMALL values (most nodes: the builtin's per-call cost dominates
 * there), else the builtin.
 */
function sortSmall(a: Uint32Array, n: number, from = 0): void {
  if (n - from >= SORT_RADIX) { radixSort(a, from, n); return; }
  if (n - from >= SORT_SMALL) { a.subarray(from, n).sort(); return; }
  for (let i = from + 1; i < n; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= from && a[j]! > v) { a[j + 1] = a[j]!; j--; }
    a[j + 1] = v;
  }
}
const SORT_SMALL = 24;
/** From this many values an LSD radix sort (bytes; a byte all values share is skipped), ahead of the builtin (bld30). */
const SORT_RADIX = 128;
let radixTmp: Uint32Array = new Uint32Array(0);
const radixCount = new Int32Array(4 * 256);

/** Sort a[from, n) ascending: 4 passes of 8 bits, the ones where every value has the same byte skipped. */
function radixSort(a: Uint32Array, from: number, n: number): void {
  const m = n - from;
  if (radixTmp.length < m) radixTmp = new Uint32Array(Math.max(m, 2 * radixTmp.length));
  const count = radixCount;
  count.fill(0);
  for (let i = from; i < n; i++) {
    const v = a[i]!;
    count[v & 0xff]!++;
    count[256 + ((v >>> 8) & 0xff)]!++;
    count[512 + ((v >>> 16) & 0xff)]!++;
    count[768 + (v >>> 24)]!++;
  }
  let src: Uint32Array = a.subarray(from, n);
  let dst: Uint32Array = radixTmp.subarray(0, m);
  for (let pass = 0; pass < 4; pass++) {
    const base = pass * 256;
    const shift = pass * 8;
    if (count[base + ((src[0]! >>> shift) & 0xff)]! === m) continue; // one value of this byte: the order stands
    let sum = 0;
    for (let k = 0; k < 256; k++) { const c = count[base + k]!; count[base + k] = sum; sum += c; }
    for (let i = 0; i < m; i++) { const v = src[i]!; dst[count[base + ((v >>> shift) & 0xff)]!++] = v; }
    const t = src; src = dst; dst = t;
  }
  if (src.buffer !== a.buffer) a.set(src, from);
}

/** 2^-d (the weight of a node at depth d), from a table: the same doubles as `2 ** -d`. */
const POW2_NEG = Float64Array.from({ length: 129 }, (_, d) => 2 ** -d);
function pow2neg(d: number): number {
  return d < POW2_NEG.length ? POW2_NEG[d]! : 2 ** -d;
}

/** Boxes in one leaf group (matched at once with i32x4). */
const LEAF_GROUP_BOXES = 4;

/** Tuples walked in lockstep by the optimized matcher's main path (assembly/classify.ts trees8One). */
const LANES = 8;

/** Thrown when a tree outgrows `recordBudget` (the caller, compile.ts, then partitions). */
export class TreeBudgetExceeded extends SgfError {
  readonly code = 'SGF_TABLE_TREE_BUDGET';
  constructor(readonly budget: number, readonly what = 'leaf records') {
    super(`the decision tree outgrew its budget of ${budget} ${what}`);
    this.name = 'TreeBudgetExceeded';
  }
}

export const DEFAULT_TREE_OPTIONS: TreeOptions = { binth: 12, maxDepth: 64, cut: 'balance' };

/** 'balance' cuts: the weight of the boxes in both children against the larger child (measured, docs/classifier.md). */
const BALANCE_COPY_WEIGHT = 0.5;

const FULL = 0xffffffff;

/** Output of the tree builder for one classifier (all trees share nodes and leaves). */
export class TreeEmitter {
  readonly nodes = new Words();
  /** One LEAF_ENTRY (2 words) per node, parallel to `nodes`: a leaf's groups (format.ts "Leaf entry"). */
  readonly leafEntries = new Words();
  readonly leaves = new Words();
  private readonly leafCache = new Map<number, number[]>();
  /** emitLeaf's scratch: one leaf's words before they are stored (or found stored). */
  private readonly leafWords = new Words();
  /** Statistics, for the benchmark and the docs. */
  leafRecords = 0;
  maxDepth = 0;
  /** Boxes examined over all nodes (see TreeOptions.workBudget). */
  work = 0;
  /** Leaf nodes by depth (index: steps from the root), over every tree built. */
  readonly leafDepths: number[] = [];
  /**
   * The leaf groups a walk meets, in expectation when every cut sends a key
   * either way with probability 1/2: the sum over leaves of groups x 2^-depth
   * (the leaves of one tree weigh 1 together). compile.ts's fill depth model.
   */
  expectedGroups = 0;
  /** Per tree built (in build order): its leaves by depth, and its expectedGroups. */
  readonly treeDepths: number[][] = [];
  readonly treeGroups: number[] = [];
  /** Per box: the leaf nodes holding it, over every tree built (compile.ts's tail split reads where the copies are). */
  readonly copies: Int32Array;
  /**
   * The rule-traffic model (docs/classifier.md, "A traffic model from the
   * rules, and group scans that cost more than steps (clsT29)"): every box of
   * a tree equally likely to be the one a packet was meant for, such a packet
   * equally likely in each leaf that holds a copy of the box, where it scans
   * the leaf's groups up to that box's own group. Unlike the 2^-depth
   * weights above (where volume is), this counts where the rules are: the
   * packets of narrow rules meet the deep leaves that hold them. Per tree
   * built: the groups a walk scans in expectation (`trafficTreeGroups`) and
   * its expected depth (`trafficTreeDepth`). Per depth d, over every tree
   * built: the groups scanned at the leaves at depth d
   * (`trafficLeafGroupsAtDepth`), and at the nodes at depth d were they
   * leaves of their boxes (`trafficGroupsAtDepth`, compile.ts's trims).
   */
  readonly trafficTreeGroups: number[] = [];
  readonly trafficTreeDepth: number[] = [];
  readonly trafficGroupsAtDepth: number[] = [];
  readonly trafficLeafGroupsAtDepth: number[] = [];
  /** Per depth: each box's leaf count (`copies`) when the node at that depth on the path being built began its children. */
  private readonly copiesAt: Int32Array[] = [];
  /** Per depth, per box: the groups its packets scan at the node at that depth were it a leaf (summed over the box's leaves below it), and at the leaves at that depth. */
  private readonly nodeAcc: Float64Array[] = [];
  private readonly leafAcc: Float64Array[] = [];
  /** Per box: the depths of its leaves, summed. */
  private readonly leafDepthAcc: Float64Array;

  /** The dimensions some box does not span whole (the others can never be cut). */
  private readonly active: number[] = [];

  // The options, read once into fields of fixed types: callers pass option
  // objects of several shapes (compile.ts spreads budgets and fillTo into
  // them), and reading those in buildNode made its property loads
  // polymorphic and deoptimized it ("wrong map") through the first builds
  // of a process (docs/classifier.md, "Build time").
  private readonly binth: number;
  private readonly depthCapOpt: number;
  private depthCap: number;
  /** Infinity: no budget. */
  private readonly recordBudget: number;
  private readonly workBudget: number;
  private readonly weighted: boolean;
  private readonly fillOpt: boolean;
  private readonly fillToOpt: number;
  /** This build's fill (build's `fill` argument, else the options'). */
  private fill = false;
  private fillTo = 0;
  private readonly clip: boolean;
  private readonly dry: boolean;
  /** The bounding box of the boxes of the tree being built (build), and emitLeaf's scratch region. */
  private bbLo: Uint32Array;
  private bbHi: Uint32Array;
  private readonly leafLo: Uint32Array;
  private readonly leafHi: Uint32Array;
  /** What the matcher guarantees of every key that reaches a tree: the classifier's guard (whole space without one). */
  private readonly knownLo: Uint32Array;
  private readonly knownHi: Uint32Array;

  /**
   * `known`: the box every key reaching the trees lies in (compile.ts: the
   * classifier's guard, the bounding box of all its boxes, checked by the
   * matcher before the trees; it must contain every box). Leaf groups then
   * store only what a node's region within it does not guarantee. Without
   * it, the whole key space.
   */
  constructor(private readonly boxes: BoxSet, opts: TreeOptions = DEFAULT_TREE_OPTIONS, known?: { lo: Uint32Array; hi: Uint32Array }) {
    this.binth = opts.binth;
    this.depthCapOpt = opts.maxDepth;
    this.depthCap = opts.maxDepth;
    this.recordBudget = opts.recordBudget ?? Infinity;
    this.workBudget = opts.workBudget ?? Infinity;
    this.weighted = opts.cut === 'weighted';
    this.fillOpt = opts.fillTo !== undefined;
    this.fillToOpt = opts.fillTo ?? 0;
    this.clip = opts.clip !== false;
    this.dry = opts.dry === true;
    const { K, n, lo, hi } = boxes;
    this.copies = new Int32Array(n);
    this.leafDepthAcc = new Float64Array(n);
    this.bbLo = new Uint32Array(K);
    this.bbHi = new Uint32Array(K).fill(FULL);
    this.leafLo = new Uint32Array(K);
    this.leafHi = new Uint32Array(K);
    this.knownLo = known ? Uint32Array.from(known.lo) : new Uint32Array(K);
    this.knownHi = known ? Uint32Array.from(known.hi) : new Uint32Array(K).fill(FULL);
    for (let d = 0; d < K; d++) {
      for (let b = 0; b < n; b++) {
        if (lo[b * K + d]! !== 0 || hi[b * K + d]! !== FULL) { this.active.push(d); break; }
      }
    }
  }

  /**
   * Build a tree over `members` (box indices sorted by position); returns the root node index.
   *
   * `guide`: a tree built before by another emitter over the same boxes and
   * members (its root). A node of this build at a path where the guide cut
   * takes the guide's cut instead of choosing one again: the choice depends
   * only on the node's boxes and region, which are the same on the same path,
   * so the tree is the one built without a guide, in less time (compile.ts:
   * the filled build repeats the first build's cuts down to its leaves).
   *
   * `cap`: stop cutting at this depth for this tree (TreeOptions.maxDepth
   * when smaller or not given).
   */
  build(members: Int32Array, guide?: { emitter: TreeEmitter; root: number }, fill = true, cap?: number): number {
    const K = this.boxes.K;
    // `cap`: this tree's nodes at that depth are leaves of whatever remains (compile.ts's trimmed first tree).
    this.depthCap = cap === undefined ? this.depthCapOpt : Math.min(cap, this.depthCapOpt);
    // `fill` false: this tree is built as without fillTo (compile.ts fills only the first of several trees).
    this.fill = fill && this.fillOpt;
    this.fillTo = this.fillToOpt;
    if (guide && guide.emitter.boxes !== this.boxes) throw new ApiUsageError('TreeEmitter.build: a guide over other boxes');
    this.guide = guide ? guide.emitter : null;
    const root = this.allocNodes(1);
    const regLo = new Uint32Array(K);
    const regHi = new Uint32Array(K).fill(FULL);
    const bbLo = new Uint32Array(K);
    const bbHi = new Uint32Array(K).fill(FULL);
    if (this.clip && members.length > 0) {
      // The root region: the members' bounding box. A cut happens strictly
      // inside its node's region, so a node's bound equals the box's bound
      // exactly when no cut on the path bounded that side (emitLeaf).
      const { lo, hi } = this.boxes;
      bbLo.fill(FULL);
      bbHi.fill(0);
      for (let i = 0; i < members.length; i++) {
        const b = members[i]! * K;
        for (let d = 0; d < K; d++) {
          if (lo[b + d]! < bbLo[d]!) bbLo[d] = lo[b + d]!;
          if (hi[b + d]! > bbHi[d]!) bbHi[d] = hi[b + d]!;
        }
      }
      regLo.set(bbLo);
      regHi.set(bbHi);
    }
    this.bbLo = bbLo;
    this.bbHi = bbHi;
    this.treeDepths.push([]);
    this.treeGroups.push(0);
    this.memTop = 0;
    try {
      const miss = new Int32Array(members.length);
      for (let i = 0; i < members.length; i++) {
        const b = members[i]! * K;
        let c = 0;
        for (let d = 0; d < K; d++) if (this.boxes.lo[b + d]! > regLo[d]! || this.boxes.hi[b + d]! < regHi[d]!) c++;
        miss[i] = c;
      }
      this.buildNode(root, members, miss, regLo, regHi, 0, guide ? guide.root : -1);
    } finally {
      this.guide = null;
    }
    if (!this.dry) this.trafficSums(members);
    return root;
  }

  /**
   * The rule-traffic sums of the tree just built over `members` (see
   * trafficTreeGroups): each box with a leaf weighs 1/m (m such boxes),
   * shared evenly by its copies. The trees of one emitter hold disjoint
   * boxes, so `copies` counts this tree's leaves.
   */
  private trafficSums(members: Int32Array): void {
    const copies = this.copies;
    let m = 0;
    for (let i = 0; i < members.length; i++) if (copies[members[i]!]! > 0) m++;
    let groups = 0;
    let depth = 0;
    for (let d = 0; d < this.nodeAcc.length; d++) {
      const na = this.nodeAcc[d]!;
      const la = this.leafAcc[d]!;
      let sn = 0;
      let sl = 0;
      for (let i = 0; i < members.length; i++) {
        const b = members[i]!;
        const c = copies[b]!;
        if (c === 0) continue;
        sn += na[b]! / c;
        sl += la[b]! / c;
        if (d === 0) depth += this.leafDepthAcc[b]! / c;
      }
      if (m > 0) {
        this.trafficGroupsAtDepth[d] = (this.trafficGroupsAtDepth[d] ?? 0) + sn / m;
        this.trafficLeafGroupsAtDepth[d] = (this.trafficLeafGroupsAtDepth[d] ?? 0) + sl / m;
        groups += sl / m;
      }
    }
    this.trafficTreeGroups.push(groups);
    this.trafficTreeDepth.push(m > 0 ? depth / m : 0);
  }

  /** The cut of every node (its dimension index, -1 for a leaf, its threshold, its first child), for later builds guided by this one. */
  private readonly cutDim: number[] = [];
  private readonly cutThr: number[] = [];
  private readonly cutChild: number[] = [];
  private guide: TreeEmitter | null = null;

  /**
   * The member lists of the nodes on the path being built, a stack (buildNode
   * pushes a node's children's lists and pops them when both are built). A
   * grown stack is a new buffer; the lists already on the old one stay valid
   * views of it.
   */
  private memStack = new Int32Array(4096);
  /** Parallel to memStack: per member, the dimensions in which it does not cover its node's region (0: it covers it; bld30). */
  private missStack = new Int32Array(4096);
  private memTop = 0;

  /**
   * Scratch arrays of the cut choice (used before a node recurses, so shared
   * by all nodes). The endpoints are u32: a start is a box's lo or the
   * region's low end, an end h + 1 for h < the region's high end <= 2^32 - 1
   * (bld30: u32 sorts and loads, ahead of the f64 arrays before; the same values).
   */
  private scratch = { starts: new Uint32Array(0), ends: new Uint32Array(0), weights: new Float64Array(0), points: new Uint32Array(0) };

  private scratchFor(n: number) {
    if (this.scratch.starts.length < n) {
      const m = Math.max(n, 2 * this.scratch.starts.length);
      this.scratch = { starts: new Uint32Array(m), ends: new Uint32Array(m), weights: new Float64Array(2 * m + 1), points: new Uint32Array(2 * m + 1) };
    }
    return this.scratch;
  }

  private allocNodes(n: number): number {
    const at = this.nodes.reserve(n * 2);
    this.leafEntries.reserve(n * 2);
    const idx = at / 2;
    for (let i = 0; i < n; i++) {
      this.cutDim.push(-1);
      this.cutThr.push(0);
      this.cutChild.push(0);
    }
    if (idx + n - 1 > NODE.MAX_CHILD) throw new TableError(TABLE_ERROR.FORMAT_LIMIT, `sgfilter compile: the decision tree outgrew ${NODE.MAX_CHILD} nodes`);
    return idx;
  }

  /** `miss[i]`: the dimensions in which members[i] does not cover the region (a child's differ from its parent's in the cut dimension only). */
  private buildNode(node: number, members: Int32Array, miss: Int32Array, regLo: Uint32Array, regHi: Uint32Array, depth: number, g: number): void {
    const { K, lo, hi, set } = this.boxes;
    // Shadowing: the first box that covers the region (and needs no set) ends the list.
    let n = members.length;
    for (let i = 0; i < n; i++) {
      const b = members[i]!;
      if (miss[i] === 0 && set[b]! < 0) { n = i + 1; break; }
    }
    if (n < members.length) members = members.subarray(0, n);
    if (depth > this.maxDepth) this.maxDepth = depth;
    if (!this.dry) this.depthArrays(depth);
    this.work += n;
    if (this.work > this.workBudget) throw new TreeBudgetExceeded(this.workBudget, 'boxes examined');
    if (this.fill ? n <= LEAF_GROUP_BOXES || depth >= this.fillTo : n <= this.binth || depth >= this.depthCap) {
      if (!this.dry) this.emitLeaf(node, members, regLo, regHi, depth);
      return;
    }
    // The cut: the guide's where it cut at this path, else chosen.
    const guide = this.guide;
    let bestDim: number;
    let bestThr: number;
    let gChild = -1;
    if (guide !== null && g >= 0 && guide.cutDim[g]! >= 0) {
      bestDim = guide.cutDim[g]!;
      bestThr = guide.cutThr[g]!;
      gChild = guide.cutChild[g]!;
    } else {
      this.bestDim = -1;
      this.bestCost = Infinity;
      this.bestSegs = 0;
      this.bestThr = 0;
      this.scratchFor(n);
      for (const d of this.active) {
        const rl = regLo[d]!;
        const rh = regHi[d]!;
        if (rl !== rh) this.cutIn(d, members, n, rl, rh);
      }
      bestDim = this.bestDim;
      bestThr = this.bestThr;
    }
    if (bestDim < 0) {
      // Every rule spans the region in every dimension (only set rules can be left): a leaf.
      if (!this.dry) this.emitLeaf(node, members, regLo, regHi, depth);
      return;
    }
    let nl = 0;
    let nr = 0;
    for (let i = 0; i < n; i++) {
      const b = members[i]!;
      if (lo[b * K + bestDim]! <= bestThr) nl++;
      if (hi[b * K + bestDim]! > bestThr) nr++;
    }
    // The children's members: views of the member stack (released when both
    // children are built), not buffers of their own.
    const top = this.memTop;
    if (top + nl + nr > this.memStack.length) {
      this.memStack = new Int32Array(Math.max(2 * this.memStack.length, top + nl + nr));
      this.missStack = new Int32Array(this.memStack.length);
    }
    const left = this.memStack.subarray(top, top + nl);
    const right = this.memStack.subarray(top + nl, top + nl + nr);
    const leftMiss = this.missStack.subarray(top, top + nl);
    const rightMiss = this.missStack.subarray(top + nl, top + nl + nr);
    this.memTop = top + nl + nr;
    nl = 0;
    nr = 0;
    const rl = regLo[bestDim]!;
    const rh = regHi[bestDim]!;
    for (let i = 0; i < n; i++) {
      const b = members[i]!;
      const l = lo[b * K + bestDim]!;
      const h = hi[b * K + bestDim]!;
      // The member's misses outside the cut dimension, then the child's in it.
      const other = miss[i]! - (l > rl || h < rh ? 1 : 0);
      if (l <= bestThr) { leftMiss[nl] = other + (l > rl || h < bestThr ? 1 : 0); left[nl++] = b; }
      if (h > bestThr) { rightMiss[nr] = other + (l > bestThr + 1 || h < rh ? 1 : 0); right[nr++] = b; }
    }
    const child = this.allocNodes(2);
    this.cutDim[node] = bestDim;
    this.cutThr[node] = bestThr;
    this.cutChild[node] = child;
    this.nodes.set(node * 2, bestThr);
    this.nodes.set(node * 2 + 1, child * (NODE.KEY_MASK + 1) + this.boxes.dims[bestDim]!);
    // The rule-traffic model (emitLeaf): a packet of box b (the i-th member
    // here) in each of b's leaves below scans, were this node a leaf, to b's
    // group here, (i >> 2) + 1 groups: added once for all those leaves, from
    // b's leaf count before and after the children (integers, so the sum is
    // the one leaf by leaf, bld30).
    const copies = this.copies;
    const snap = this.dry ? null : this.copiesAt[depth]!;
    if (snap !== null) for (let i = 0; i < n; i++) snap[members[i]!] = copies[members[i]!]!;
    const saveHi = regHi[bestDim]!;
    regHi[bestDim] = bestThr;
    this.buildNode(child, left, leftMiss, regLo, regHi, depth + 1, gChild);
    regHi[bestDim] = saveHi;
    const saveLo = regLo[bestDim]!;
    regLo[bestDim] = bestThr + 1;
    this.buildNode(child + 1, right, rightMiss, regLo, regHi, depth + 1, gChild < 0 ? -1 : gChild + 1);
    regLo[bestDim] = saveLo;
    this.memTop = top;
    if (snap !== null) {
      const acc = this.nodeAcc[depth]!;
      for (let i = 0; i < n; i++) {
        const b = members[i]!;
        const c = copies[b]! - snap[b]!;
        if (c > 0) acc[b] += ((i >> 2) + 1) * c;
      }
    }
  }

  /** The traffic model's arrays of `depth` (copiesAt, nodeAcc, leafAcc). */
  private depthArrays(depth: number): void {
    while (this.copiesAt.length <= depth) {
      this.copiesAt.push(new Int32Array(this.boxes.n));
      this.nodeAcc.push(new Float64Array(this.boxes.n));
      this.leafAcc.push(new Float64Array(this.boxes.n));
    }
  }

  /** The best cut so far at the node being built (buildNode -> cutIn). */
  private bestDim = -1;
  private bestCost = Infinity;
  private bestSegs = 0;
  private bestThr = 0;

  /**
   * The best cut of the node's region in dimension `d`, if better than the
   * best so far (this.best*). A method of its own, not a loop in buildNode:
   * the builder runs mostly unoptimized in a process's first compiles, and a
   * set that takes a branch the earlier ones never took deoptimizes the
   * function it is in; small functions are optimized again in a few
   * milliseconds, where the whole of buildNode took V8 up to 100 ms on a
   * busy machine, builds running in the interpreter meanwhile (fw1_100 IPv4
   * after acl1_100: 20-30 ms builds against 2-4 ms; docs/classifier.md,
   * "Build time").
   */
  private cutIn(d: number, members: Int32Array, n: number, rl: number, rh: number): void {
    const { K, lo, hi } = this.boxes;
    const sc = this.scratch;
    const starts = sc.starts;
    const ends = sc.ends;
    const weights = sc.weights;
    const points = sc.points;
    let ne = 0;
    // The boxes starting at or below the region's low end start at rl: they
    // fill the front of `starts` (the least value, so in sorted place), and
    // only the rest is sorted, from the back (often few: deep in a tree most
    // boxes span their node's region in most dimensions).
    let ns = n;
    let n0 = 0;
    for (let i = 0; i < n; i++) {
      const b = members[i]!;
      const l = lo[b * K + d]!;
      const h = hi[b * K + d]!;
      if (l > rl) starts[--ns] = l; else starts[n0++] = rl;
      if (h < rh) ends[ne++] = h + 1;
    }
    // Every box spans the region in this dimension: one segment, no cut.
    if (ns === n && ne === 0) return;
    if (!this.weighted) {
      // A bound on every cut's cost here (bld30): the left child holds at
      // least the n0 boxes starting at rl, the right one at least the n - ne
      // ending at or after rh, both together at least S = max(n, n0 + n - ne)
      // (a box in both counts twice). The cost below is increasing in max(L,
      // R) and L + R, and so is its rounding: a dimension whose bound does not
      // beat the best cut so far has no cut that does, and is not sorted.
      const S = n > n0 + n - ne ? n : n0 + n - ne;
      let M = S / 2;
      if (n0 > M) M = n0;
      if (n - ne > M) M = n - ne;
      if (M + S * BALANCE_COPY_WEIGHT + S / (4 * n + 1) >= this.bestCost) return;
    }
    if (n - ns > 1) sortSmall(starts, n, ns);
    const E = ends;
    sortSmall(E, ne);
    if (!this.weighted) {
      // Every segment point q > rl (a distinct start or end) is a candidate
      // (threshold q - 1): the left child gets the boxes starting below q
      // (L = #starts < q, the starts up to the previous point), the right one
      // those ending at or after q (R = n - #ends <= q). Points in order,
      // from rl.
      let ia = n0; // starts[0, n0) are rl, the first point
      let ie = 0;
      while (ie < ne && E[ie]! <= rl) ie++;
      for (;;) {
        const na = ia < n ? starts[ia]! : Infinity;
        const nx = ie < ne ? E[ie]! : Infinity;
        const q = na < nx ? na : nx;
        if (q === Infinity || q > rh) break;
        const L = ia;
        while (ia < n && starts[ia]! <= q) ia++;
        while (ie < ne && E[ie]! <= q) ie++;
        const R = n - ie;
        // Costs are multiples of 1/2; the last term (< 1/2) prefers fewer
        // copies among equal costs; then the earlier dimension and point.
        const cost = (L > R ? L : R) + (L + R) * BALANCE_COPY_WEIGHT + (L + R) / (4 * n + 1);
        if (cost < this.bestCost) {
          this.bestCost = cost;
          this.bestThr = q - 1;
          this.bestDim = d;
        }
      }
      return;
    }
    // Segment points: rl, distinct starts and ends.
    let segs = 0;
    let total = 0;
    let ia = n0; // starts[0, n0) are rl, the first point
    let ie = 0;
    let p = rl;
    // Walk points in order; weight of the segment starting at p = #starts <= p - #ends <= p.
    for (;;) {
      while (ia < n && starts[ia]! <= p) ia++;
      while (ie < ne && E[ie]! <= p) ie++;
      const w = ia - ie;
      points[segs] = p;
      weights[segs] = w;
      total += w;
      segs++;
      // next point
      const na = ia < n ? starts[ia]! : Infinity;
      const nx = ie < ne ? E[ie]! : Infinity;
      const next = na < nx ? na : nx;
      if (next === Infinity || next > rh) break;
      p = next;
    }
    if (segs < 2) return;
    const cost = total / segs;
    if (cost < this.bestCost || (cost === this.bestCost && segs > this.bestSegs)) {
      // Balance the weight: first segment whose cumulative weight reaches half.
      let cum = 0;
      let j = 0;
      for (; j < segs; j++) {
        cum += weights[j]!;
        if (cum * 2 >= total) break;
      }
      if (j >= segs - 1) j = segs - 2;
      this.bestThr = points[j + 1]! - 1;
      this.bestDim = d;
      this.bestCost = cost;
      this.bestSegs = segs;
    }
  }

  /** Rule records of `members` inside the region; see format.ts "Rule record". */
  static records(boxes: BoxSet, members: ArrayLike<number>, regLo: Uint32Array | null, regHi: Uint32Array | null, out: number[]): void {
    const { K, lo, hi, pos, set, dims } = boxes;
    const cons: [number, number, number, number][] = [];
    for (let i = 0; i < members.length; i++) {
      const b = members[i]!;
      cons.length = 0;
      for (let d = 0; d < K; d++) {
        const l = lo[b * K + d]!;
        const h = hi[b * K + d]!;
        const rl = regLo ? regLo[d]! : 0;
        const rh = regHi ? regHi[d]! : FULL;
        if (l <= rl && h >= rh) continue; // guaranteed by the region
        // selectivity: the fraction of the region the range keeps
        const keep = ((h < rh ? h : rh) - (l > rl ? l : rl) + 1) / (rh - rl + 1);
        cons.push([dims[d]!, l, (h - l) >>> 0, keep]);
      }
      cons.sort((a, c) => a[3] - c[3]);
      if (cons.length > RECORD.MAX_CONS) throw new TableError(TABLE_ERROR.FORMAT_LIMIT, 'sgfilter compile: too many constraints in one rule record');
      out.push(pos[b]!, ((set[b]! + 1) << 8) | cons.length);
      for (const c of cons) out.push(c[0], c[1], c[2]);
    }
  }

  /**
   * A leaf: its boxes in groups of 4 (format.ts "Leaf group"), each group
   * matched at once with SIMD. Only dimensions that some box of the group
   * does not cover over the region are stored.
   */
  private emitLeaf(node: number, members: Int32Array, regLo: Uint32Array, regHi: Uint32Array, depth: number): void {
    this.leafDepths[depth] = (this.leafDepths[depth] ?? 0) + 1;
    const td = this.treeDepths[this.treeDepths.length - 1]!;
    td[depth] = (td[depth] ?? 0) + 1;
    const eg = Math.ceil(members.length / LEAF_GROUP_BOXES) * pow2neg(depth);
    this.expectedGroups += eg;
    this.treeGroups[this.treeGroups.length - 1]! += eg;
    for (let i = 0; i < members.length; i++) this.copies[members[i]!]!++;
    // The rule-traffic model: a packet of box b in this leaf scans to b's
    // group here (at each node above, were it a leaf, to b's group there:
    // buildNode adds those per node).
    const la = this.leafAcc[depth]!;
    const na = this.nodeAcc[depth]!;
    for (let i = 0; i < members.length; i++) {
      const b = members[i]!;
      la[b] += (i >> 2) + 1;
      na[b] += (i >> 2) + 1;
      this.leafDepthAcc[b] += depth;
    }
    const words = this.leafWords;
    words.length = 0;
    // The groups store what the node's region within the known box does not
    // guarantee: a side of the region still at the bounding box's bound was
    // never cut, so a key there may lie anywhere the known box allows (build).
    const K = this.boxes.K;
    const tLo = this.leafLo;
    const tHi = this.leafHi;
    for (let d = 0; d < K; d++) {
      tLo[d] = regLo[d] === this.bbLo[d] ? this.knownLo[d]! : regLo[d]!;
      tHi[d] = regHi[d] === this.bbHi[d] ? this.knownHi[d]! : regHi[d]!;
    }
    TreeEmitter.groups(this.boxes, members, tLo, tHi, words);
    const n = words.length;
    // Identical leaves are stored once: a hash of the words, then a word-by-word compare.
    let hsh = 0x811c9dc5 ^ n;
    for (let i = 0; i < n; i++) hsh = Math.imul(hsh ^ words.get(i), 0x01000193);
    let off: number | undefined;
    const same = this.leafCache.get(hsh);
    if (same) {
      for (const at of same) {
        let eq = true;
        for (let i = 0; i < n; i++) if (this.leaves.get(at / 4 + i) !== words.get(i)) { eq = false; break; }
        if (eq) { off = at; break; }
      }
    }
    if (off === undefined) {
      this.leaves.align(4);
      off = this.leaves.length * 4;
      this.leaves.append(words.view());
      if (same) same.push(off);
      else this.leafCache.set(hsh, [off]);
      this.leafRecords += members.length;
      if (this.leafRecords > this.recordBudget) throw new TreeBudgetExceeded(this.recordBudget);
    }
    const nGroups = Math.ceil(members.length / 4);
    if (nGroups > NODE.MAX_CHILD) throw new TableError(TABLE_ERROR.FORMAT_LIMIT, 'sgfilter compile: a leaf holds too many records');
    // A leaf is a fixed point of the walk: its own child, a threshold no key
    // exceeds (keyOff 0, any key: the step stays). Its groups: the leaf entry.
    this.nodes.set(node * 2, NODE.LEAF_THRESHOLD);
    this.nodes.set(node * 2 + 1, node * (NODE.KEY_MASK + 1));
    this.leafEntries.set(node * 2 + LEAF_ENTRY.FIRST / 4, off);
    this.leafEntries.set(node * 2 + LEAF_ENTRY.COUNT / 4, nGroups);
  }

  /** Leaf groups of `members` (see format.ts "Leaf group"), appended to `out` as words. */
  static groups(boxes: BoxSet, members: ArrayLike<number>, regLo: Uint32Array, regHi: Uint32Array, out: Words): void {
    const { K, lo, hi, pos, set, dims } = boxes;
    const allDims = boxes.allDims === true;
    const last = members.length - 1;
    for (let g = 0; g < members.length; g += 4) {
      // The group's 4 boxes, padded with the last box.
      const b0 = members[g]!;
      const b1 = members[Math.min(g + 1, last)]!;
      const b2 = members[Math.min(g + 2, last)]!;
      const b3 = members[Math.min(g + 3, last)]!;
      const hasSet = set[b0]! >= 0 || set[b1]! >= 0 || set[b2]! >= 0 || set[b3]! >= 0;
      out.push(pos[b0]!);
      out.push(pos[b1]!);
      out.push(pos[b2]!);
      out.push(pos[b3]!);
      // Head bytes 16..31, as 4 little-endian words: nDims, hasSet, keyOff per dimension.
      const headAt = out.reserve(4);
      let nDims = 0;
      for (let d = 0; d < K; d++) {
        const rl = regLo[d]!;
        const rh = regHi[d]!;
        const i0 = b0 * K + d;
        const i1 = b1 * K + d;
        const i2 = b2 * K + d;
        const i3 = b3 * K + d;
        if (!allDims && lo[i0]! <= rl && hi[i0]! >= rh && lo[i1]! <= rl && hi[i1]! >= rh && lo[i2]! <= rl && hi[i2]! >= rh && lo[i3]! <= rl && hi[i3]! >= rh) continue;
        if (nDims === LEAF_GROUP.MAX_DIMS) throw new TableError(TABLE_ERROR.FORMAT_LIMIT, 'sgfilter compile: too many dimensions in a leaf group');
        const byte = 2 + nDims;
        out.set(headAt + (byte >> 2), out.get(headAt + (byte >> 2)) | ((dims[d]! & 0xff) << (8 * (byte & 3))));
        nDims++;
        out.push(lo[i0]!);
        out.push(lo[i1]!);
        out.push(lo[i2]!);
        out.push(lo[i3]!);
        out.push(hi[i0]! - lo[i0]!);
        out.push(hi[i1]! - lo[i1]!);
        out.push(hi[i2]! - lo[i2]!);
        out.push(hi[i3]! - lo[i3]!);
      }
      out.set(headAt, out.get(headAt) | nDims | (hasSet ? 1 << 8 : 0));
      if (hasSet) {
        out.push(set[b0]! + 1);
        out.push(set[b1]! + 1);
        out.push(set[b2]! + 1);
        out.push(set[b3]! + 1);
      }
    }
  }
}
