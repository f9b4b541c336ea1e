/**
 * Deep validation of a compiled table's content, after validateTable has
 * checked the header, checksum and directory. A checksum only proves the
 * bytes were not damaged by accident; a crafted table with a recomputed
 * checksum can still point anywhere. This pass checks every offset, count
 * and link the WASM matchers follow (format.ts), so that a table that loads
 * cannot make `classify` read outside the table, loop or return a position
 * that names no rule:
 *
 * - LISTS: length covers the count; every classifier offset is 0 or a
 *   16-byte aligned classifier inside CLASSIF whose family matches its slot.
 * - BINDINGS: length covers the count; every list index exists or is NO_LIST.
 * - classifier: every area (records, sets, trees, nodes, leaves) inside
 *   CLASSIF; records walked (bounded by nRecords and the section end), each
 *   constraint's key offset inside the tuple, each position < the list's
 *   rule count, each set index < the number of sets;
 * - sets: at least one interval, starts/classes/bitmaps inside, every class
 *   inside the bitmap area;
 * - trees: every root < nodeCount; nodes: every inner node's children come
 *   AFTER it (child > index, child + 1 < nodeCount); a node that is its own
 *   child (a leaf) has the threshold no key exceeds, so it is a fixed point;
 *   every walk strictly increases the node index until it stays, at a leaf,
 *   within nodeCount steps (no cycle is possible); key offsets inside the
 *   tuple; the leaf entries inside CLASSIF and every leaf's groups inside the
 *   leaf area (the group area parsed once); WALK_STEPS 0, or the first tree and
 *   exactly the depth of its deepest leaf; the guard (GUARD_OFF 0 and
 *   N_GUARDS 0, or 1..16 entries inside CLASSIF, key offsets inside the
 *   tuple); a later tree's STEPS 0 or exactly the depth of its deepest leaf,
 *   the first tree's 0; GROUP_FORM 0, or 1 in an IPv4 classifier whose every leaf group
 *   stores the 5 IPv4 dimensions in tuple order and no set block.
 *
 * Work is linear in the table size (plus one pass per distinct leaf).
 */
import {
  BINDING_ENTRY,
  CLASSIFIER,
  GROUP_FORM_ALL5,
  GROUP_FORM_ALL5_KEYS,
  GUARD,
  LEAF_DIM,
  LEAF_ENTRY,
  LEAF_GROUP,
  LEAF_SETS,
  LIST_ENTRY,
  NODE,
  NO_LIST,
  RECORD,
  SECTION,
  SETS,
  TABLE_ERROR,
  TableError,
  TREE_ENTRY,
  TUPLE,
  type SectionInfo,
} from './format.js';

/** The largest key offset a u32 load may use inside a 64-byte tuple. */
const MAX_KEY_OFF = TUPLE.SIZE - 4;

export function validateContent(bytes: Uint8Array, sections: Map<number, SectionInfo>, source = 'table'): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => dv.getUint32(at, true);
  const fail = (at: number, what: string): never => {
    throw new TableError(TABLE_ERROR.SECTION, `${source}: byte ${at}: ${what}`);
  };
  const lists = sections.get(SECTION.LISTS)!;
  const bindings = sections.get(SECTION.BINDINGS)!;
  const classif = sections.get(SECTION.CLASSIFIERS)!;
  if (lists.count * LIST_ENTRY.SIZE > lists.length) fail(lists.offset, `the LISTS section (${lists.length} bytes) cannot hold its ${lists.count} lists`);
  if (bindings.count * BINDING_ENTRY.SIZE > bindings.length) fail(bindings.offset, `the BINDINGS section (${bindings.length} bytes) cannot hold its ${bindings.count} interfaces`);
  for (let i = 0; i < bindings.count; i++) {
    for (const f of [BINDING_ENTRY.INGRESS, BINDING_ENTRY.EGRESS]) {
      const at = bindings.offset + i * BINDING_ENTRY.SIZE + f;
      const v = u32(at);
      if (v !== NO_LIST && v >= lists.count) fail(at, `interface ${i} is bound to list ${v}, but the table has ${lists.count} lists`);
    }
  }
  const cStart = classif.offset;
  const cEnd = classif.offset + classif.length;
  const checked = new Map<number, { family: number; maxPos: number }>(); // classifier offset -> its family, highest position
  let maxPos = -1;
  for (let li = 0; li < lists.count; li++) {
    const e = lists.offset + li * LIST_ENTRY.SIZE;
    const ruleCount = u32(e + LIST_ENTRY.RULE_COUNT);
    for (const [slot, family] of [[LIST_ENTRY.V4, 4], [LIST_ENTRY.V6, 6]] as const) {
      const off = u32(e + slot);
      if (off === 0) continue;
      if (off % 16 !== 0 || off < cStart || off + CLASSIFIER.SIZE > cEnd) {
        fail(e + slot, `list ${li}'s IPv${family} classifier offset ${off} is not a 16-byte aligned classifier inside the CLASSIF section [${cStart}, ${cEnd})`);
      }
      // A classifier may be shared only by lists of its family with room for all its positions.
      const seen = checked.get(off);
      if (seen !== undefined) {
        if (seen.family !== family) fail(e + slot, `list ${li}'s IPv${family} classifier at ${off} is also used as IPv${seen.family}`);
        if (seen.maxPos >= ruleCount) fail(e + slot, `list ${li}'s IPv${family} classifier at ${off} answers rule position ${seen.maxPos}, but the list has ${ruleCount} rules`);
        continue;
      }
      maxPos = -1;
      checkClassifier(off, family, ruleCount, `list ${li} IPv${family} classifier at ${off}`);
      checked.set(off, { family, maxPos });
    }
  }

  function checkClassifier(c: number, family: 4 | 6, ruleCount: number, name: string): void {
    const field = (f: number) => u32(c + f);
    if (field(CLASSIFIER.FAMILY) !== family) fail(c, `${name}: family ${field(CLASSIFIER.FAMILY)}, expected ${family}`);
    /** An area [c+off, c+off+len) must be inside CLASSIF; returns its absolute start. */
    const area = (what: string, fieldAt: number, off: number, len: number, align = 4): number => {
      const abs = c + off;
      if (off % align !== 0 || !Number.isSafeInteger(abs + len) || abs < c + CLASSIFIER.SIZE || abs + len > cEnd) {
        fail(c + fieldAt, `${name}: ${what} at ${off} (+${len} bytes) is outside the CLASSIF section or misaligned`);
      }
      return abs;
    };

    // Sets first: records and groups refer to them.
    let nSets = 0;
    const setsOff = field(CLASSIFIER.SETS_OFF);
    if (setsOff !== 0) {
      const s = area('the set lookup', CLASSIFIER.SETS_OFF, setsOff, SETS.SIZE, 16);
      const nIntervals = u32(s + SETS.N_INTERVALS);
      const wpc = u32(s + SETS.WORDS_PER_CLASS);
      if (nIntervals === 0) fail(s + SETS.N_INTERVALS, `${name}: the set lookup has no interval`);
      if (wpc === 0 || wpc > 1 << 20) fail(s + SETS.WORDS_PER_CLASS, `${name}: ${wpc} bitmap words per class`);
      const startSize = family === 4 ? 4 : 16;
      area('the interval starts', SETS.STARTS_OFF, u32(s + SETS.STARTS_OFF), nIntervals * startSize, family === 4 ? 4 : 8);
      const cls = area('the interval classes', SETS.CLASS_OFF, u32(s + SETS.CLASS_OFF), nIntervals * 4);
      const bmOff = u32(s + SETS.BITMAPS_OFF);
      const bm = area('the bitmaps', SETS.BITMAPS_OFF, bmOff, wpc * 4);
      const nClasses = Math.floor((cEnd - bm) / (wpc * 4));
      for (let i = 0; i < nIntervals; i++) {
        const k = u32(cls + i * 4);
        if (k >= nClasses) fail(cls + i * 4, `${name}: interval ${i} has class ${k}, beyond the bitmap area`);
      }
      nSets = wpc * 32;
    }
    const checkSet = (at: number, s1: number) => {
      if (s1 !== 0 && s1 - 1 >= nSets) fail(at, `${name}: set index ${s1 - 1}, but the classifier has ${nSets === 0 ? 'no sets' : `room for ${nSets} sets`}`);
    };
    const checkPos = (at: number, p: number) => {
      if (p >= ruleCount) fail(at, `${name}: rule position ${p}, but the list has ${ruleCount} rules`);
      if (p > maxPos) maxPos = p;
    };
    const checkKey = (at: number, k: number) => {
      if (k > MAX_KEY_OFF) fail(at, `${name}: key offset ${k} is outside the ${TUPLE.SIZE}-byte tuple`);
    };

    // Records: bounded walk.
    const nRecords = field(CLASSIFIER.N_RECORDS);
    let r = area('the rule records', CLASSIFIER.RECORDS_OFF, field(CLASSIFIER.RECORDS_OFF), nRecords * RECORD.HEAD);
    for (let i = 0; i < nRecords; i++) {
      if (r + RECORD.HEAD > cEnd) fail(r, `${name}: rule record ${i} runs past the CLASSIF section`);
      checkPos(r + RECORD.POS, u32(r + RECORD.POS));
      const meta = u32(r + RECORD.META);
      checkSet(r + RECORD.META, meta >>> 8);
      const nc = meta & 255;
      if (r + RECORD.HEAD + nc * RECORD.CONS > cEnd) fail(r, `${name}: rule record ${i} (${nc} constraints) runs past the CLASSIF section`);
      for (let j = 0; j < nc; j++) checkKey(r + RECORD.HEAD + j * RECORD.CONS, u32(r + RECORD.HEAD + j * RECORD.CONS));
      r += RECORD.HEAD + nc * RECORD.CONS;
    }

    // Nodes and leaves.
    const nodeCount = field(CLASSIFIER.NODE_COUNT);
    if (nodeCount > NODE.MAX_CHILD + 1) fail(c + CLASSIFIER.NODE_COUNT, `${name}: ${nodeCount} nodes is more than the format allows`);
    const nodes = area('the nodes', CLASSIFIER.NODES_OFF, field(CLASSIFIER.NODES_OFF), nodeCount * NODE.SIZE);
    const leafBytes = field(CLASSIFIER.LEAF_BYTES);
    const leaves = area('the leaves', CLASSIFIER.LEAVES_OFF, field(CLASSIFIER.LEAVES_OFF), leafBytes, 16);
    // The leaf area is a contiguous run of groups (each a multiple of 16 bytes):
    // parse it once; a leaf is (first group, count) within it.
    const groupAt = new Int32Array(Math.ceil(leafBytes / 16)).fill(-1);
    // GROUP_FORM: 0, or 1 (IPv4 only, no sets): every group stores the 5 IPv4
    // dimensions in tuple order and no set block, which the matcher's
    // fixed-offset scan reads without looking at nDims or the key offsets.
    const form = field(CLASSIFIER.GROUP_FORM);
    if (form > GROUP_FORM_ALL5) fail(c + CLASSIFIER.GROUP_FORM, `${name}: group form ${form} (0 or ${GROUP_FORM_ALL5})`);
    if (form === GROUP_FORM_ALL5 && field(CLASSIFIER.FAMILY) !== 4) fail(c + CLASSIFIER.GROUP_FORM, `${name}: group form ${form} in an IPv${field(CLASSIFIER.FAMILY)} classifier (IPv4 only)`);
    let nGroups = 0;
    for (let g = leaves; g < leaves + leafBytes; ) {
      if (g + LEAF_GROUP.HEAD > leaves + leafBytes) fail(g, `${name}: a leaf group header runs past the leaf area`);
      const nd = bytes[g + LEAF_GROUP.N_DIMS]!;
      const hasSet = bytes[g + LEAF_GROUP.HAS_SET]!;
      if (nd > LEAF_GROUP.MAX_DIMS) fail(g + LEAF_GROUP.N_DIMS, `${name}: a leaf group stores ${nd} dimensions (at most ${LEAF_GROUP.MAX_DIMS})`);
      if (hasSet > 1) fail(g + LEAF_GROUP.HAS_SET, `${name}: a leaf group's hasSet is ${hasSet} (0 or 1)`);
      if (form === GROUP_FORM_ALL5) {
        if (nd !== GROUP_FORM_ALL5_KEYS.length || hasSet !== 0) fail(g + LEAF_GROUP.N_DIMS, `${name}: group form ${form} but a leaf group stores ${nd} dimensions${hasSet ? ' and a set block' : ''} (${GROUP_FORM_ALL5_KEYS.length}, no set block)`);
        for (let j = 0; j < nd; j++) if (bytes[g + LEAF_GROUP.KEY_OFFS + j] !== GROUP_FORM_ALL5_KEYS[j]) fail(g + LEAF_GROUP.KEY_OFFS + j, `${name}: group form ${form} but a leaf group's dimension ${j} is key ${bytes[g + LEAF_GROUP.KEY_OFFS + j]} (${GROUP_FORM_ALL5_KEYS[j]})`);
      }
      const size = LEAF_GROUP.HEAD + nd * LEAF_DIM.SIZE + (hasSet ? LEAF_SETS.SIZE : 0);
      if (g + size > leaves + leafBytes) fail(g, `${name}: a leaf group of ${size} bytes runs past the leaf area`);
      for (let j = 0; j < 4; j++) checkPos(g + LEAF_GROUP.POS + 4 * j, u32(g + LEAF_GROUP.POS + 4 * j));
      for (let j = 0; j < nd; j++) checkKey(g + LEAF_GROUP.KEY_OFFS + j, bytes[g + LEAF_GROUP.KEY_OFFS + j]!);
      if (hasSet) for (let j = 0; j < 4; j++) checkSet(g + size - LEAF_SETS.SIZE + LEAF_SETS.SET1 + 4 * j, u32(g + size - LEAF_SETS.SIZE + LEAF_SETS.SET1 + 4 * j));
      groupAt[(g - leaves) / 16] = nGroups++;
      g += size;
    }
    const info = area('the leaf entries', CLASSIFIER.LEAF_INFO_OFF, field(CLASSIFIER.LEAF_INFO_OFF), nodeCount * LEAF_ENTRY.SIZE);
    for (let i = 0; i < nodeCount; i++) {
      const p = nodes + i * NODE.SIZE;
      const thr = u32(p + NODE.THRESHOLD);
      const meta = u32(p + NODE.META);
      const key = meta & NODE.KEY_MASK;
      const child = meta >>> NODE.KEY_BITS;
      checkKey(p + NODE.META, key);
      if (child !== i) {
        // Inner: children strictly after the node, so every step that moves
        // increases the index and a walk ends (no cycle) within nodeCount steps.
        if (child <= i || child + 1 >= nodeCount) fail(p + NODE.META, `${name}: node ${i}'s children ${child}, ${child + 1} must come after it and exist (${nodeCount} nodes)`);
        continue;
      }
      // Leaf: its own child; a fixed point only when no key exceeds its threshold.
      if (thr !== NODE.LEAF_THRESHOLD) fail(p + NODE.THRESHOLD, `${name}: leaf node ${i} (its own child) has threshold ${thr}, not ${NODE.LEAF_THRESHOLD}: a key above it would step to node ${i + 1}`);
      const e = info + i * LEAF_ENTRY.SIZE;
      const off = u32(e + LEAF_ENTRY.FIRST);
      const count = u32(e + LEAF_ENTRY.COUNT);
      const first = off % 16 === 0 && off < leafBytes ? groupAt[off / 16]! : -1;
      if (count > 0 && (first < 0 || first + count > nGroups)) {
        fail(e, `${name}: leaf node ${i}'s ${count} groups at ${off} are not groups of the leaf area (${nGroups} groups, ${leafBytes} bytes)`);
      }
    }

    // Trees.
    const nTrees = field(CLASSIFIER.N_TREES);
    const trees = area('the trees', CLASSIFIER.TREES_OFF, field(CLASSIFIER.TREES_OFF), nTrees * TREE_ENTRY.SIZE);
    if (nTrees > 0 && nodeCount === 0) fail(c + CLASSIFIER.N_TREES, `${name}: ${nTrees} trees but no nodes`);
    for (let k = 0; k < nTrees; k++) {
      const at = trees + k * TREE_ENTRY.SIZE + TREE_ENTRY.ROOT;
      if (u32(at) >= nodeCount) fail(at, `${name}: tree ${k}'s root ${u32(at)} is not one of the ${nodeCount} nodes`);
    }
    // WALK_STEPS: 0, or the depth of the first tree's deepest leaf — every
    // fixed walk of that tree takes that many steps, so fewer would stop lanes
    // at inner nodes and more would only cost time.
    // Children come after their node (checked above), so one backward pass
    // gives every node's height — the longest path from it to a leaf, which
    // for a root is its deepest leaf's depth. Computed once, when a tree needs
    // it (WALK_STEPS or a later tree's STEPS): a pass per tree would make a
    // table of many trees cost trees × nodes.
    let heights: Int32Array | null = null;
    const deepestFrom = (root: number): number => {
      if (!heights) {
        heights = new Int32Array(nodeCount);
        for (let i = nodeCount - 1; i >= 0; i--) {
          const child = u32(nodes + i * NODE.SIZE + NODE.META) >>> NODE.KEY_BITS;
          heights[i] = child === i ? 0 : 1 + Math.max(heights[child]!, heights[child + 1]!);
        }
      }
      return heights[root]!;
    };
    const walkSteps = field(CLASSIFIER.WALK_STEPS);
    if (walkSteps !== 0) {
      if (nTrees === 0) fail(c + CLASSIFIER.WALK_STEPS, `${name}: WALK_STEPS ${walkSteps} without a tree`);
      const deepest = deepestFrom(u32(trees + TREE_ENTRY.ROOT));
      if (walkSteps !== deepest) fail(c + CLASSIFIER.WALK_STEPS, `${name}: WALK_STEPS is ${walkSteps}, but the ${nTrees > 1 ? 'first ' : ''}tree's deepest leaf is ${deepest} steps from its root (0 or exactly that)`);
    }
    // A tree entry's STEPS: 0 for the first tree (WALK_STEPS is its walk);
    // for a later tree 0 or, as WALK_STEPS, exactly its deepest leaf's depth.
    for (let k = 0; k < nTrees; k++) {
      const at = trees + k * TREE_ENTRY.SIZE + TREE_ENTRY.STEPS;
      const steps = u32(at);
      if (steps === 0) continue;
      if (k === 0) fail(at, `${name}: the first tree's STEPS is ${steps} (0: its walk is WALK_STEPS)`);
      const deepest = deepestFrom(u32(trees + k * TREE_ENTRY.SIZE + TREE_ENTRY.ROOT));
      if (steps !== deepest) fail(at, `${name}: tree ${k}'s STEPS is ${steps}, but its deepest leaf is ${deepest} steps from its root (0 or exactly that)`);
    }
    // The guard: none, or at most one entry per key word of the tuple, each key inside it.
    const guardOff = field(CLASSIFIER.GUARD_OFF);
    const nGuards = field(CLASSIFIER.N_GUARDS);
    if (guardOff === 0) {
      if (nGuards !== 0) fail(c + CLASSIFIER.N_GUARDS, `${name}: N_GUARDS is ${nGuards} without a guard (GUARD_OFF 0)`);
    } else {
      if (nGuards === 0 || nGuards > TUPLE.SIZE / 4) fail(c + CLASSIFIER.N_GUARDS, `${name}: N_GUARDS is ${nGuards} (1 to ${TUPLE.SIZE / 4} with a guard)`);
      const g = area('the guard', CLASSIFIER.GUARD_OFF, guardOff, nGuards * GUARD.SIZE);
      for (let j = 0; j < nGuards; j++) checkKey(g + j * GUARD.SIZE + GUARD.KEY_OFF, u32(g + j * GUARD.SIZE + GUARD.KEY_OFF));
    }
  }
}
