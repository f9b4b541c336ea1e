/**
 * The tree builder's cut choice (src/compile/tree.ts, TreeOptions.cut
 * 'balance', the default): at a node, the cut over every dimension and every
 * box endpoint whose larger child holds the fewest boxes, boxes copied to
 * both children counting half. The oracle below recounts every candidate cut
 * by brute force from that definition (not from the builder's sorted sweep).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { BoxSet } from '../../src/compile/boxes.js';
import { DIMS_V4 } from '../../src/compile/boxes.js';
import { NODE } from '../../src/compile/format.js';
import { TreeBudgetExceeded, TreeEmitter, boundingBox, fixedWalkSteps } from '../../src/compile/tree.js';
import { propertyRuns } from '../helpers/fuzz.js';

const K = DIMS_V4.length;

/** n random IPv4 boxes over small coordinates (so endpoints collide often). */
const boxesArb = fc.array(
  fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 })), { minLength: K, maxLength: K }),
  { minLength: 13, maxLength: 40 },
).map((rows): BoxSet => {
  const n = rows.length;
  const lo = new Uint32Array(n * K);
  const hi = new Uint32Array(n * K);
  rows.forEach((dims, b) => dims.forEach(([x, y], d) => {
    // A third of the ranges span the whole dimension (wildcards).
    const wide = (x + y + b + d) % 3 === 0;
    lo[b * K + d] = wide ? 0 : Math.min(x, y);
    hi[b * K + d] = wide ? 0xffffffff : Math.max(x, y);
  }));
  return { family: 4, dims: DIMS_V4, K, n, lo, hi, pos: Int32Array.from(rows, (_, i) => i), set: new Int32Array(n).fill(-1) };
});

/** Boxes (the first n) in the left child (lo <= thr) and the right one (hi > thr) of a cut at `thr` in dimension d. */
function sides(boxes: BoxSet, n: number, d: number, thr: number): [number, number] {
  let l = 0;
  let r = 0;
  for (let b = 0; b < n; b++) {
    if (boxes.lo[b * K + d]! <= thr) l++;
    if (boxes.hi[b * K + d]! > thr) r++;
  }
  return [l, r];
}

test('balance cut: the root cut has the least max(L, R) + (L + R) / 2 of all candidate cuts', () => {
  fc.assert(fc.property(boxesArb, (boxes) => {
    // The root sees the boxes up to the first that covers everything (the rest are shadowed).
    let n = boxes.n;
    for (let b = 0; b < boxes.n; b++) {
      let all = true;
      for (let d = 0; d < K; d++) if (boxes.lo[b * K + d] !== 0 || boxes.hi[b * K + d] !== 0xffffffff) all = false;
      if (all) { n = b + 1; break; }
    }
    fc.pre(n > 12);
    const e = new TreeEmitter(boxes, { binth: 12, maxDepth: 64, cut: 'balance' });
    const root = e.build(Int32Array.from({ length: boxes.n }, (_, i) => i));
    const words = e.nodes.view();
    const thr = words[root * 2]!;
    const meta = words[root * 2 + 1]!;
    const child = Math.floor(meta / (NODE.KEY_MASK + 1));
    assert.ok(child !== root, 'the root is an inner node');
    const d = DIMS_V4.indexOf((meta & NODE.KEY_MASK) as (typeof DIMS_V4)[number]);
    assert.ok(d >= 0, `a key offset of an IPv4 dimension, got ${meta & NODE.KEY_MASK}`);
    const cost = ([l, r]: [number, number]) => Math.max(l, r) + (l + r) / 2;
    const got = cost(sides(boxes, n, d, thr));
    // Every candidate: a cut just below some box's start or just after some box's end, inside the dimension.
    let best = Infinity;
    for (let dd = 0; dd < K; dd++) {
      for (let b = 0; b < n; b++) {
        for (const t of [boxes.lo[b * K + dd]! - 1, boxes.hi[b * K + dd]!]) {
          if (t < 0 || t >= 0xffffffff) continue;
          best = Math.min(best, cost(sides(boxes, n, dd, t)));
        }
      }
    }
    assert.is(got, best, `root cut dim ${d} at ${thr}: cost ${got}, the best candidate ${best}`);
  }), { ...propertyRuns(200), seed: 1313 });
});

test('weighted cut (the earlier builder) stays available and builds a tree over the same boxes', () => {
  fc.assert(fc.property(boxesArb, (boxes) => {
    const e = new TreeEmitter(boxes, { binth: 2, maxDepth: 64, cut: 'weighted' });
    const root = e.build(Int32Array.from({ length: boxes.n }, (_, i) => i));
    assert.ok(root >= 0 && e.nodes.length >= 2);
  }), { ...propertyRuns(50), seed: 1314 });
});

test('fillTo: the same cuts as the first build down to its leaves, then on, never below fillTo', () => {
  fc.assert(fc.property(boxesArb, fc.integer({ min: 1, max: 6 }), (boxes, fillTo) => {
    const members = () => Int32Array.from({ length: boxes.n }, (_, i) => i);
    const first = new TreeEmitter(boxes, { binth: 12, maxDepth: 64, cut: 'balance' });
    const r1 = first.build(members());
    const filled = new TreeEmitter(boxes, { binth: 12, maxDepth: 64, cut: 'balance', fillTo });
    const r2 = filled.build(members());
    const a = first.nodes.view();
    const b = filled.nodes.view();
    // Walk both trees together: where the first has an inner node above fillTo, the filled one has the same cut.
    const walk = (x: number, y: number, depth: number): void => {
      const ax = Math.floor(a[x * 2 + 1]! / (NODE.KEY_MASK + 1));
      const by = Math.floor(b[y * 2 + 1]! / (NODE.KEY_MASK + 1));
      if (by === y) {
        assert.ok(depth <= fillTo, `a leaf at depth ${depth} below fillTo ${fillTo}`);
        return;
      }
      assert.ok(depth < fillTo, `an inner node at depth ${depth}, fillTo ${fillTo}`);
      if (ax !== x) {
        assert.is(b[y * 2], a[x * 2], 'the same threshold');
        assert.is(b[y * 2 + 1]! & NODE.KEY_MASK, a[x * 2 + 1]! & NODE.KEY_MASK, 'the same dimension');
        walk(ax, by, depth + 1);
        walk(ax + 1, by + 1, depth + 1);
      } else {
        walk(x, by, depth + 1);
        walk(x, by + 1, depth + 1);
      }
    };
    walk(r1, r2, 0);
  }), { ...propertyRuns(100), seed: 1315 });
});


/** Two emitters built the same tree: nodes, leaf entries, leaves and their counts, word for word. */
function assertSameTree(guided: TreeEmitter, plain: TreeEmitter): void {
  assert.equal([...guided.nodes.view()], [...plain.nodes.view()], 'nodes');
  assert.equal([...guided.leafEntries.view()], [...plain.leafEntries.view()], 'leaf entries');
  assert.equal([...guided.leaves.view()], [...plain.leaves.view()], 'leaves');
  assert.equal([guided.leafRecords, guided.maxDepth, guided.work, [...guided.leafDepths]], [plain.leafRecords, plain.maxDepth, plain.work, [...plain.leafDepths]]);
}
test('a build guided by an earlier tree (compile.ts\'s filled build) is word for word the unguided one', () => {
  fc.assert(fc.property(boxesArb, fc.integer({ min: 1, max: 8 }), fc.constantFrom(2, 4, 12), (boxes, fillTo, binth) => {
    const members = () => Int32Array.from({ length: boxes.n }, (_, i) => i);
    const first = new TreeEmitter(boxes, { binth, maxDepth: 64, cut: 'balance' });
    const root = first.build(members());
    const plain = new TreeEmitter(boxes, { binth, maxDepth: 64, cut: 'balance', fillTo });
    const r1 = plain.build(members());
    const guided = new TreeEmitter(boxes, { binth, maxDepth: 64, cut: 'balance', fillTo });
    const r2 = guided.build(members(), { emitter: first, root });
    assert.is(r2, r1);
    assertSameTree(guided, plain);
  }), { ...propertyRuns(100), seed: 1316 });
});

test('a fill guided by the fill one level shallower (compile.ts\'s deeper fills) is word for word the unguided one', () => {
  fc.assert(fc.property(boxesArb, fc.integer({ min: 1, max: 8 }), fc.constantFrom(2, 4, 12), (boxes, fillTo, binth) => {
    const members = () => Int32Array.from({ length: boxes.n }, (_, i) => i);
    const first = new TreeEmitter(boxes, { binth, maxDepth: 64, cut: 'balance' });
    const root0 = first.build(members());
    const shallower = new TreeEmitter(boxes, { binth, maxDepth: 64, cut: 'balance', fillTo });
    const root1 = shallower.build(members(), { emitter: first, root: root0 });
    const plain = new TreeEmitter(boxes, { binth, maxDepth: 64, cut: 'balance', fillTo: fillTo + 1 });
    const r1 = plain.build(members());
    const guided = new TreeEmitter(boxes, { binth, maxDepth: 64, cut: 'balance', fillTo: fillTo + 1 });
    const r2 = guided.build(members(), { emitter: shallower, root: root1 });
    assert.is(r2, r1);
    assertSameTree(guided, plain);
  }), { ...propertyRuns(100), seed: 1317 });
});

test('a dry build (cuts only) throws on the work budget exactly when the real build does, and guides a build to the unguided tree (compile.ts\'s single-tree attempt)', () => {
  fc.assert(fc.property(boxesArb, fc.constantFrom(2, 4, 12), fc.integer({ min: 1, max: 600 }), (boxes, binth, workBudget) => {
    const members = () => Int32Array.from({ length: boxes.n }, (_, i) => i);
    const outcome = (f: () => number): number | 'over' => {
      try { return f(); } catch (e) { if (e instanceof TreeBudgetExceeded) return 'over'; throw e; }
    };
    const plain = new TreeEmitter(boxes, { binth, maxDepth: 64, cut: 'balance', workBudget });
    const r1 = outcome(() => plain.build(members()));
    const dry = new TreeEmitter(boxes, { binth, maxDepth: 64, cut: 'balance', workBudget, dry: true });
    const r0 = outcome(() => dry.build(members()));
    assert.is(r0 === 'over', r1 === 'over', 'the same verdict on the work budget');
    if (r0 === 'over' || r1 === 'over') return;
    assert.is(dry.leaves.length, 0, 'a dry build emits no leaf');
    const guided = new TreeEmitter(boxes, { binth, maxDepth: 64, cut: 'balance', workBudget });
    const r2 = guided.build(members(), { emitter: dry, root: r0 });
    assert.is(r2, r1);
    assertSameTree(guided, plain);
    assert.equal(
      [guided.trafficTreeGroups, guided.trafficTreeDepth, guided.trafficGroupsAtDepth, guided.trafficLeafGroupsAtDepth],
      [plain.trafficTreeGroups, plain.trafficTreeDepth, plain.trafficGroupsAtDepth, plain.trafficLeafGroupsAtDepth],
      'traffic model',
    );
  }), { ...propertyRuns(100), seed: 1330 });
});

test('a guide built over other boxes is refused', () => {
  const boxes = fc.sample(boxesArb, { numRuns: 2, seed: 1317 });
  const first = new TreeEmitter(boxes[0]!);
  const root = first.build(Int32Array.from({ length: boxes[0]!.n }, (_, i) => i));
  const other = new TreeEmitter(boxes[1]!);
  assert.throws(() => other.build(Int32Array.from({ length: boxes[1]!.n }, (_, i) => i), { emitter: first, root }), /guide over other boxes/);
});

test('fixedWalkSteps: the cost model of docs/classifier.md, worked by hand', () => {
  // 16 leaves at depth 4: the loop takes 2*ceil(5/2) = 6 steps (+1/12 for its
  // exit tests: 6.5), a fixed walk 4 (+2/96: 4.08): fixed, 4 steps.
  assert.is(fixedWalkSteps([0, 0, 0, 0, 16]), 4);
  // Half the leaves at depth 5, half at 6: P(deepest of 8 <= 5) = 1/256, so
  // the loop costs (6/256 + 8 * 255/256) * 13/12 = 8.66 against 6 * 1.02: 6.
  assert.is(fixedWalkSteps([0, 0, 0, 0, 0, 100, 100]), 6);
  // 1000 leaves at depth 10, one at 20: P(all 8 at 10) = (1000/1001)^8 = 0.992,
  // loop (0.992 * 12 + 0.008 * 22) * 13/12 = 13.1 against 20 * 1.02: the loop.
  const deep: number[] = [];
  deep[10] = 1000;
  deep[20] = 1;
  assert.is(fixedWalkSteps(deep), 0);
  // No tree, or a root that is a leaf: nothing to walk.
  assert.is(fixedWalkSteps([]), 0);
  assert.is(fixedWalkSteps([1]), 0);
});


/**
 * Bounding-box roots (TreeOptions.clip, the default): the tree cuts within
 * the boxes' bounding box, and its leaves must still refuse keys outside it.
 * The oracle is the definition — the first box (by position) containing the
 * key — over keys inside and outside the box, against a JS walk of the
 * emitted nodes and leaf groups (format.ts "Node", "Leaf group").
 */
const narrowBoxesArb = fc.array(
  fc.array(fc.tuple(fc.integer({ min: 5, max: 25 }), fc.integer({ min: 5, max: 25 })), { minLength: K, maxLength: K }),
  { minLength: 1, maxLength: 40 },
).map((rows): BoxSet => {
  const n = rows.length;
  const lo = new Uint32Array(n * K);
  const hi = new Uint32Array(n * K);
  rows.forEach((dims, b) => dims.forEach(([x, y], d) => {
    // Dimension 0 never a wildcard (so the bounding box is narrower than the space there); the others sometimes.
    const wide = d > 0 && (x + y + b + d) % 4 === 0;
    lo[b * K + d] = wide ? 0 : Math.min(x, y);
    hi[b * K + d] = wide ? 0xffffffff : Math.max(x, y);
  }));
  return { family: 4, dims: DIMS_V4, K, n, lo, hi, pos: Int32Array.from(rows, (_, i) => i), set: new Int32Array(n).fill(-1) };
});

/** The emitted tree's answer for `key` (one value per dimension): the guard (`known`), the walk, then the leaf's groups. */
function lookup(e: TreeEmitter, boxes: BoxSet, root: number, key: number[], known?: { lo: Uint32Array; hi: Uint32Array }): number {
  if (known && key.some((k, d) => k < known.lo[d]! || k > known.hi[d]!)) return -1;
  const tuple = new Uint32Array(16);
  boxes.dims.forEach((off, d) => { tuple[off / 4] = key[d]!; });
  const nodes = e.nodes.view();
  let n = root;
  for (;;) {
    const meta = nodes[n * 2 + 1]!;
    const next = Math.floor(meta / (NODE.KEY_MASK + 1)) + (tuple[(meta & NODE.KEY_MASK) / 4]! > nodes[n * 2]! ? 1 : 0);
    if (next === n) break;
    n = next;
  }
  const entries = e.leafEntries.view();
  const leaves = e.leaves.view();
  let w = entries[n * 2]! / 4;
  for (let g = 0; g < entries[n * 2 + 1]!; g++) {
    const head = leaves[w + 4]!;
    const nDims = head & 0xff;
    let ok = [true, true, true, true];
    for (let j = 0; j < nDims; j++) {
      const byte = 18 + j;
      const keyOff = (leaves[w + (byte >> 2)]! >>> (8 * (byte & 3))) & 0xff;
      const k = tuple[keyOff / 4]!;
      const d = w + 8 + j * 8;
      ok = ok.map((v, i) => v && ((k - leaves[d + i]!) >>> 0) <= leaves[d + 4 + i]!);
    }
    const lane = ok.indexOf(true);
    if (lane >= 0) return leaves[w + lane]!;
    w += 8 + nDims * 8;
  }
  return -1;
}

test('bounding-box roots and the guard: every key, inside the boxes\' bounding box or outside it, gets the first box containing it', () => {
  const coord = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constant(0xffffffff));
  fc.assert(fc.property(narrowBoxesArb, fc.constantFrom(1, 2, 4, 12), fc.array(fc.array(coord, { minLength: K, maxLength: K }), { minLength: 20, maxLength: 60 }), (boxes, binth, keys) => {
    const members = Int32Array.from({ length: boxes.n }, (_, i) => i);
    // clip with the guard (compile.ts), clip without one, neither (the builder before).
    for (const [clip, known] of [[true, boundingBox(boxes)], [true, undefined], [false, undefined]] as const) {
      const e = new TreeEmitter(boxes, { binth, maxDepth: 64, cut: 'balance', clip }, known);
      const root = e.build(members.slice());
      for (const key of keys) {
        let want = -1;
        for (let b = 0; b < boxes.n && want < 0; b++) {
          let inside = true;
          for (let d = 0; d < K; d++) if (key[d]! < boxes.lo[b * K + d]! || key[d]! > boxes.hi[b * K + d]!) inside = false;
          if (inside) want = b;
        }
        assert.is(lookup(e, boxes, root, key, known), want, `clip ${clip}, guard ${!!known}, binth ${binth}, key ${key.join(',')}`);
      }
    }
  }), { ...propertyRuns(200), seed: 1316 });
});

test('bounding-box roots: no cut outside the bounding box (the root region is the box, not the space)', () => {
  fc.assert(fc.property(narrowBoxesArb, (boxes) => {
    const e = new TreeEmitter(boxes, { binth: 1, maxDepth: 64, cut: 'balance' });
    e.build(Int32Array.from({ length: boxes.n }, (_, i) => i));
    let lo0 = 0xffffffff;
    let hi0 = 0;
    for (let b = 0; b < boxes.n; b++) { lo0 = Math.min(lo0, boxes.lo[b * K]!); hi0 = Math.max(hi0, boxes.hi[b * K]!); }
    const nodes = e.nodes.view();
    for (let n = 0; n < nodes.length / 2; n++) {
      const meta = nodes[n * 2 + 1]!;
      if (Math.floor(meta / (NODE.KEY_MASK + 1)) === n || (meta & NODE.KEY_MASK) !== boxes.dims[0]) continue;
      assert.ok(nodes[n * 2]! >= lo0 && nodes[n * 2]! < hi0, `a cut at ${nodes[n * 2]} in dimension 0, outside the bounding box [${lo0}, ${hi0}]`);
    }
  }), { ...propertyRuns(200), seed: 1317 });
});

/**
 * The rule-traffic model (TreeEmitter.trafficTreeGroups / trafficTreeDepth,
 * docs/classifier.md "A traffic model from the rules"), recomputed by brute
 * force from the emitted words alone: every leaf's boxes read back from its
 * groups (a group's padding lanes repeat its last box), each box with a leaf
 * weighing 1/m, shared evenly by its copies; a packet of box b in leaf l
 * scans l's groups up to b's own, at l's depth.
 */
function trafficOracle(e: TreeEmitter, root: number): { groups: number; depth: number } {
  const nodes = e.nodes.view();
  const info = e.leafEntries.view();
  const leaves = e.leafEntries.length > 0 ? e.leaves.view() : new Uint32Array(0);
  const found: { depth: number; boxes: number[] }[] = [];
  const walk = (node: number, depth: number) => {
    const child = nodes[node * 2 + 1]! >>> 6;
    if (child !== node) { walk(child, depth + 1); walk(child + 1, depth + 1); return; }
    let w = info[node * 2]! / 4;
    const boxes: number[] = [];
    for (let g = 0; g < info[node * 2 + 1]!; g++) {
      for (let l = 0; l < 4; l++) if (l === 0 || leaves[w + l] !== leaves[w + l - 1]) boxes.push(leaves[w + l]!);
      const head = leaves[w + 4]!;
      w += 8 + (head & 0xff) * 8 + ((head >>> 8) & 0xff ? 4 : 0);
    }
    found.push({ depth, boxes });
  };
  walk(root, 0);
  const copies = new Map<number, number>();
  for (const f of found) for (const b of f.boxes) copies.set(b, (copies.get(b) ?? 0) + 1);
  const m = copies.size;
  let groups = 0;
  let depth = 0;
  for (const f of found) {
    f.boxes.forEach((b, i) => {
      groups += (Math.floor(i / 4) + 1) / copies.get(b)! / m;
      depth += f.depth / copies.get(b)! / m;
    });
  }
  return { groups, depth };
}

test('rule-traffic model: the groups scanned and the depth, as a brute-force count over the emitted leaves gives them', () => {
  fc.assert(fc.property(boxesArb, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 2 }), (boxes, binth, mode) => {
    const members = Int32Array.from({ length: boxes.n }, (_, i) => i);
    // mode 0: plain; 1: filled to depth 6; 2: capped at depth 3 (compile.ts's trimmed trees).
    const e = new TreeEmitter(boxes, { binth, maxDepth: 64, cut: 'balance', ...(mode === 1 ? { fillTo: 6 } : {}) });
    const root = e.build(members, undefined, true, mode === 2 ? 3 : undefined);
    const want = trafficOracle(e, root);
    assert.ok(Math.abs(e.trafficTreeGroups[0]! - want.groups) < 1e-9, `groups ${e.trafficTreeGroups[0]} vs ${want.groups}`);
    assert.ok(Math.abs(e.trafficTreeDepth[0]! - want.depth) < 1e-9, `depth ${e.trafficTreeDepth[0]} vs ${want.depth}`);
    // The per-depth leaf sums add up to the tree's, and the root "as a leaf" scans its own list.
    const sum = e.trafficLeafGroupsAtDepth.reduce((a, x) => a + x, 0);
    assert.ok(Math.abs(sum - want.groups) < 1e-9);
  }), propertyRuns(200));
});

/**
 * The traffic model's per-depth node sums (TreeEmitter.trafficGroupsAtDepth:
 * each node's groups were it a leaf of its boxes; compile.ts's trims), by
 * brute force from the definition: the emitted tree walked with its regions
 * (the root's the boxes' bounding box), a node's boxes every box meeting its
 * region in position order up to the first that covers it, and a packet of
 * box b in each leaf holding b (weight 1/m/copies) scanning, at every node on
 * the leaf's path, that node's groups up to b's.
 */
test('rule-traffic model: the node sums per depth, as a brute-force count over the emitted tree gives them', () => {
  fc.assert(fc.property(boxesArb, fc.integer({ min: 1, max: 12 }), (boxes, binth) => {
    const members = Int32Array.from({ length: boxes.n }, (_, i) => i);
    const e = new TreeEmitter(boxes, { binth, maxDepth: 64, cut: 'balance' });
    const root = e.build(members);
    const { K, lo, hi, set, pos } = boxes;
    const bb = boundingBox(boxes);
    const nodes = e.nodes.view();
    const nodeBoxes = (rl: number[], rh: number[]): number[] => {
      const out: number[] = [];
      for (let b = 0; b < boxes.n; b++) {
        let meets = true;
        let covers = true;
        for (let d = 0; d < K; d++) {
          if (lo[b * K + d]! > rh[d]! || hi[b * K + d]! < rl[d]!) meets = false;
          if (lo[b * K + d]! > rl[d]! || hi[b * K + d]! < rh[d]!) covers = false;
        }
        if (!meets) continue;
        out.push(b);
        if (covers && set[b]! < 0) break;
      }
      return out;
    };
    const paths: { leaf: number[]; path: number[][] }[] = [];
    const walk = (node: number, rl: number[], rh: number[], path: number[][]) => {
      const here = nodeBoxes(rl, rh);
      const meta = nodes[node * 2 + 1]!;
      const child = Math.floor(meta / (NODE.KEY_MASK + 1));
      if (child === node) { paths.push({ leaf: here, path: [...path, here] }); return; }
      const d = boxes.dims.indexOf(meta & NODE.KEY_MASK);
      const thr = nodes[node * 2]!;
      const lh = [...rh]; lh[d] = thr;
      const rr = [...rl]; rr[d] = thr + 1;
      walk(child, rl, lh, [...path, here]);
      walk(child + 1, rr, rh, [...path, here]);
    };
    walk(root, [...bb.lo], [...bb.hi], []);
    const copies = new Map<number, number>();
    for (const p of paths) for (const b of p.leaf) copies.set(b, (copies.get(b) ?? 0) + 1);
    const m = copies.size;
    const want: number[] = [];
    for (const p of paths) {
      for (const b of p.leaf) {
        p.path.forEach((list, a) => {
          want[a] = (want[a] ?? 0) + (Math.floor(list.indexOf(b) / 4) + 1) / copies.get(b)! / m;
        });
      }
    }
    assert.ok(pos.length === boxes.n);
    for (let a = 0; a < Math.max(want.length, e.trafficGroupsAtDepth.length); a++) {
      const got = e.trafficGroupsAtDepth[a] ?? 0;
      assert.ok(Math.abs(got - (want[a] ?? 0)) < 1e-9, `depth ${a}: ${got} vs ${want[a] ?? 0}`);
    }
  }), propertyRuns(200));
});

test.run();
