/**
 * Topology -> compiled table (format.ts). Deterministic: the same topology
 * gives the same bytes.
 *
 * One rule list per distinct (direction, group sequence) — interfaces bound
 * to the same groups in the same order share a list — and per list one
 * classifier per address family that any of its rules can match. BINDINGS
 * maps every interface and direction to its list.
 */
import { ApiUsageError } from '../model/errors.js';
import type { Family } from '../model/packet.js';
import { indexTopology, type Direction, type Topology, type TopologyIndex } from '../model/topology.js';
import { orderedRules, type OrderedRule } from '../reference/match.js';
import { rulesToBoxes, type BoxSet } from './boxes.js';
import {
  BINDING_ENTRY,
  CLASSIFIER,
  GROUP_FORM_ALL5,
  HEADER,
  LIST_ENTRY,
  NO_LIST,
  SECTION,
  SECTION_ENTRY,
  TABLE_ERROR,
  TABLE_MAGIC,
  TableError,
  TABLE_VERSION,
  TREE_ENTRY,
  fnv1a,
} from './format.js';
import { partitionBoxes, type PartitionOptions, DEFAULT_PARTITION_OPTIONS } from './partition.js';
import { emitSets } from './sets.js';
import { DEFAULT_TREE_OPTIONS, TreeBudgetExceeded, TreeEmitter, boundingBox, fixedWalkSteps, walkCosts, type TreeOptions } from './tree.js';
import { Words } from './words.js';

export interface CompileOptions {
  tree?: Partial<TreeOptions>;
  partition?: Partial<PartitionOptions>;
  /** Refuse to produce a table larger than this (bytes). Default 256 MiB. */
  maxBytes?: number;
  /**
   * Leaf groups of IPv4 classifiers without sets: 'all5' (the default) stores
   * every group with all 5 dimensions (GROUP_FORM 1, the matcher's
   * straight-line scan, docs/classifier.md "IPv4 groups of all five
   * dimensions"); 'variable' only the dimensions a group tests (ablation).
   */
  groupForm?: 'all5' | 'variable';
  /**
   * false: every tree after a classifier's first takes the loop walk (its
   * tree entry's STEPS 0), as before table format 5 (ablation); by default
   * each takes a fixed walk where fixedWalkSteps says (docs/classifier.md
   * "Fixed walks for the later trees (cls30)").
   */
  laterFixed?: boolean;
}

/** What a result position means, per list (the META section). */
export interface TableMeta {
  cloud: Topology['cloud'];
  interfaces: string[];
  lists: { direction: Direction; groups: string[]; rules: [string, string][] }[];
}

export interface ClassifierStats {
  list: number;
  family: Family;
  boxes: number;
  sets: number;
  trees: number;
  nodes: number;
  leafRecords: number;
  maxDepth: number;
  /** CLASSIFIER.WALK_STEPS: the fixed steps of every walk, 0 = until no lane moves. */
  walkSteps: number;
  /** CLASSIFIER.N_GUARDS: dimensions of the guard (the boxes' bounding box where it is narrower than the key space). */
  guards: number;
  bytes: number;
}

export interface CompiledTable {
  bytes: Uint8Array;
  meta: TableMeta;
  stats: ClassifierStats[];
}

const DIRECTIONS: Direction[] = ['ingress', 'egress'];

/**
 * A filled fixed-walk tree (emitClassifier) is kept when its words (nodes,
 * leaf entries, groups) are at most this multiple of the first build's.
 * Measured (docs/classifier.md, "Filled fixed-walk trees"): trees that grew
 * 1.0-1.55x won (acl1_1K x1.09-1.33), 1.7-2.1x were even to 0.92
 * (ipc1_1K), 2.9-3.3x lost up to 0.75 (out of the caches).
 */
const FILL_MAX_GROWTH = 1.6;
/** The filled build gives up once its leaf records pass this multiple of the first build's. */
const FILL_ABORT_GROWTH = 2;
/**
 * No filled build is tried when even the allowed growth would take the
 * trees past this size: the attempt costs a second build (fw1_1K: 42 -> 96
 * ms, and then refused for its growth). It was 512 KiB (half of a 1 MiB
 * L2), which left every 10k set's first tree unfilled; at 4 MiB the 10k
 * sets' first trees are filled within the same 1.6x growth bound and scan
 * fewer groups for a step or two more (acl5_dev10k 1.72 -> 1.05 groups a
 * packet, fw3_dev10k's first tree 2.64 -> 1.00; callgrind: fewer
 * instructions and mispredicts, docs/classifier.md "Large IPv4 sets ...
 * (cls30)").
 */
const FILL_MAX_BYTES = 4 * 1024 * 1024;
/**
 * A filled tree this small is kept whatever its growth: the growth bound is
 * about tables that leave the caches, and one of 256 KiB stays in the 1 MiB
 * L2 with room (fw5_100: 15 -> 32 KB, acl4_1k 166 -> 243 KB;
 * docs/classifier.md, "Filling small trees, and below the first depth").
 */
const FILL_SMALL_BYTES = 256 * 1024;
/** The filled build's leaf-record budget is at least this (about FILL_SMALL_BYTES of groups). */
const FILL_SMALL_RECORDS = FILL_SMALL_BYTES / 16;
/** Levels a filled tree may go below the first build's deepest leaf (fillCost decides). */
const FILL_MAX_EXTRA = 2;
/**
 * The 8-lane fixed walk's cost per lane in steps, for a tree of `steps`
 * levels whose walks meet `groups` leaf groups in expectation
 * (TreeEmitter.expectedGroups): a group scan costs about GROUP_STEPS steps.
 * GROUP_STEPS is measured, not derived. It was 1.2, timed on a Zen 4 (one
 * more level paid where it saved 0.9-1.0 groups a walk and lost where it
 * saved 0.25-0.7; docs/classifier.md, "Filling small trees, and below the
 * first depth"), with groups counted by the 2^-depth weights. It is 6
 * since clsT29, with the groups counted by the rule-traffic model
 * (TreeEmitter.trafficTreeGroups; docs/classifier.md, "A traffic model
 * from the rules, and group scans that cost more than steps (clsT29)"):
 * counted with callgrind (instructions and simulated mispredicted branches
 * per packet over the whole traces), a step costs about 10 instructions and
 * no mispredicted branch, a scanned group about 20-40 instructions and 2
 * mispredicted branches (the scan's exit and its dimension count depend on
 * the packet), so a group costs several steps, not one.
 */
function fillCost(steps: number, groups: number): number {
  return steps + GROUP_STEPS * groups;
}
const GROUP_STEPS = 6;

/**
 * The tail split (TreeOptions.tail; by default tried only for a single tree
 * that takes the lockstep loop: docs/classifier.md "The tail split", where
 * it was measured on the rest too). A single tree copies the list's wide
 * rules into the leaves of the narrow ones, and in ClassBench's lists (and
 * ACLs generally: the catch-alls last) the wide rules come last: on acl2_1k
 * the last 62 of 908 rules hold 45 % of the tree's leaf copies (any-to-any
 * port rules, a /16 to anywhere), and the tree is 17 levels deep for 23,292
 * leaf records. Cut at a position k, the rules before k make a tree that
 * never holds them, and the rules from k on a tree of their own; the matcher
 * walks the second only for tuples whose best match from the first does not
 * precede k. Tails of TAIL_MIN, 2 TAIL_MIN, ... up to n / TAIL_MAX_SHARE
 * boxes are built (each within the single tree's work), and the cheapest by
 * the walk model is kept when it costs less per lane than the single tree:
 * the first tree's walk and groups, plus the second's weighted by the share
 * of rules in it (every rule equally likely to be a tuple's first match),
 * plus TAIL_OVERHEAD, and below `bar` (the loop tree's trimmed fixed walk,
 * loopTrim, when `tree.tail: true` forces the attempt). Null: keep the
 * single tree.
 */
function tailSplit(boxes: BoxSet, single: TreeEmitter, members: Int32Array, make: (work: number) => TreeEmitter, bar = Infinity): { emitter: TreeEmitter; roots: Root[] } | null {
  const n = members.length;
  if (n < 2 * TAIL_MIN || single.leafRecords < TAIL_MIN_COPIES * n) return null;
  const sc = walkCosts(single.treeDepths[0]!);
  let bestCost = Math.min(Math.min(sc.fixed, sc.loop) + GROUP_STEPS * single.treeGroups[0]!, bar);
  let best: { emitter: TreeEmitter; roots: Root[] } | null = null;
  for (let t = TAIL_MIN; t <= n / TAIL_MAX_SHARE; t *= 2) {
    // The tail starts at a rule boundary (a rule's boxes stay together).
    let j = n - t;
    while (j > 0 && boxes.pos[members[j]!]! === boxes.pos[members[j - 1]!]!) j--;
    if (j <= 0) break;
    const head = members.subarray(0, j);
    const tail = members.subarray(j);
    const e = make(single.work);
    let roots: Root[];
    try {
      roots = [head, tail].map((m, built) => ({ minPos: boxes.pos[m[0]!]!, root: e.build(m), members: m, built }));
    } catch (err) {
      if (!(err instanceof TreeBudgetExceeded)) throw err;
      continue;
    }
    const hc = walkCosts(e.treeDepths[0]!);
    const tree0 = Math.min(hc.fixed, hc.loop) + GROUP_STEPS * e.treeGroups[0]!;
    const tree1 = walkCosts(e.treeDepths[1]!).loop + GROUP_STEPS * e.treeGroups[1]!;
    const cost = tree0 + (tail.length / n) * tree1 + TAIL_OVERHEAD;
    if (cost < bestCost) { bestCost = cost; best = { emitter: e, roots }; }
  }
  return best;
}

/**
 * The trimmed fixed walk of a single tree that takes the lockstep loop: the
 * depth c at which the tree, cut off there (its nodes at depth c leaves of
 * the boxes they hold, the cuts above the same), walked in c fixed steps,
 * costs least by the walk model — c steps (with the fixed walk's counter)
 * plus GROUP_STEPS per expected leaf group, the groups of every depth read
 * from the first build (TreeEmitter.trafficGroupsAtDepth, trafficLeafGroupsAtDepth) —
 * and that cost; cap 0 when no depth costs less than `loopCost`.
 */
function loopTrim(e: TreeEmitter, deepest: number, loopCost: number): { cap: number; cost: number } {
  const atDepth = e.trafficGroupsAtDepth;
  const leafAt = e.trafficLeafGroupsAtDepth;
  let above = 0;
  let cap = 0;
  let best = loopCost;
  for (let c = 1; c < deepest; c++) {
    above += leafAt[c - 1] ?? 0;
    const cost = c * (1 + FIXED_STEP_OVERHEAD) + GROUP_STEPS * (above + (atDepth[c] ?? 0));
    if (cost < best) { best = cost; cap = c; }
  }
  return { cap, cost: best };
}
/** The fixed walk's loop counter per lane and step (tree.ts walkCosts: 2 operations per 8 lanes x 12). */
const FIXED_STEP_OVERHEAD = 2 / (8 * 12);
/** The tail split is tried only for lists of at least 2 x TAIL_MIN boxes whose single tree holds TAIL_MIN_COPIES leaf records a box; the tail has at least TAIL_MIN boxes. */
const TAIL_MIN = 16;
const TAIL_MIN_COPIES = 4;
/** The tail is at most 1/TAIL_MAX_SHARE of the boxes (tails of 256 measured slower still: fw4_1k x0.80, ipc2_1k x0.87-0.96). */
const TAIL_MAX_SHARE = 8;
/** The second tree's fixed cost per lane in steps (its entry test, the compaction; an estimate). */
const TAIL_OVERHEAD = 1;

/** A tree of a classifier: its first position, root node, boxes, and its index in the emitter's build order. */
interface Root { minPos: number; root: number; members: Int32Array; built: number }

/** Build one classifier into `out` (16-byte aligned); returns stats. */
function emitClassifier(
  out: Words,
  rules: readonly OrderedRule[],
  family: Family,
  index: TopologyIndex,
  options: CompileOptions,
  list: number,
): ClassifierStats | null {
  const { boxes, sets } = rulesToBoxes(rules.map((o) => o.rule), family, index);
  if (boxes.n === 0) return null;
  // IPv4 without sets: every leaf group stores all 5 dimensions in tuple
  // order (GROUP_FORM 1), so the matcher's scan has no per-dimension branch.
  const form = family === 4 && sets.length === 0 && options.groupForm !== 'variable' ? GROUP_FORM_ALL5 : 0;
  if (form === GROUP_FORM_ALL5) boxes.allDims = true;
  out.align(4);
  const base = out.length;
  const head = out.reserve(CLASSIFIER.SIZE / 4);
  const put = (field: number, v: number) => out.set(head + field / 4, v);
  put(CLASSIFIER.FAMILY, family);

  // The linear list: every box, full constraints.
  const all = new Int32Array(boxes.n).map((_, i) => i);
  const records: number[] = [];
  TreeEmitter.records(boxes, all, null, null, records);
  out.align(4);
  put(CLASSIFIER.RECORDS_OFF, (out.length - base) * 4);
  put(CLASSIFIER.N_RECORDS, boxes.n);
  out.append(records);

  // Sets.
  if (sets.length > 0) put(CLASSIFIER.SETS_OFF, emitSets(out, base, family, sets));

  // Trees.
  const treeOpts = { ...DEFAULT_TREE_OPTIONS, ...options.tree };
  const partOpts = { ...DEFAULT_PARTITION_OPTIONS, ...options.partition };
  // The guard: the bounding box of the boxes where it is narrower than the
  // key space. The matcher answers "no match" outside it before any tree, so
  // the trees' leaves need not test it (tree.ts TreeEmitter `known`).
  const known = treeOpts.clip !== false ? boundingBox(boxes) : undefined;
  let emitter = new TreeEmitter(boxes, partOpts.mode === 'auto' ? { ...treeOpts, recordBudget: partOpts.singleTreeBudget, workBudget: partOpts.singleTreeWork } : treeOpts, known);
  let roots: Root[];
  /** The single loop tree was trimmed into a fixed walk (loopTrim): not trimmed again below. */
  let loopTrimmed = false;
  const build = (parts: Int32Array[], guide?: { emitter: TreeEmitter; roots: number[] }) =>
    parts.map((members, built) => ({ minPos: boxes.pos[members[0]!]!, root: emitter.build(members, guide && { emitter: guide.emitter, root: guide.roots[built]! }), members, built }));
  // The single tree cut off at depth `cap` (its nodes there leaves of the boxes they hold; the first build the guide).
  const trimFirst = (first: Root, cap: number) => {
    const trimmed = new TreeEmitter(boxes, treeOpts, known);
    return { emitter: trimmed, roots: [{ ...first, root: trimmed.build(first.members, { emitter, root: first.root }, false, cap), built: 0 }] };
  };
  if (partOpts.mode === 'auto') {
    try {
      const single = partitionBoxes(boxes, { ...partOpts, mode: 'none' });
      // The cuts first, in a dry build (TreeOptions.dry) under the same work
      // budget: an attempt that outgrows it (fw-like sets: ~70 % of their
      // build time, docs/classifier.md "Build time: the single-tree attempt
      // cut first, and a faster cut choice (bld30)") is given up before any
      // leaf is emitted; one that fits is built guided by it, the same tree.
      let guide: { emitter: TreeEmitter; roots: number[] } | undefined;
      if (partOpts.singleTreeWork < Infinity) {
        const dry = new TreeEmitter(boxes, { ...treeOpts, workBudget: partOpts.singleTreeWork, dry: true }, known);
        guide = { emitter: dry, roots: single.map((m) => dry.build(m)) };
      }
      roots = build(single, guide);
      const loop = fixedWalkSteps(emitter.treeDepths[0]!) === 0;
      // A single tree that takes the loop may be trimmed into a fixed walk
      // (loopTrim; docs/classifier.md "Loop trees trimmed into fixed walks
      // (cls26)"): measured ahead of both the loop and the tail split.
      let trim = { cap: 0, cost: Infinity };
      if (loop && treeOpts.trim !== false) {
        const wc = walkCosts(emitter.treeDepths[0]!);
        trim = loopTrim(emitter, wc.deepest, wc.loop + GROUP_STEPS * emitter.trafficTreeGroups[0]!);
      }
      // The tail split (tailSplit): tried by default only where the single
      // tree takes the lockstep loop, not a fixed walk, and no trimmed walk
      // costs less than the loop (`tree.tail`: true always, false never).
      const tryTail = treeOpts.tail === true || (treeOpts.tail === undefined && loop && trim.cap === 0);
      const tail = !tryTail ? null : tailSplit(boxes, emitter, roots[0]!.members, (work) => new TreeEmitter(boxes, { ...treeOpts, recordBudget: partOpts.singleTreeBudget, workBudget: Math.min(work, partOpts.singleTreeWork) }, known), trim.cost);
      if (tail) {
        emitter = tail.emitter;
        roots = tail.roots;
      } else if (trim.cap > 0) {
        ({ emitter, roots } = trimFirst(roots[0]!, trim.cap));
        loopTrimmed = true;
      }
    } catch (e) {
      if (!(e instanceof TreeBudgetExceeded)) throw e;
      emitter = new TreeEmitter(boxes, treeOpts, known);
      roots = build(partitionBoxes(boxes, { ...partOpts, mode: 'split' }));
    }
  } else {
    roots = build(partitionBoxes(boxes, partOpts));
  }
  roots.sort((a, b) => a.minPos - b.minPos);
  // The first tree (every tuple walks it) may take a fixed number of steps (tree.ts fixedWalkSteps).
  let walkSteps = loopTrimmed ? emitter.treeDepths[0]!.length - 1 : fixedWalkSteps(emitter.treeDepths[roots[0]!.built]!);
  const treeWords = (e: TreeEmitter) => e.nodes.length + e.leafEntries.length + e.leaves.length;
  if (walkSteps > 0 && !loopTrimmed && roots.length === 1 && emitter.treeDepths.length === 1 && treeOpts.trim !== false) {
    // Trimmed: a fixed walk costs its deepest leaf's depth for every lane,
    // however few leaves are down there. So the tree may be cut off at a
    // depth c < walkSteps, its nodes at depth c made leaves of the boxes they
    // hold (the same cuts above: the first build is the guide). c goes down
    // one level at a time while the walk model (fillCost, the same as the
    // fill's below) says the step saved for every lane costs more than the
    // groups the bigger leaves add; the costs of every depth come from the
    // first build alone (a node's boxes after shadowing are what its leaf
    // would hold: TreeEmitter.trafficGroupsAtDepth), so only the chosen depth is
    // built. A trimmed tree never holds more leaf records than the one it
    // trims (a node's boxes are at most its leaves' copies). Single trees
    // only: the model has no term for the trees walked after the first, and
    // a trimmed first tree of several (acl2_1k's tail split) measured
    // 0.84-0.95. docs/classifier.md, "Trimmed fixed walks (cls25)".
    const first = roots[0]!;
    const atDepth = emitter.trafficGroupsAtDepth;
    const leafAt = emitter.trafficLeafGroupsAtDepth;
    let bestCost = fillCost(walkSteps, emitter.trafficTreeGroups[first.built]!);
    let cap = walkSteps;
    // above[c]: the groups (x 2^-d) of the leaves above depth c.
    const above: number[] = [0];
    for (let d = 0; d < walkSteps; d++) above.push(above[d]! + (leafAt[d] ?? 0));
    for (let c = walkSteps - 1; c >= 1; c--) {
      const cost = fillCost(c, above[c]! + (atDepth[c] ?? 0));
      if (cost >= bestCost) break;
      bestCost = cost;
      cap = c;
    }
    if (cap < walkSteps) {
      ({ emitter, roots } = trimFirst(first, cap));
      walkSteps = emitter.treeDepths[0]!.length - 1;
    }
  }
  if (walkSteps > 0 && treeOpts.fill !== false && treeWords(emitter) * 4 * FILL_MAX_GROWTH <= FILL_MAX_BYTES) {
    // A fixed walk costs walkSteps steps whatever depth a lane's leaf is at,
    // so the first tree is built again with every leaf above that depth cut
    // on to one group (the same cuts down to the first build's leaves, then
    // more; the other trees as they were): fewer groups scanned, the same
    // walk. Kept while the trees' words stay within FILL_MAX_GROWTH times the
    // first build's or within FILL_SMALL_BYTES (the further cuts copy boxes,
    // and a table that outgrows the caches loses more than the groups save),
    // and within the single-tree budgets; else the first build. A leaf-record
    // budget stops a losing attempt early. Then filled to FILL_MAX_EXTRA more
    // levels, each kept when the walk model (fillCost) says the steps it adds
    // cost less than the groups it saves.
    const first = roots[0]!;
    const others = roots.slice(1);
    let guide = { emitter, root: first.root };
    const firstWords = treeWords(emitter);
    const firstSteps = walkSteps;
    const recordBudget = Math.min(Math.max(FILL_ABORT_GROWTH * emitter.leafRecords, FILL_SMALL_RECORDS), partOpts.mode === 'auto' ? partOpts.singleTreeBudget : Infinity);
    let bestCost = Infinity;
    for (let extra = 0; extra <= FILL_MAX_EXTRA; extra++) {
      const filled = new TreeEmitter(boxes, { ...treeOpts, fillTo: firstSteps + extra, recordBudget, ...(partOpts.mode === 'auto' ? { workBudget: partOpts.singleTreeWork } : {}) }, known);
      let next: Root[];
      try {
        // The same cuts as the first build down to its leaves: taken from it
        // (TreeEmitter.build's guide), not chosen again.
        const root = filled.build(first.members, guide);
        next = [{ ...first, root, built: 0 }, ...others.map((r, i) => ({ ...r, root: filled.build(r.members, undefined, false), built: i + 1 }))];
        // The next, deeper fill cuts where this one cut (the same boxes and
        // regions on the same paths): guided by this one, it chooses cuts
        // only below this one's leaves.
        guide = { emitter: filled, root };
      } catch (e) {
        if (!(e instanceof TreeBudgetExceeded)) throw e;
        break;
      }
      const words = treeWords(filled);
      const depth = filled.treeDepths[0]!.length - 1;
      if (depth < firstSteps || (words > FILL_MAX_GROWTH * firstWords && words * 4 > FILL_SMALL_BYTES)) break;
      const cost = fillCost(depth, filled.trafficTreeGroups[0]!);
      if (extra === 0 || cost < bestCost) {
        bestCost = cost;
        emitter = filled;
        walkSteps = depth;
        roots = next;
      }
      if (depth < firstSteps + extra) break; // no leaf left at the fill depth: deeper fills are the same tree
      // A level deeper costs at least one more step and one group a walk: stop when even that cannot win.
      if (fillCost(firstSteps + extra + 1, 1) >= bestCost) break;
    }
  }
  put(CLASSIFIER.WALK_STEPS, walkSteps);
  put(CLASSIFIER.GROUP_FORM, form);
  let guards = 0;
  if (known) {
    const guard: number[] = [];
    for (let d = 0; d < boxes.K; d++) {
      if (known.lo[d] === 0 && known.hi[d] === 0xffffffff) continue;
      guard.push(boxes.dims[d]!, known.lo[d]!, (known.hi[d]! - known.lo[d]!) >>> 0);
    }
    if (guard.length > 0) {
      out.align(4);
      put(CLASSIFIER.GUARD_OFF, (out.length - base) * 4);
      guards = guard.length / 3;
      put(CLASSIFIER.N_GUARDS, guards);
      out.append(guard);
    }
  }
  out.align(4);
  put(CLASSIFIER.N_TREES, roots.length);
  put(CLASSIFIER.TREES_OFF, (out.length - base) * 4);
  for (let k = 0; k < roots.length; k++) {
    const r = roots[k]!;
    const at = out.reserve(TREE_ENTRY.SIZE / 4);
    out.set(at + TREE_ENTRY.MIN_POS / 4, r.minPos);
    out.set(at + TREE_ENTRY.ROOT / 4, r.root);
    // A later tree's fixed walk, where the walk model says it costs less than the loop (tree.ts fixedWalkSteps; the first tree's is WALK_STEPS).
    out.set(at + TREE_ENTRY.STEPS / 4, k === 0 || options.laterFixed === false ? 0 : fixedWalkSteps(emitter.treeDepths[r.built]!));
  }
  out.align(4);
  put(CLASSIFIER.NODES_OFF, (out.length - base) * 4);
  put(CLASSIFIER.NODE_COUNT, emitter.nodes.length / 2);
  out.append(emitter.nodes.view());
  out.align(4);
  put(CLASSIFIER.LEAF_INFO_OFF, (out.length - base) * 4);
  out.append(emitter.leafEntries.view());
  out.align(4);
  put(CLASSIFIER.LEAVES_OFF, (out.length - base) * 4);
  put(CLASSIFIER.LEAF_BYTES, emitter.leaves.length * 4);
  out.append(emitter.leaves.view());
  out.align(4);
  const max = options.maxBytes ?? 256 * 1024 * 1024;
  if (out.length * 4 > max) {
    throw new TableError(TABLE_ERROR.TOO_BIG, `sgfilter compile: the table grew beyond ${max} bytes (list ${list}, IPv${family}, ${boxes.n} boxes)`);
  }
  return {
    list,
    family,
    boxes: boxes.n,
    sets: sets.length,
    trees: roots.length,
    nodes: emitter.nodes.length / 2,
    leafRecords: emitter.leafRecords,
    maxDepth: emitter.maxDepth,
    walkSteps,
    guards,
    bytes: (out.length - base) * 4,
  };
}

/** Compile every interface × direction of a topology into one table. */
export function compileTopology(topology: Topology, options: CompileOptions = {}): CompiledTable {
  const index = indexTopology(topology);
  // Distinct lists.
  const listKey = new Map<string, number>();
  const lists: { direction: Direction; groups: string[]; rules: OrderedRule[] }[] = [];
  const bindings: number[] = [];
  for (const iface of topology.interfaces) {
    for (const direction of DIRECTIONS) {
      if (iface.groups.length === 0) { bindings.push(NO_LIST); continue; }
      const key = `${direction}\u0000${iface.groups.join('\u0000')}`;
      let li = listKey.get(key);
      if (li === undefined) {
        li = lists.length;
        listKey.set(key, li);
        lists.push({ direction, groups: [...iface.groups], rules: orderedRules(index, iface, direction) });
      }
      bindings.push(li);
    }
  }

  const meta: TableMeta = {
    cloud: topology.cloud,
    interfaces: topology.interfaces.map((i) => i.id),
    lists: lists.map((l) => ({ direction: l.direction, groups: l.groups, rules: l.rules.map((o) => [o.group.id, o.rule.id] as [string, string]) })),
  };
  const metaBytes = new TextEncoder().encode(JSON.stringify(meta));

  const SECTIONS = 4;
  const out = new Words();
  out.reserve((HEADER.SIZE + SECTIONS * SECTION_ENTRY.SIZE) / 4);
  const dir: { kind: number; offset: number; length: number; count: number }[] = [];
  /** A section; `write` may return its exact byte length (else: up to the next 16-byte boundary). */
  const section = (kind: number, count: number, write: () => number | void) => {
    out.align(4);
    const offset = out.length * 4;
    const exact = write();
    out.align(4);
    dir.push({ kind, offset, length: typeof exact === 'number' ? exact : out.length * 4 - offset, count });
  };

  // LISTS (classifier offsets filled in below).
  let listsAt = 0;
  section(SECTION.LISTS, lists.length, () => {
    listsAt = out.reserve((lists.length * LIST_ENTRY.SIZE) / 4);
    lists.forEach((l, i) => out.set(listsAt + (i * LIST_ENTRY.SIZE + LIST_ENTRY.RULE_COUNT) / 4, l.rules.length));
  });
  section(SECTION.BINDINGS, topology.interfaces.length, () => {
    for (let i = 0; i < topology.interfaces.length; i++) {
      const at = out.reserve(BINDING_ENTRY.SIZE / 4);
      out.set(at + BINDING_ENTRY.INGRESS / 4, bindings[i * 2]!);
      out.set(at + BINDING_ENTRY.EGRESS / 4, bindings[i * 2 + 1]!);
    }
  });
  section(SECTION.META, 1, () => {
    const padded = new Uint8Array(Math.ceil(metaBytes.length / 4) * 4);
    padded.set(metaBytes);
    out.append(new Uint32Array(padded.buffer));
    return metaBytes.length;
  });
  const stats: ClassifierStats[] = [];
  section(SECTION.CLASSIFIERS, 0, () => {
    lists.forEach((l, li) => {
      for (const family of [4, 6] as const) {
        out.align(4);
        const at = out.length * 4;
        const s = emitClassifier(out, l.rules, family, index, options, li);
        if (!s) continue;
        stats.push(s);
        out.set(listsAt + (li * LIST_ENTRY.SIZE + (family === 4 ? LIST_ENTRY.V4 : LIST_ENTRY.V6)) / 4, at);
      }
    });
  });
  dir[dir.length - 1]!.count = stats.length;

  // Header and directory.
  const length = out.length * 4;
  out.set(HEADER.MAGIC / 4, TABLE_MAGIC);
  out.set(HEADER.VERSION / 4, TABLE_VERSION);
  out.set(HEADER.LENGTH / 4, length);
  out.set(HEADER.N_SECTIONS / 4, dir.length);
  dir.forEach((s, i) => {
    const at = (HEADER.SIZE + i * SECTION_ENTRY.SIZE) / 4;
    out.set(at + SECTION_ENTRY.KIND / 4, s.kind);
    out.set(at + SECTION_ENTRY.OFFSET / 4, s.offset);
    out.set(at + SECTION_ENTRY.LENGTH / 4, s.length);
    out.set(at + SECTION_ENTRY.COUNT / 4, s.count);
  });
  const words = out.view();
  const bytes = new Uint8Array(words.buffer, words.byteOffset, length).slice();
  new DataView(bytes.buffer).setUint32(HEADER.CHECKSUM, fnv1a(bytes, 16, length), true);
  return { bytes, meta, stats };
}

/** Used by tests: the boxes of one list for one family. */
export function boxesOf(topology: Topology, iface: string, direction: Direction, family: Family): BoxSet {
  const index = indexTopology(topology);
  const i = index.interfaces.get(iface);
  if (!i) throw new ApiUsageError(`no interface ${iface}`);
  return rulesToBoxes(orderedRules(index, i, direction).map((o) => o.rule), family, index).boxes;
}
