/**
 * Crafted tables with a recomputed checksum (issue 9 §4): the checksum proves
 * nothing against a deliberate edit, so loading checks every offset, count
 * and tree link (src/compile/validate.ts). Before that check, a node whose
 * child points back at itself (or a LISTS pointer into the middle of a
 * classifier) loaded fine and made `classify` loop for ever; now each is
 * refused at load with the byte offset and what was expected.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileTopology } from '../../src/compile/compile.js';
import { CLASSIFIER, GROUP_FORM_ALL5, GUARD, HEADER, LEAF_ENTRY, LEAF_GROUP, LIST_ENTRY, NODE, SECTION, TableError, TREE_ENTRY, fnv1a, validateTable } from '../../src/compile/format.js';
import { TupleBatch, WasmTable } from '../../src/compile/matcher.js';
import { Table } from '../../src/compile/table.js';
import { WasmInstance } from '../../src/wasm/loader.js';
import { parseNativeTopology } from '../../src/parse/native.js';
import { referencePositions, treeTopology, type Probe } from './helpers.js';

function reseal(b: Uint8Array): Uint8Array {
  new DataView(b.buffer, b.byteOffset).setUint32(HEADER.CHECKSUM, fnv1a(b, 16, b.length), true);
  return b;
}

/** Where things are in a compiled table. */
function layout(bytes: Uint8Array) {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sections = validateTable(bytes);
  const lists = sections.get(SECTION.LISTS)!;
  const cls = dv.getUint32(lists.offset + LIST_ENTRY.V4, true);
  const f = (x: number) => dv.getUint32(cls + x, true);
  const nodes = cls + f(CLASSIFIER.NODES_OFF);
  const nodeCount = f(CLASSIFIER.NODE_COUNT);
  const inner: number[] = [];
  const leaf: number[] = [];
  for (let i = 0; i < nodeCount; i++) (dv.getUint32(nodes + i * NODE.SIZE + NODE.META, true) >>> NODE.KEY_BITS === i ? leaf : inner).push(i);
  return { dv, sections, lists, cls, nodes, nodeCount, inner, leaf, info: cls + f(CLASSIFIER.LEAF_INFO_OFF), trees: cls + f(CLASSIFIER.TREES_OFF), records: cls + f(CLASSIFIER.RECORDS_OFF) };
}

function refused(bytes: Uint8Array, expect: string | RegExp): void {
  try {
    new Table(bytes, 'x.sgft');
  } catch (e) {
    assert.instance(e, TableError);
    assert.match((e as Error).message, /^x\.sgft: byte \d+: /);
    assert.match((e as Error).message, expect);
    return;
  }
  assert.unreachable(`the crafted table was accepted (expected: ${expect})`);
}

const good = compileTopology(treeTopology()).bytes;

test('the compiled table has inner nodes and loads; it answers', () => {
  const L = layout(good);
  assert.ok(L.inner.length >= 3, `${L.inner.length} inner nodes`);
  const table = new Table(good.slice(), 'x.sgft');
  const wasm = new WasmInstance();
  const batch = new TupleBatch(wasm, 1);
  batch.set(0, table.listFor('a', 'ingress')!, { family: 4, proto: 17, sport: 5, dport: 100, remote: 0x0a000001n, local: 0x0ac80001n });
  batch.run(new WasmTable(wasm, table), 'optimized', 1);
  assert.is(batch.result(0), 0);
});

test('a node whose child points back at itself (a cycle) is refused at load', () => {
  const b = good.slice();
  const L = layout(b);
  const i = L.inner[1]!;
  const meta = L.dv.getUint32(L.nodes + i * 8 + 4, true);
  L.dv.setUint32(L.nodes + i * 8 + 4, i * 64 + (meta & 63), true);
  // Its own child with a real threshold: a key above it steps to the next node, a key below stays.
  refused(reseal(b), /its own child\) has threshold/);
});

test('format 2 leaves: a leaf with a threshold some key exceeds, or a leaf entry off the groups, is refused', () => {
  const edit = (fn: (L: ReturnType<typeof layout>) => void, expect: string | RegExp) => {
    const b = good.slice();
    fn(layout(b));
    refused(reseal(b), expect);
  };
  // A leaf is a fixed point of the walk only with the threshold no key exceeds.
  edit((L) => L.dv.setUint32(L.nodes + L.leaf[0]! * NODE.SIZE + NODE.THRESHOLD, 0xfffffffe, true), /leaf node \d+ .* threshold 4294967294/);
  // Its leaf entry names groups outside the group area.
  edit((L) => L.dv.setUint32(L.info + L.leaf[0]! * LEAF_ENTRY.SIZE + LEAF_ENTRY.COUNT, 1 << 20, true), 'not groups of the leaf area');
  edit((L) => L.dv.setUint32(L.info + L.leaf[0]! * LEAF_ENTRY.SIZE + LEAF_ENTRY.FIRST, 8, true), 'not groups of the leaf area');
  // The leaf entry area itself outside the section.
  edit((L) => L.dv.setUint32(L.cls + CLASSIFIER.LEAF_INFO_OFF, 0x7ffffff0, true), 'the leaf entries');
  // A leaf's key offset outside the tuple (the walk still loads its key).
  edit((L) => { const p = L.nodes + L.leaf[0]! * NODE.SIZE + NODE.META; L.dv.setUint32(p, L.dv.getUint32(p, true) | 62, true); }, 'key offset 62');
});

test('a child pointing backwards to the root (a longer cycle) is refused', () => {
  const b = good.slice();
  const L = layout(b);
  const i = L.inner[L.inner.length - 1]!;
  const meta = L.dv.getUint32(L.nodes + i * 8 + 4, true);
  L.dv.setUint32(L.nodes + i * 8 + 4, 0 * 64 + (meta & 63), true);
  refused(reseal(b), 'must come after it');
});

test('a LISTS pointer into the middle of a classifier, or outside CLASSIF, is refused', () => {
  let b = good.slice();
  let L = layout(b);
  L.dv.setUint32(L.lists.offset + LIST_ENTRY.V4, L.nodes - (L.nodes % 16), true);
  refused(reseal(b), 'family');
  b = good.slice();
  L = layout(b);
  L.dv.setUint32(L.lists.offset + LIST_ENTRY.V4, 16, true);
  refused(reseal(b), 'inside the CLASSIF section');
  b = good.slice();
  L = layout(b);
  L.dv.setUint32(L.lists.offset + LIST_ENTRY.V4, L.cls + 4, true);
  refused(reseal(b), '16-byte aligned');
});

test('a LISTS pointer to another list\'s classifier with more rules than the list has is refused (found by the fuzzer)', () => {
  const b = good.slice();
  const L = layout(b);
  assert.is(L.lists.count, 2, 'ingress (40 rules) and egress (none)');
  assert.is(L.dv.getUint32(L.lists.offset + LIST_ENTRY.SIZE + LIST_ENTRY.RULE_COUNT, true), 0);
  L.dv.setUint32(L.lists.offset + LIST_ENTRY.SIZE + LIST_ENTRY.V4, L.cls, true);
  refused(reseal(b), "list 1's IPv4 classifier at");
});

test('bad counts and links: tree root, node count, leaf group count, key offset, rule position, list count', () => {
  const edit = (fn: (L: ReturnType<typeof layout>) => void, expect: string) => {
    const b = good.slice();
    fn(layout(b));
    refused(reseal(b), expect);
  };
  edit((L) => L.dv.setUint32(L.trees + TREE_ENTRY.ROOT, L.nodeCount, true), 'root');
  edit((L) => L.dv.setUint32(L.cls + CLASSIFIER.NODE_COUNT, L.nodeCount + 1000, true), 'outside the CLASSIF section');
  edit((L) => L.dv.setUint32(L.cls + CLASSIFIER.N_RECORDS, 1 << 30, true), 'rule records');
  edit((L) => L.dv.setUint32(L.info + L.leaf[0]! * LEAF_ENTRY.SIZE + LEAF_ENTRY.COUNT, 1 << 20, true), 'not groups of the leaf area');
  edit((L) => { const p = L.nodes + L.inner[0]! * 8 + 4; L.dv.setUint32(p, (L.dv.getUint32(p, true) & ~63) | 62, true); }, 'key offset 62');
  edit((L) => L.dv.setUint32(L.records, 40, true), 'rule position 40, but the list has 40 rules');
  edit((L) => L.dv.setUint32(HEADER.SIZE + 12, 1 << 24, true), 'cannot hold');
});

test('WALK_STEPS: the depth of the one tree\'s deepest leaf, or 0 (walk until no lane moves); anything else is refused', () => {
  const L0 = layout(good);
  const steps = L0.dv.getUint32(L0.cls + CLASSIFIER.WALK_STEPS, true);
  // The compiled tree (first built to depth 2, then filled below it: compile.ts) walks a fixed number of steps.
  assert.ok(steps >= 2, `a fixed walk of ${steps} steps`);
  const edit = (v: number, expect: string | RegExp) => {
    const b = good.slice();
    const L = layout(b);
    L.dv.setUint32(L.cls + CLASSIFIER.WALK_STEPS, v, true);
    refused(reseal(b), expect);
  };
  // Fewer steps would leave lanes at inner nodes; a huge count would run that many steps per 8 tuples.
  edit(steps - 1, new RegExp(`WALK_STEPS is ${steps - 1}, but the tree's deepest leaf is ${steps} steps from its root`));
  edit(steps + 1, new RegExp(`WALK_STEPS is ${steps + 1}, but the tree's deepest leaf is ${steps}`));
  edit(0xffffffff, /WALK_STEPS is 4294967295/);
  // 0 loads, and the 8-lane walk (the loop) gives the same answers as the fixed one.
  const b = good.slice();
  const L = layout(b);
  L.dv.setUint32(L.cls + CLASSIFIER.WALK_STEPS, 0, true);
  const answers = (bytes: Uint8Array) => {
    const table = new Table(bytes, 'x.sgft');
    const wasm = new WasmInstance();
    const batch = new TupleBatch(wasm, 64);
    const list = table.listFor('a', 'ingress')!;
    // treeTopology's rule r: tcp (odd r) or udp, dport 100 + 7r, remote 10.r.0.0/16; probes 40..63 miss on the port.
    for (let k = 0; k < 64; k++) {
      const r = k % 40;
      batch.set(k, list, { family: 4, proto: r % 2 ? 6 : 17, sport: 5, dport: 100 + 7 * r + (k >= 40 ? 1 : 0), remote: 0x0a000001n + (BigInt(r) << 16n), local: 0x0ac80001n });
    }
    batch.run(new WasmTable(wasm, table), 'optimized', 64);
    return [...batch.results(64)];
  };
  const fixed = answers(good.slice());
  assert.equal(answers(reseal(b)), fixed);
  assert.ok(new Set(fixed).size > 1, `the probes reach several rules: ${fixed.join(',')}`);
});

test('the guard: a count without an offset, an offset without a count, too many entries, an entry outside CLASSIF or a key outside the tuple is refused', () => {
  const L0 = layout(good);
  const off = L0.dv.getUint32(L0.cls + CLASSIFIER.GUARD_OFF, true);
  const n = L0.dv.getUint32(L0.cls + CLASSIFIER.N_GUARDS, true);
  // treeTopology's rules: remote 10.r.0.0/16, dport 100 + 7r, tcp or udp — narrower than the key space.
  assert.ok(off !== 0 && n >= 2, `the compiled classifier has a guard (offset ${off}, ${n} entries)`);
  const edit = (f: (L: ReturnType<typeof layout>) => void, expect: RegExp) => {
    const b = good.slice();
    f(layout(b));
    refused(reseal(b), expect);
  };
  edit((L) => L.dv.setUint32(L.cls + CLASSIFIER.GUARD_OFF, 0, true), /N_GUARDS is \d+ without a guard/);
  edit((L) => L.dv.setUint32(L.cls + CLASSIFIER.N_GUARDS, 0, true), /N_GUARDS is 0 \(1 to 16 with a guard\)/);
  edit((L) => L.dv.setUint32(L.cls + CLASSIFIER.N_GUARDS, 17, true), /N_GUARDS is 17/);
  edit((L) => L.dv.setUint32(L.cls + CLASSIFIER.GUARD_OFF, 0x7ffffff0, true), /the guard at \d+ .* outside the CLASSIF section/);
  edit((L) => L.dv.setUint32(L.cls + off + GUARD.KEY_OFF, 64, true), /key offset 64 is outside the 64-byte tuple/);
});

test('GROUP_FORM 1 (IPv4 groups of all five dimensions): a group of fewer dimensions, another key order, a set block or an unknown form is refused', () => {
  const L0 = layout(good);
  assert.is(L0.dv.getUint32(L0.cls + CLASSIFIER.GROUP_FORM, true), GROUP_FORM_ALL5, 'treeTopology\'s IPv4 classifier (no sets) takes GROUP_FORM 1');
  // The first group of the first leaf.
  const leaves = L0.cls + L0.dv.getUint32(L0.cls + CLASSIFIER.LEAVES_OFF, true);
  assert.is(good[leaves + LEAF_GROUP.N_DIMS], 5);
  const edit = (f: (L: ReturnType<typeof layout>, b: Uint8Array) => void, expect: RegExp) => {
    const b = good.slice();
    f(layout(b), b);
    refused(reseal(b), expect);
  };
  // Four stored dimensions (the group then looks 32 bytes shorter, so the
  // fixed-offset scan would read the next group's words as this one's).
  edit((_L, b) => { b[leaves + LEAF_GROUP.N_DIMS] = 4; }, /group form 1 but a leaf group stores 4 dimensions/);
  edit((_L, b) => { b[leaves + LEAF_GROUP.KEY_OFFS + 2] = 36; b[leaves + LEAF_GROUP.KEY_OFFS + 3] = 32; }, /group form 1 but a leaf group's dimension 2 is key 36 \(32\)/);
  edit((_L, b) => { b[leaves + LEAF_GROUP.HAS_SET] = 1; }, /group form 1 but a leaf group stores 5 dimensions and a set block|set/);
  edit((L) => L.dv.setUint32(L.cls + CLASSIFIER.GROUP_FORM, 2, true), /group form 2 \(0 or 1\)/);
  // The same table in the variable form loads and answers as the reference says.
  const variable = compileTopology(treeTopology(), { groupForm: 'variable' }).bytes;
  const Lv = layout(variable);
  assert.is(Lv.dv.getUint32(Lv.cls + CLASSIFIER.GROUP_FORM, true), 0);
  new Table(variable, 'v.sgft');
});

test('WALK_STEPS on a classifier of several trees: the first tree\'s deepest leaf or 0, anything else refused; the fixed walk answers as the loop', () => {
  // Rules with a /16 remote and rules with any remote: two parts, two trees.
  const rules = Array.from({ length: 64 }, (_, i) => ({
    direction: 'ingress' as const, action: 'allow' as const, priority: 1, protocol: 'tcp' as const,
    ports: `${100 + i}`, remote: i % 2 ? `10.${i}.0.0/16` : '0.0.0.0/0',
  }));
  const r = parseNativeTopology({ cloud: 'huawei', securityGroups: [{ id: 'sg-1', rules }], interfaces: [{ id: 'a', ips: ['10.200.0.1'], groups: ['sg-1'] }] });
  const split = compileTopology(r.topology!, { partition: { mode: 'split' } }).bytes;
  const L = layout(split);
  const nTrees = L.dv.getUint32(L.cls + CLASSIFIER.N_TREES, true);
  if (nTrees < 2) {
    assert.unreachable(`the split table has ${nTrees} tree(s); the test needs two or more`);
    return;
  }
  const steps = L.dv.getUint32(L.cls + CLASSIFIER.WALK_STEPS, true);
  assert.ok(steps > 0, 'the first tree takes a fixed walk');
  const edit = (v: number) => {
    const b = split.slice();
    layout(b).dv.setUint32(L.cls + CLASSIFIER.WALK_STEPS, v, true);
    return reseal(b);
  };
  refused(edit(steps + 1), new RegExp(`WALK_STEPS is ${steps + 1}, but the first tree's deepest leaf is ${steps} steps`));
  refused(edit(steps - 1), new RegExp(`WALK_STEPS is ${steps - 1}, but the first tree's deepest leaf is ${steps} steps`));
  // 0 loads; a run of 64 tuples (the tree-major walk, whose first tree takes the fixed walk) answers the same either way, and as the reference.
  const probes: Probe[] = Array.from({ length: 64 }, (_, k) => ({
    iface: 'a', direction: 'ingress' as const,
    input: { family: 4 as const, proto: 6, sport: 5, dport: 100 + (k % 66), remote: 0x0a000001n + (BigInt(k) << 16n), local: 0x0ac80001n },
  }));
  const answers = (bytes: Uint8Array) => {
    const table = new Table(bytes, 'x.sgft');
    const wasm = new WasmInstance();
    const batch = new TupleBatch(wasm, probes.length);
    const list = table.listFor('a', 'ingress')!;
    probes.forEach((p, k) => batch.set(k, list, p.input));
    batch.run(new WasmTable(wasm, table), 'optimized', probes.length);
    return [...batch.results(probes.length)];
  };
  const expected = referencePositions(r.topology!, probes);
  assert.ok(new Set(expected).size > 4, 'the probes reach several rules and none');
  assert.equal(answers(split.slice()), expected);
  assert.equal(answers(edit(0)), expected);
});

test('a later tree\'s STEPS (format 5): 0 or exactly its deepest leaf, the first tree\'s 0, anything else refused; the fixed walk answers as the loop and the reference', () => {
  // Rules with a /16 remote and rules with any remote: two parts, two trees (the test above).
  const rules = Array.from({ length: 64 }, (_, i) => ({
    direction: 'ingress' as const, action: 'allow' as const, priority: 1, protocol: 'tcp' as const,
    ports: `${100 + i}`, remote: i % 2 ? `10.${i}.0.0/16` : '0.0.0.0/0',
  }));
  const r = parseNativeTopology({ cloud: 'huawei', securityGroups: [{ id: 'sg-1', rules }], interfaces: [{ id: 'a', ips: ['10.200.0.1'], groups: ['sg-1'] }] });
  const split = compileTopology(r.topology!, { partition: { mode: 'split' }, tree: { binth: 1 } }).bytes;
  const L = layout(split);
  const nTrees = L.dv.getUint32(L.cls + CLASSIFIER.N_TREES, true);
  if (nTrees < 2) {
    assert.unreachable(`the split table has ${nTrees} tree(s); the test needs two or more`);
    return;
  }
  // Tree 1's deepest leaf, by a walk of every path from its root (not the validator's pass).
  const meta = (i: number) => L.dv.getUint32(L.nodes + i * NODE.SIZE + NODE.META, true) >>> NODE.KEY_BITS;
  const deepest = (i: number): number => (meta(i) === i ? 0 : 1 + Math.max(deepest(meta(i)), deepest(meta(i) + 1)));
  const at1 = L.trees + TREE_ENTRY.SIZE + TREE_ENTRY.STEPS;
  const d1 = deepest(L.dv.getUint32(L.trees + TREE_ENTRY.SIZE + TREE_ENTRY.ROOT, true));
  assert.ok(d1 >= 3, `tree 1 is ${d1} levels deep`);
  const built = L.dv.getUint32(at1, true);
  assert.ok(built === 0 || built === d1, `the compiler wrote STEPS ${built} for tree 1 (0 or ${d1})`);
  const edit = (at: number, v: number) => {
    const b = split.slice();
    layout(b).dv.setUint32(at, v, true);
    return reseal(b);
  };
  refused(edit(at1, d1 + 1), new RegExp(`tree 1's STEPS is ${d1 + 1}, but its deepest leaf is ${d1} steps from its root`));
  refused(edit(at1, d1 - 1), new RegExp(`tree 1's STEPS is ${d1 - 1}, but its deepest leaf is ${d1} steps`));
  refused(edit(at1, 0xffffffff), /tree 1's STEPS is 4294967295/);
  refused(edit(L.trees + TREE_ENTRY.STEPS, 3), /the first tree's STEPS is 3/);
  // Runs of 128 and 125 tuples (the tree-major walk: the later tree's tuples compacted, 8 at a time and the rest one by one):
  // every rule's port from its own remote (each rule's leaf reached, the deepest ones too) and from the next rule's remote.
  const probes: Probe[] = Array.from({ length: 128 }, (_, k) => ({
    iface: 'a', direction: 'ingress' as const,
    input: { family: 4 as const, proto: 6, sport: 5, dport: 100 + (k % 64), remote: 0x0a000001n + (BigInt((k + (k >> 6)) % 64) << 16n), local: 0x0ac80001n },
  }));
  const answers = (bytes: Uint8Array, n: number) => {
    const table = new Table(bytes, 'x.sgft');
    const wasm = new WasmInstance();
    const batch = new TupleBatch(wasm, n);
    const list = table.listFor('a', 'ingress')!;
    probes.slice(0, n).forEach((p, k) => batch.set(k, list, p.input));
    batch.run(new WasmTable(wasm, table), 'optimized', n);
    return [...batch.results(n)];
  };
  const expected = referencePositions(r.topology!, probes);
  assert.ok(new Set(expected).size > 4, 'the probes reach several rules and none');
  for (const n of [128, 125]) {
    assert.equal(answers(edit(at1, d1), n), expected.slice(0, n), `tree 1 fixed (${d1} steps), ${n} tuples`);
    assert.equal(answers(edit(at1, 0), n), expected.slice(0, n), `tree 1 the loop, ${n} tuples`);
  }
});

test.run();
