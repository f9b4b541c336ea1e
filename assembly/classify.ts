// Compiled rule tables -> the first matching rule, for batches of tuples.
//
// The table layout is drawn in src/compile/format.ts (the host side, which
// writes it); its numbers come from layout/layouts.json (assembly/layout.ts). Both matchers share one
// signature and one result convention:
//
//   classify(table, tuples, n, out): i32
//   classifyLinear(table, tuples, n, out): i32
//
//   table   the blob (format.ts), copied into memory by the host
//   tuples  n × 64-byte tuples (format.ts "Tuple"); the list index is inside
//           each tuple, so one batch may mix interfaces and directions
//   out     n × i32: the position of the first matching rule in the tuple's
//           list (SEMANTICS §4 order), -1 when none matches
//   returns n, or a negative TABLE_* status when the table header is wrong
//           (nothing is written then)
//
// No allocation: everything is load/store over host pointers.

import {
  RESULT_BAD_LIST,
  SECTION_LISTS,
  TABLE_BAD_LENGTH,
  TABLE_BAD_MAGIC,
  TABLE_BAD_VERSION,
  TABLE_MAGIC,
  TABLE_NO_LISTS,
  TABLE_OK,
  TABLE_VERSION,
  TBH_LENGTH,
  TBH_MAGIC,
  TBH_N_SECTIONS,
  TBH_SIZE,
  TBH_VERSION,
  TC_GROUP_FORM,
  TC_GUARD_OFF,
  TC_LEAF_INFO_OFF,
  TC_LEAVES_OFF,
  TC_NODES_OFF,
  TC_N_GUARDS,
  TC_N_RECORDS,
  TC_N_TREES,
  TC_RECORDS_OFF,
  TC_SETS_OFF,
  TC_TREES_OFF,
  TC_WALK_STEPS,
  TGU_KEY_OFF,
  TGU_LO,
  TGU_SIZE,
  TGU_SPAN,
  TGD_LO,
  TGD_SIZE,
  TGD_SPAN,
  TGS_SIZE,
  TG_HAS_SET,
  TG_HEAD,
  TG_KEY_OFFS,
  TG_N_DIMS,
  TG_POS,
  TLE_SIZE,
  TLE_V4,
  TLE_V6,
  TLF_COUNT,
  TLF_FIRST,
  TLF_SIZE,
  TN_KEY_BITS,
  TN_KEY_MASK,
  TN_META,
  TN_SIZE,
  TN_THRESHOLD,
  TRC_KEY_OFF,
  TRC_LO,
  TRC_SIZE,
  TRC_SPAN,
  TR_HEAD,
  TR_META,
  TR_POS,
  TTE_MIN_POS,
  TTE_ROOT,
  TTE_STEPS,
  TTE_SIZE,
  TSET_BITMAPS_OFF,
  TSET_CLASS_OFF,
  TSET_N_INTERVALS,
  TSET_STARTS_OFF,
  TSET_WORDS_PER_CLASS,
  TSE_COUNT,
  TSE_KIND,
  TSE_OFFSET,
  TSE_SIZE,
  T_DPORT,
  T_FAMILY,
  T_LIST,
  T_LOCAL,
  T_PROTO,
  T_REMOTE,
  T_SPORT,
  T_SIZE,
} from './layout';

// Every offset, size, status and the format version come from the layout
// spec (layout/layouts.json -> assembly/layout.ts, which the module exports;
// the host reads the same numbers from src/wasm/layout.ts). Short local
// names for the hot code below:

// Header and section directory.
const H_MAGIC = TBH_MAGIC;
const H_VERSION = TBH_VERSION;
const H_LENGTH = TBH_LENGTH;
const H_NSECTIONS = TBH_N_SECTIONS;
const H_SIZE = TBH_SIZE;
const SEC_KIND = TSE_KIND;
const SEC_OFFSET = TSE_OFFSET;
const SEC_COUNT = TSE_COUNT;
const SEC_SIZE = TSE_SIZE;

// List entry.
const LIST_V4 = TLE_V4;
const LIST_V6 = TLE_V6;
const LIST_SIZE = TLE_SIZE;

// Classifier header (offsets relative to the classifier start).
const C_RECORDS_OFF = TC_RECORDS_OFF;
const C_N_RECORDS = TC_N_RECORDS;
const C_SETS_OFF = TC_SETS_OFF;
const C_N_TREES = TC_N_TREES;
const C_TREES_OFF = TC_TREES_OFF;
const C_NODES_OFF = TC_NODES_OFF;
const C_LEAVES_OFF = TC_LEAVES_OFF;
const C_LEAF_INFO_OFF = TC_LEAF_INFO_OFF;
const C_WALK_STEPS = TC_WALK_STEPS;
const C_GUARD_OFF = TC_GUARD_OFF;
const C_N_GUARDS = TC_N_GUARDS;
const C_GROUP_FORM = TC_GROUP_FORM;

// Tree entry.
const TREE_SIZE: usize = TTE_SIZE;
const TREE_MIN_POS = TTE_MIN_POS;
const TREE_ROOT = TTE_ROOT;
const TREE_STEPS = TTE_STEPS;

// Node: word0 threshold; word1 child:26 | keyOff:6. A leaf is its own child
// with threshold 0xFFFFFFFF: a fixed point of `step` (format.ts "Node").
const NODE_SIZE: usize = TN_SIZE;
const NODE_THR = TN_THRESHOLD;
const NODE_META = TN_META;
const NODE_KEY_BITS: u32 = TN_KEY_BITS;
const NODE_KEY_MASK: u32 = TN_KEY_MASK;

// Leaf entry (per node: where a leaf's groups are).
const LEAF_SIZE: usize = TLF_SIZE;
const LEAF_FIRST = TLF_FIRST;
const LEAF_COUNT = TLF_COUNT;

// Leaf group: POS, header, then N_DIMS dimensions {LO, SPAN}, then the set block.
const G_POS = TG_POS;
const G_N_DIMS = TG_N_DIMS;
const G_HAS_SET = TG_HAS_SET;
const G_KEY_OFFS: usize = TG_KEY_OFFS;
const G_HEAD: usize = TG_HEAD;
const G_DIM: usize = TGD_SIZE;
const G_DIM_LO = TGD_LO;
const G_DIM_SPAN = TGD_SPAN;
const G_SETS_SIZE: usize = TGS_SIZE;
// GROUP_FORM 1: every group stores the 5 IPv4 dimensions in tuple order, no set block.
const G5_SIZE: usize = G_HEAD + 5 * G_DIM;

// Rule record (the linear list): POS, META, then nCons constraints.
const R_POS = TR_POS;
const R_META = TR_META;
const R_HEAD: usize = TR_HEAD;
const R_CONS: usize = TRC_SIZE;
const RC_KEY_OFF = TRC_KEY_OFF;
const RC_LO = TRC_LO;
const RC_SPAN = TRC_SPAN;

// Sets.
const S_N_INTERVALS = TSET_N_INTERVALS;
const S_WORDS_PER_CLASS = TSET_WORDS_PER_CLASS;
const S_STARTS_OFF = TSET_STARTS_OFF;
const S_CLASS_OFF = TSET_CLASS_OFF;
const S_BITMAPS_OFF = TSET_BITMAPS_OFF;

/** The table format version this module reads. */
export function classifierTableVersion(): u32 {
  return TABLE_VERSION;
}

/** Check a table's header: TABLE_OK or a negative status. */
export function tableStatus(table: usize, length: u32): i32 {
  if (length < <u32>H_SIZE) return TABLE_BAD_LENGTH;
  if (load<u32>(table, H_MAGIC) != TABLE_MAGIC) return TABLE_BAD_MAGIC;
  if (load<u32>(table, H_VERSION) != TABLE_VERSION) return TABLE_BAD_VERSION;
  if (load<u32>(table, H_LENGTH) != length) return TABLE_BAD_LENGTH;
  if (listsOf(table) == 0) return TABLE_NO_LISTS;
  return TABLE_OK;
}

/** Absolute pointer of the LISTS section, or 0. */
function listsOf(table: usize): usize {
  const n = load<u32>(table, H_NSECTIONS);
  for (let i: u32 = 0; i < n; i++) {
    const e = table + H_SIZE + <usize>i * SEC_SIZE;
    if (load<u32>(e, SEC_KIND) == SECTION_LISTS) return table + <usize>load<u32>(e, SEC_OFFSET);
  }
  return 0;
}

function listCountOf(table: usize): u32 {
  const n = load<u32>(table, H_NSECTIONS);
  for (let i: u32 = 0; i < n; i++) {
    const e = table + H_SIZE + <usize>i * SEC_SIZE;
    if (load<u32>(e, SEC_KIND) == SECTION_LISTS) return load<u32>(e, SEC_COUNT);
  }
  return 0;
}

/** Header check for the batch entry points (magic and version only: cheap). */
@inline function headerStatus(table: usize): i32 {
  if (load<u32>(table, H_MAGIC) != TABLE_MAGIC) return TABLE_BAD_MAGIC;
  if (load<u32>(table, H_VERSION) != TABLE_VERSION) return TABLE_BAD_VERSION;
  return TABLE_OK;
}

/** The classifier for a tuple (absolute pointer), 0 for none, 1 for a bad list. */
@inline function classifierFor(table: usize, lists: usize, nLists: u32, t: usize): usize {
  const list = load<u32>(t, T_LIST);
  if (list >= nLists) return 1;
  const fam = load<u32>(t, T_FAMILY);
  const e = lists + <usize>list * LIST_SIZE;
  let off: u32 = 0;
  if (fam == 4) off = load<u32>(e, LIST_V4);
  else if (fam == 6) off = load<u32>(e, LIST_V6);
  return off == 0 ? 0 : table + <usize>off;
}

/** Is `s` set in the bitmap? */
@inline function hasBit(bm: usize, s: u32): bool {
  return ((load<u32>(bm + (<usize>(s >> 5) << 2)) >> (s & 31)) & 1) != 0;
}

/** Does the record at `rec` match tuple `t`? `bm`: the tuple's set bitmap (0 = none). */
@inline function recordMatches(rec: usize, meta: u32, t: usize, bm: usize): bool {
  const nc = meta & 255;
  let c = rec + R_HEAD;
  for (let j: u32 = 0; j < nc; j++) {
    const key = load<u32>(t + <usize>load<u32>(c, RC_KEY_OFF));
    if (key - load<u32>(c, RC_LO) > load<u32>(c, RC_SPAN)) return false;
    c += R_CONS;
  }
  const s = meta >> 8;
  if (s != 0) {
    if (bm == 0) return false;
    if (!hasBit(bm, s - 1)) return false;
  }
  return true;
}

/** Bitmap of the remote address for classifier `cls` (0 when it has no sets). */
function bitmapFor(cls: usize, t: usize, fam: u32): usize {
  return bitmapOf(cls, t, fam);
}

/** bitmapFor inlined (treesOne, the engine's one tuple: no call). */
@inline function bitmapOf(cls: usize, t: usize, fam: u32): usize {
  const setsOff = load<u32>(cls, C_SETS_OFF);
  if (setsOff == 0) return 0;
  const sets = cls + <usize>setsOff;
  const n = load<u32>(sets, S_N_INTERVALS);
  const starts = cls + <usize>load<u32>(sets, S_STARTS_OFF);
  // Find the last interval whose start <= address; starts[0] = 0.
  let lo: u32 = 0;
  let hi: u32 = n; // answer in [lo, hi)
  if (fam == 4) {
    const a = load<u32>(t, T_REMOTE);
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (load<u32>(starts + (<usize>mid << 2)) <= a) lo = mid;
      else hi = mid;
    }
  } else {
    const ah: u64 = (<u64>load<u32>(t, T_REMOTE) << 32) | <u64>load<u32>(t, T_REMOTE + 4);
    const al: u64 = (<u64>load<u32>(t, T_REMOTE + 8) << 32) | <u64>load<u32>(t, T_REMOTE + 12);
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const p = starts + (<usize>mid << 4);
      const sh = load<u64>(p);
      const sl = load<u64>(p, 8);
      if (sh < ah || (sh == ah && sl <= al)) lo = mid;
      else hi = mid;
    }
  }
  const cl = load<u32>(cls + <usize>load<u32>(sets, S_CLASS_OFF) + (<usize>lo << 2));
  const wpc = load<u32>(sets, S_WORDS_PER_CLASS);
  return cls + <usize>load<u32>(sets, S_BITMAPS_OFF) + ((<usize>cl * <usize>wpc) << 2);
}

/** Linear scan of the whole ordered list: the baseline. */
function linearOne(cls: usize, t: usize): i32 {
  const fam = load<u32>(t, T_FAMILY);
  const bm = bitmapFor(cls, t, fam);
  let rec = cls + <usize>load<u32>(cls, C_RECORDS_OFF);
  const n = load<u32>(cls, C_N_RECORDS);
  for (let i: u32 = 0; i < n; i++) {
    const meta = load<u32>(rec, R_META);
    if (recordMatches(rec, meta, t, bm)) return <i32>load<u32>(rec, R_POS);
    rec += R_HEAD + <usize>(meta & 255) * R_CONS;
  }
  return -1;
}

/**
 * The boxes of the leaf group at `grp` (its `nd` stored dimensions) that
 * contain tuple `t`'s key: a lane mask. Written out for every dimension
 * count up to G_MAX_DIMS (no loop: no counter, no pointer increments and no
 * V8 interrupt check per dimension; every offset an immediate).
 */
@inline function groupMask(grp: usize, nd: usize, t: usize): v128 {
  let m = i32x4.splat(-1);
  do {
    if (nd == 0) break;
    m = v128.and(m, i32x4.le_u(i32x4.sub(i32x4.splat(load<u32>(t + <usize>load<u8>(grp, G_KEY_OFFS + 0))), v128.load(grp, G_HEAD + 0 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 0 * G_DIM + G_DIM_SPAN)));
    if (nd == 1) break;
    m = v128.and(m, i32x4.le_u(i32x4.sub(i32x4.splat(load<u32>(t + <usize>load<u8>(grp, G_KEY_OFFS + 1))), v128.load(grp, G_HEAD + 1 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 1 * G_DIM + G_DIM_SPAN)));
    if (nd == 2) break;
    m = v128.and(m, i32x4.le_u(i32x4.sub(i32x4.splat(load<u32>(t + <usize>load<u8>(grp, G_KEY_OFFS + 2))), v128.load(grp, G_HEAD + 2 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 2 * G_DIM + G_DIM_SPAN)));
    if (nd == 3) break;
    m = v128.and(m, i32x4.le_u(i32x4.sub(i32x4.splat(load<u32>(t + <usize>load<u8>(grp, G_KEY_OFFS + 3))), v128.load(grp, G_HEAD + 3 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 3 * G_DIM + G_DIM_SPAN)));
    if (nd == 4) break;
    m = v128.and(m, i32x4.le_u(i32x4.sub(i32x4.splat(load<u32>(t + <usize>load<u8>(grp, G_KEY_OFFS + 4))), v128.load(grp, G_HEAD + 4 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 4 * G_DIM + G_DIM_SPAN)));
    if (nd == 5) break;
    m = v128.and(m, i32x4.le_u(i32x4.sub(i32x4.splat(load<u32>(t + <usize>load<u8>(grp, G_KEY_OFFS + 5))), v128.load(grp, G_HEAD + 5 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 5 * G_DIM + G_DIM_SPAN)));
    if (nd == 6) break;
    m = v128.and(m, i32x4.le_u(i32x4.sub(i32x4.splat(load<u32>(t + <usize>load<u8>(grp, G_KEY_OFFS + 6))), v128.load(grp, G_HEAD + 6 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 6 * G_DIM + G_DIM_SPAN)));
    if (nd == 7) break;
    m = v128.and(m, i32x4.le_u(i32x4.sub(i32x4.splat(load<u32>(t + <usize>load<u8>(grp, G_KEY_OFFS + 7))), v128.load(grp, G_HEAD + 7 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 7 * G_DIM + G_DIM_SPAN)));
    if (nd == 8) break;
    m = v128.and(m, i32x4.le_u(i32x4.sub(i32x4.splat(load<u32>(t + <usize>load<u8>(grp, G_KEY_OFFS + 8))), v128.load(grp, G_HEAD + 8 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 8 * G_DIM + G_DIM_SPAN)));
    if (nd == 9) break;
    m = v128.and(m, i32x4.le_u(i32x4.sub(i32x4.splat(load<u32>(t + <usize>load<u8>(grp, G_KEY_OFFS + 9))), v128.load(grp, G_HEAD + 9 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 9 * G_DIM + G_DIM_SPAN)));
    if (nd == 10) break;
    m = v128.and(m, i32x4.le_u(i32x4.sub(i32x4.splat(load<u32>(t + <usize>load<u8>(grp, G_KEY_OFFS + 10))), v128.load(grp, G_HEAD + 10 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 10 * G_DIM + G_DIM_SPAN)));
    if (nd == 11) break;
    m = v128.and(m, i32x4.le_u(i32x4.sub(i32x4.splat(load<u32>(t + <usize>load<u8>(grp, G_KEY_OFFS + 11))), v128.load(grp, G_HEAD + 11 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 11 * G_DIM + G_DIM_SPAN)));
    if (nd == 12) break;
    m = v128.and(m, i32x4.le_u(i32x4.sub(i32x4.splat(load<u32>(t + <usize>load<u8>(grp, G_KEY_OFFS + 12))), v128.load(grp, G_HEAD + 12 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 12 * G_DIM + G_DIM_SPAN)));
    if (nd == 13) break;
    m = v128.and(m, i32x4.le_u(i32x4.sub(i32x4.splat(load<u32>(t + <usize>load<u8>(grp, G_KEY_OFFS + 13))), v128.load(grp, G_HEAD + 13 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 13 * G_DIM + G_DIM_SPAN)));
  } while (false);
  return m;
}

/**
 * GROUP_FORM 1 (format.ts "Classifier"): the boxes of the group at `grp`
 * that contain the keys k0..k4 (the tuple's remote, local, sport, dport and
 * proto, splatted once per scan): five fixed compares, no dimension count,
 * no key offsets, no branch (docs/classifier.md "IPv4 groups of all five
 * dimensions").
 */
@inline function mask5(grp: usize, k0: v128, k1: v128, k2: v128, k3: v128, k4: v128): v128 {
  let m = i32x4.le_u(i32x4.sub(k0, v128.load(grp, G_HEAD + 0 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 0 * G_DIM + G_DIM_SPAN));
  m = v128.and(m, i32x4.le_u(i32x4.sub(k1, v128.load(grp, G_HEAD + 1 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 1 * G_DIM + G_DIM_SPAN)));
  m = v128.and(m, i32x4.le_u(i32x4.sub(k2, v128.load(grp, G_HEAD + 2 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 2 * G_DIM + G_DIM_SPAN)));
  m = v128.and(m, i32x4.le_u(i32x4.sub(k3, v128.load(grp, G_HEAD + 3 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 3 * G_DIM + G_DIM_SPAN)));
  return v128.and(m, i32x4.le_u(i32x4.sub(k4, v128.load(grp, G_HEAD + 4 * G_DIM + G_DIM_LO)), v128.load(grp, G_HEAD + 4 * G_DIM + G_DIM_SPAN)));
}

/** scanLeaf for GROUP_FORM 1 (no sets): the first match before `best`, or `best`. */
@inline function scanLeaf5(grp: usize, nGroups: u32, t: usize, best: u32): u32 {
  const k0 = i32x4.splat(load<u32>(t, T_REMOTE));
  const k1 = i32x4.splat(load<u32>(t, T_LOCAL));
  const k2 = i32x4.splat(load<u32>(t, T_SPORT));
  const k3 = i32x4.splat(load<u32>(t, T_DPORT));
  const k4 = i32x4.splat(load<u32>(t, T_PROTO));
  for (let g: u32 = 0; g < nGroups; g++) {
    if (load<u32>(grp, G_POS) >= best) break;
    const bits = <u32>i32x4.bitmask(mask5(grp, k0, k1, k2, k3, k4));
    if (bits != 0) {
      const p = load<u32>(grp + (<usize>ctz(bits) << 2), G_POS);
      return p < best ? p : best;
    }
    grp += G5_SIZE;
  }
  return best;
}

/** scanLeafFirst for GROUP_FORM 1 (no sets): the first match, or 0xFFFFFFFF. */
@inline function scanLeafFirst5(grp: usize, nGroups: u32, t: usize): u32 {
  const k0 = i32x4.splat(load<u32>(t, T_REMOTE));
  const k1 = i32x4.splat(load<u32>(t, T_LOCAL));
  const k2 = i32x4.splat(load<u32>(t, T_SPORT));
  const k3 = i32x4.splat(load<u32>(t, T_DPORT));
  const k4 = i32x4.splat(load<u32>(t, T_PROTO));
  for (let g: u32 = 0; g < nGroups; g++) {
    const bits = <u32>i32x4.bitmask(mask5(grp, k0, k1, k2, k3, k4));
    if (bits != 0) return load<u32>(grp + (<usize>ctz(bits) << 2), G_POS);
    grp += G5_SIZE;
  }
  return 0xffffffff;
}

/**
 * The first match in a leaf's groups (format.ts "Leaf group") that precedes
 * `best`; returns the new best (or `best`). Four boxes per i32x4 compare.
 */
@inline function scanLeaf(grp: usize, nGroups: u32, t: usize, bm: usize, best: u32, all5: bool): u32 {
  if (all5) return scanLeaf5(grp, nGroups, t, best);
  for (let g: u32 = 0; g < nGroups; g++) {
    if (load<u32>(grp, G_POS) >= best) break;
    const nd = <usize>load<u8>(grp, G_N_DIMS);
    const hasSet = load<u8>(grp, G_HAS_SET);
    let d = grp + G_HEAD + nd * G_DIM;
    let bits = <u32>i32x4.bitmask(groupMask(grp, nd, t));
    if (hasSet) {
      if (bits != 0) bits = setFirst(bits, d, bm);
      d += G_SETS_SIZE;
    }
    if (bits != 0) {
      const p = load<u32>(grp + (<usize>ctz(bits) << 2), G_POS);
      return p < best ? p : best;
    }
    grp = d;
  }
  return best;
}

/**
 * scanLeaf with nothing found yet (best = none): the first match in the
 * leaf's groups, or 0xFFFFFFFF; no test of the positions against a best.
 */
@inline function scanLeafFirst(grp: usize, nGroups: u32, t: usize, bm: usize, all5: bool): u32 {
  if (all5) return scanLeafFirst5(grp, nGroups, t);
  for (let g: u32 = 0; g < nGroups; g++) {
    const nd = <usize>load<u8>(grp, G_N_DIMS);
    const hasSet = load<u8>(grp, G_HAS_SET);
    let d = grp + G_HEAD + nd * G_DIM;
    let bits = <u32>i32x4.bitmask(groupMask(grp, nd, t));
    if (hasSet) {
      if (bits != 0) bits = setFirst(bits, d, bm);
      d += G_SETS_SIZE;
    }
    if (bits != 0) return load<u32>(grp + (<usize>ctz(bits) << 2), G_POS);
    grp = d;
  }
  return 0xffffffff;
}

/**
 * The lowest lane of `bits` (not 0) whose set (setIndex+1 at `sets`, 0 =
 * none) holds the remote address, as a one-bit mask, or 0: the scans take
 * only the lowest lane (ctz), so the lanes above it and the lanes not in
 * `bits` are not tested.
 */
function setFirst(bits: u32, sets: usize, bm: usize): u32 {
  do {
    const j = ctz(bits);
    const s = load<u32>(sets + (<usize>j << 2));
    if (s == 0 || (bm != 0 && hasBit(bm, s - 1))) return <u32>1 << j;
    bits &= bits - 1;
  } while (bits != 0);
  return 0;
}

/** One lane's step: its next node index (a leaf is its own next, format.ts "Node"). */
@inline function step(nodes: usize, node: u32, t: usize): u32 {
  const p = nodes + <usize>node * NODE_SIZE;
  const meta = load<u32>(p, NODE_META);
  return (meta >> NODE_KEY_BITS) + <u32>(load<u32>(t + <usize>(meta & NODE_KEY_MASK)) > load<u32>(p, NODE_THR));
}

/**
 * Scratch words that the 8-lane fixed walks (trees8OneRun, walkFirst8)
 * store each lane's next node into (never read). The store sits in the
 * walk's effect chain, so V8 computes a lane's step before the next lane's
 * loads instead of floating every lane's compare and add to the end of the
 * loop body, where the eight lanes' loaded words are all live at once and
 * spill to the stack: x1.04-1.14 on the one-tree sets (docs/classifier.md,
 * "The step's cost in V8's code"; in the loop walks it measured noise).
 */
const walkPin: usize = memory.data(32, 16);

/** `node`, stored into lane `lane`'s pin word (see walkPin). */
@inline function pin(lane: usize, node: u32): u32 {
  store<u32>(walkPin + (lane << 2), node);
  return node;
}

/** The walk from `node` to its leaf, one tuple. */
@inline function walkOne(nodes: usize, node: u32, t: usize): u32 {
  while (true) {
    const next = step(nodes, node, t);
    if (next == node) return node;
    node = next;
  }
}

/** Scan the groups of the leaf `node` (its leaf entry in `info`): the new best. */
@inline function scanAt(info: usize, leaves: usize, node: u32, t: usize, bm: usize, best: u32, all5: bool): u32 {
  const e = info + <usize>node * LEAF_SIZE;
  return scanLeaf(leaves + <usize>load<u32>(e, LEAF_FIRST), load<u32>(e, LEAF_COUNT), t, bm, best, all5);
}

/** scanAt with nothing found yet. */
@inline function scanFirstAt(info: usize, leaves: usize, node: u32, t: usize, bm: usize, all5: bool): u32 {
  const e = info + <usize>node * LEAF_SIZE;
  return scanLeafFirst(leaves + <usize>load<u32>(e, LEAF_FIRST), load<u32>(e, LEAF_COUNT), t, bm, all5);
}

/**
 * Is tuple `t` inside the classifier's guard (format.ts "Classifier"; true
 * without one)? The trees answer only tuples inside it: their leaves do not
 * test what it guarantees, and a tuple outside matches no rule.
 */
@inline function guardOk(cls: usize, t: usize): bool {
  const n = load<u32>(cls, C_N_GUARDS);
  let g = cls + <usize>load<u32>(cls, C_GUARD_OFF);
  let ok = true;
  for (let j: u32 = 0; j < n; j++) {
    ok &= load<u32>(t + <usize>load<u32>(g, TGU_KEY_OFF)) - load<u32>(g, TGU_LO) <= load<u32>(g, TGU_SPAN);
    g += TGU_SIZE;
  }
  return ok;
}

/** After a tree walk of `count` tuples from `t` (results at `out`): "no match" for those outside the guard. */
@inline function guardRun(cls: usize, t: usize, out: usize, count: u32): void {
  if (load<u32>(cls, C_N_GUARDS) != 0) guardSlow(cls, t, out, count);
}

function guardSlow(cls: usize, t: usize, out: usize, count: u32): void {
  for (let i: u32 = 0; i < count; i++) {
    if (!guardOk(cls, t + <usize>i * T_SIZE)) store<i32>(out + (<usize>i << 2), -1);
  }
}

/** guardRun for eight tuples: four lanes per compare, one pass over the guard. */
@inline function guard8(cls: usize, t: usize, out: usize): void {
  if (load<u32>(cls, C_N_GUARDS) != 0) guard8Slow(cls, t, out);
}

function guard8Slow(cls: usize, t: usize, out: usize): void {
  const n = load<u32>(cls, C_N_GUARDS);
  let g = cls + <usize>load<u32>(cls, C_GUARD_OFF);
  let bad0 = i32x4.splat(0);
  let bad1 = i32x4.splat(0);
  for (let j: u32 = 0; j < n; j++) {
    const k = t + <usize>load<u32>(g, TGU_KEY_OFF);
    const lo = i32x4.splat(load<u32>(g, TGU_LO));
    const span = i32x4.splat(load<u32>(g, TGU_SPAN));
    let a = i32x4.splat(load<u32>(k));
    a = i32x4.replace_lane(a, 1, load<u32>(k + 1 * T_SIZE));
    a = i32x4.replace_lane(a, 2, load<u32>(k + 2 * T_SIZE));
    a = i32x4.replace_lane(a, 3, load<u32>(k + 3 * T_SIZE));
    let b = i32x4.splat(load<u32>(k + 4 * T_SIZE));
    b = i32x4.replace_lane(b, 1, load<u32>(k + 5 * T_SIZE));
    b = i32x4.replace_lane(b, 2, load<u32>(k + 6 * T_SIZE));
    b = i32x4.replace_lane(b, 3, load<u32>(k + 7 * T_SIZE));
    bad0 = v128.or(bad0, i32x4.gt_u(i32x4.sub(a, lo), span));
    bad1 = v128.or(bad1, i32x4.gt_u(i32x4.sub(b, lo), span));
    g += TGU_SIZE;
  }
  // "No match" (-1) where a lane is outside: OR the lane's mask into its result.
  v128.store(out, v128.or(v128.load(out), bad0));
  v128.store(out, v128.or(v128.load(out, 16), bad1), 16);
}

/** Tree search: every tree by ascending minPos, stop when the best precedes it. */
function treesOne(cls: usize, t: usize): i32 {
  return treesOneOf(cls, t);
}

/** treesOne inlined (classifyTuple: the engine's miss path, one call fewer). */
@inline function treesOneOf(cls: usize, t: usize): i32 {
  if (!guardOk(cls, t)) return -1;
  const fam = load<u32>(t, T_FAMILY);
  const bm = bitmapOf(cls, t, fam);
  const nTrees = load<u32>(cls, C_N_TREES);
  const trees = cls + <usize>load<u32>(cls, C_TREES_OFF);
  const nodes = cls + <usize>load<u32>(cls, C_NODES_OFF);
  const info = cls + <usize>load<u32>(cls, C_LEAF_INFO_OFF);
  const leaves = cls + <usize>load<u32>(cls, C_LEAVES_OFF);
  const all5 = load<u32>(cls, C_GROUP_FORM) != 0;
  // The first tree with nothing found yet (no test of the positions against
  // a best; the cloud topologies' lists are mostly one tree), then the rest.
  if (nTrees == 0 || load<u32>(trees, TREE_MIN_POS) == 0xffffffff) return -1;
  let best = scanFirstAt(info, leaves, walkOne(nodes, load<u32>(trees, TREE_ROOT), t), t, bm, all5);
  for (let k: u32 = 1; k < nTrees; k++) {
    const te = trees + <usize>k * TREE_SIZE;
    if (load<u32>(te, TREE_MIN_POS) >= best) break;
    const leaf = walkOne(nodes, load<u32>(te, TREE_ROOT), t);
    best = scanAt(info, leaves, leaf, t, bm, best, all5);
  }
  return best == 0xffffffff ? -1 : <i32>best;
}

/**
 * Four tuples of one classifier at once: the four tree walks advance in
 * lockstep, so their dependent loads overlap (memory-level parallelism). A
 * lane at its leaf stays there (a leaf is a fixed point of `step`); the loop
 * ends when no lane moved: no leaf test, no branch per lane.
 */
function trees4(cls: usize, t: usize, out: usize): void {
  // No sets in the classifier (the common case): no bitmap lookups.
  const hasSets = load<u32>(cls, C_SETS_OFF) != 0;
  const bm0 = hasSets ? bitmapFor(cls, t + 0 * T_SIZE, load<u32>(t + 0 * T_SIZE, T_FAMILY)) : 0;
  const bm1 = hasSets ? bitmapFor(cls, t + 1 * T_SIZE, load<u32>(t + 1 * T_SIZE, T_FAMILY)) : 0;
  const bm2 = hasSets ? bitmapFor(cls, t + 2 * T_SIZE, load<u32>(t + 2 * T_SIZE, T_FAMILY)) : 0;
  const bm3 = hasSets ? bitmapFor(cls, t + 3 * T_SIZE, load<u32>(t + 3 * T_SIZE, T_FAMILY)) : 0;
  const nTrees = load<u32>(cls, C_N_TREES);
  const trees = cls + <usize>load<u32>(cls, C_TREES_OFF);
  const nodes = cls + <usize>load<u32>(cls, C_NODES_OFF);
  const info = cls + <usize>load<u32>(cls, C_LEAF_INFO_OFF);
  const leaves = cls + <usize>load<u32>(cls, C_LEAVES_OFF);
  const all5 = load<u32>(cls, C_GROUP_FORM) != 0;
  let b0: u32 = 0xffffffff;
  let b1: u32 = 0xffffffff;
  let b2: u32 = 0xffffffff;
  let b3: u32 = 0xffffffff;
  let n0p: u32 = 0;
  let n1p: u32 = 0;
  let n2p: u32 = 0;
  let n3p: u32 = 0;
  for (let k: u32 = 0; k < nTrees; k++) {
    const te = trees + <usize>k * TREE_SIZE;
    const minPos = load<u32>(te, TREE_MIN_POS);
    // Stop when every lane's best precedes the tree.
    if (minPos >= b0 && minPos >= b1 && minPos >= b2 && minPos >= b3) break;
    const root = load<u32>(te, TREE_ROOT);
    // A lane whose best already precedes this tree stays at its last leaf
    // (a leaf: it does not lengthen the walk) and skips the leaf scan.
    let n0 = k == 0 || minPos < b0 ? root : n0p;
    let n1 = k == 0 || minPos < b1 ? root : n1p;
    let n2 = k == 0 || minPos < b2 ? root : n2p;
    let n3 = k == 0 || minPos < b3 ? root : n3p;
    while (true) {
      const m0 = step(nodes, n0, t + 0 * T_SIZE);
      const m1 = step(nodes, n1, t + 1 * T_SIZE);
      const m2 = step(nodes, n2, t + 2 * T_SIZE);
      const m3 = step(nodes, n3, t + 3 * T_SIZE);
      if (((m0 ^ n0) | (m1 ^ n1) | (m2 ^ n2) | (m3 ^ n3)) == 0) break;
      n0 = m0;
      n1 = m1;
      n2 = m2;
      n3 = m3;
    }
    if (minPos < b0) b0 = scanAt(info, leaves, n0, t + 0 * T_SIZE, bm0, b0, all5);
    if (minPos < b1) b1 = scanAt(info, leaves, n1, t + 1 * T_SIZE, bm1, b1, all5);
    if (minPos < b2) b2 = scanAt(info, leaves, n2, t + 2 * T_SIZE, bm2, b2, all5);
    if (minPos < b3) b3 = scanAt(info, leaves, n3, t + 3 * T_SIZE, bm3, b3, all5);
    n0p = n0;
    n1p = n1;
    n2p = n2;
    n3p = n3;
  }
  store<i32>(out, b0 == 0xffffffff ? -1 : <i32>b0, 0 * 4);
  store<i32>(out, b1 == 0xffffffff ? -1 : <i32>b1, 1 * 4);
  store<i32>(out, b2 == 0xffffffff ? -1 : <i32>b2, 2 * 4);
  store<i32>(out, b3 == 0xffffffff ? -1 : <i32>b3, 3 * 4);
}

/**
 * The eight lanes' leaf scans after a one-tree walk (trees8One, trees8OneRun):
 * the eight leaf entries read first (their loads overlap), then the scans
 * with nothing found yet, the results stored as they are.
 */
@inline function scan8First(info: usize, leaves: usize, t: usize, out: usize, n0: u32, n1: u32, n2: u32, n3: u32, n4: u32, n5: u32, n6: u32, n7: u32, bm0: usize, bm1: usize, bm2: usize, bm3: usize, bm4: usize, bm5: usize, bm6: usize, bm7: usize, all5: bool): void {
  const e0 = info + <usize>n0 * LEAF_SIZE;
  const g0 = leaves + <usize>load<u32>(e0, LEAF_FIRST);
  const c0 = load<u32>(e0, LEAF_COUNT);
  const e1 = info + <usize>n1 * LEAF_SIZE;
  const g1 = leaves + <usize>load<u32>(e1, LEAF_FIRST);
  const c1 = load<u32>(e1, LEAF_COUNT);
  const e2 = info + <usize>n2 * LEAF_SIZE;
  const g2 = leaves + <usize>load<u32>(e2, LEAF_FIRST);
  const c2 = load<u32>(e2, LEAF_COUNT);
  const e3 = info + <usize>n3 * LEAF_SIZE;
  const g3 = leaves + <usize>load<u32>(e3, LEAF_FIRST);
  const c3 = load<u32>(e3, LEAF_COUNT);
  const e4 = info + <usize>n4 * LEAF_SIZE;
  const g4 = leaves + <usize>load<u32>(e4, LEAF_FIRST);
  const c4 = load<u32>(e4, LEAF_COUNT);
  const e5 = info + <usize>n5 * LEAF_SIZE;
  const g5 = leaves + <usize>load<u32>(e5, LEAF_FIRST);
  const c5 = load<u32>(e5, LEAF_COUNT);
  const e6 = info + <usize>n6 * LEAF_SIZE;
  const g6 = leaves + <usize>load<u32>(e6, LEAF_FIRST);
  const c6 = load<u32>(e6, LEAF_COUNT);
  const e7 = info + <usize>n7 * LEAF_SIZE;
  const g7 = leaves + <usize>load<u32>(e7, LEAF_FIRST);
  const c7 = load<u32>(e7, LEAF_COUNT);
  const b0 = scanLeafFirst(g0, c0, t + 0 * T_SIZE, bm0, all5);
  const b1 = scanLeafFirst(g1, c1, t + 1 * T_SIZE, bm1, all5);
  const b2 = scanLeafFirst(g2, c2, t + 2 * T_SIZE, bm2, all5);
  const b3 = scanLeafFirst(g3, c3, t + 3 * T_SIZE, bm3, all5);
  const b4 = scanLeafFirst(g4, c4, t + 4 * T_SIZE, bm4, all5);
  const b5 = scanLeafFirst(g5, c5, t + 5 * T_SIZE, bm5, all5);
  const b6 = scanLeafFirst(g6, c6, t + 6 * T_SIZE, bm6, all5);
  const b7 = scanLeafFirst(g7, c7, t + 7 * T_SIZE, bm7, all5);
  store<u32>(out, b0, 0 * 4);
  store<u32>(out, b1, 1 * 4);
  store<u32>(out, b2, 2 * 4);
  store<u32>(out, b3, 3 * 4);
  store<u32>(out, b4, 4 * 4);
  store<u32>(out, b5, 5 * 4);
  store<u32>(out, b6, 6 * 4);
  store<u32>(out, b7, 7 * 4);
}

/**
 * trees8 for a classifier of one tree (the common case: every shared
 * ClassBench set below 10K rules, and acl1_10K): no loop over trees, no
 * per-lane test of the best against the next tree, no saved leaves —
 * measured x1.03-1.11 over trees8 on those sets (docs/classifier.md); the
 * walk that ends when no lane moved (WALK_STEPS 0; with a fixed walk, the
 * run takes trees8OneRun).
 */
function trees8One(cls: usize, t: usize, out: usize): void {
  const hasSets = load<u32>(cls, C_SETS_OFF) != 0;
  const bm0 = hasSets ? bitmapFor(cls, t + 0 * T_SIZE, load<u32>(t + 0 * T_SIZE, T_FAMILY)) : 0;
  const bm1 = hasSets ? bitmapFor(cls, t + 1 * T_SIZE, load<u32>(t + 1 * T_SIZE, T_FAMILY)) : 0;
  const bm2 = hasSets ? bitmapFor(cls, t + 2 * T_SIZE, load<u32>(t + 2 * T_SIZE, T_FAMILY)) : 0;
  const bm3 = hasSets ? bitmapFor(cls, t + 3 * T_SIZE, load<u32>(t + 3 * T_SIZE, T_FAMILY)) : 0;
  const bm4 = hasSets ? bitmapFor(cls, t + 4 * T_SIZE, load<u32>(t + 4 * T_SIZE, T_FAMILY)) : 0;
  const bm5 = hasSets ? bitmapFor(cls, t + 5 * T_SIZE, load<u32>(t + 5 * T_SIZE, T_FAMILY)) : 0;
  const bm6 = hasSets ? bitmapFor(cls, t + 6 * T_SIZE, load<u32>(t + 6 * T_SIZE, T_FAMILY)) : 0;
  const bm7 = hasSets ? bitmapFor(cls, t + 7 * T_SIZE, load<u32>(t + 7 * T_SIZE, T_FAMILY)) : 0;
  const root = load<u32>(cls + <usize>load<u32>(cls, C_TREES_OFF), TREE_ROOT);
  const nodes = cls + <usize>load<u32>(cls, C_NODES_OFF);
  const info = cls + <usize>load<u32>(cls, C_LEAF_INFO_OFF);
  const leaves = cls + <usize>load<u32>(cls, C_LEAVES_OFF);
  const all5 = load<u32>(cls, C_GROUP_FORM) != 0;
  let n0 = root;
  let n1 = root;
  let n2 = root;
  let n3 = root;
  let n4 = root;
  let n5 = root;
  let n6 = root;
  let n7 = root;
  // Two steps per exit test (a leaf stays, so an extra step costs nothing
  // but its ops); the test: no lane moved in the second.
  while (true) {
    const m0 = step(nodes, n0 = step(nodes, n0, t + 0 * T_SIZE), t + 0 * T_SIZE);
    const m1 = step(nodes, n1 = step(nodes, n1, t + 1 * T_SIZE), t + 1 * T_SIZE);
    const m2 = step(nodes, n2 = step(nodes, n2, t + 2 * T_SIZE), t + 2 * T_SIZE);
    const m3 = step(nodes, n3 = step(nodes, n3, t + 3 * T_SIZE), t + 3 * T_SIZE);
    const m4 = step(nodes, n4 = step(nodes, n4, t + 4 * T_SIZE), t + 4 * T_SIZE);
    const m5 = step(nodes, n5 = step(nodes, n5, t + 5 * T_SIZE), t + 5 * T_SIZE);
    const m6 = step(nodes, n6 = step(nodes, n6, t + 6 * T_SIZE), t + 6 * T_SIZE);
    const m7 = step(nodes, n7 = step(nodes, n7, t + 7 * T_SIZE), t + 7 * T_SIZE);
    if (((m0 ^ n0) | (m1 ^ n1) | (m2 ^ n2) | (m3 ^ n3) | (m4 ^ n4) | (m5 ^ n5) | (m6 ^ n6) | (m7 ^ n7)) == 0) break;
    n0 = m0;
    n1 = m1;
    n2 = m2;
    n3 = m3;
    n4 = m4;
    n5 = m5;
    n6 = m6;
    n7 = m7;
  }
  scan8First(info, leaves, t, out, n0, n1, n2, n3, n4, n5, n6, n7, bm0, bm1, bm2, bm3, bm4, bm5, bm6, bm7, all5);
}

/**
 * trees8One for a run of `groups` × 8 tuples of one classifier whose tree
 * has a fixed walk (WALK_STEPS != 0): the classifier's words read once for
 * the run, not once per eight tuples, and the guard checked per eight.
 */
function trees8OneRun(cls: usize, t: usize, out: usize, groups: u32): void {
  const hasSets = load<u32>(cls, C_SETS_OFF) != 0;
  const root = load<u32>(cls + <usize>load<u32>(cls, C_TREES_OFF), TREE_ROOT);
  const nodes = cls + <usize>load<u32>(cls, C_NODES_OFF);
  const info = cls + <usize>load<u32>(cls, C_LEAF_INFO_OFF);
  const leaves = cls + <usize>load<u32>(cls, C_LEAVES_OFF);
  const all5 = load<u32>(cls, C_GROUP_FORM) != 0;
  const steps = load<u32>(cls, C_WALK_STEPS);
  for (let k: u32 = 0; k < groups; k++) {
    const bm0 = hasSets ? bitmapFor(cls, t + 0 * T_SIZE, load<u32>(t + 0 * T_SIZE, T_FAMILY)) : 0;
    const bm1 = hasSets ? bitmapFor(cls, t + 1 * T_SIZE, load<u32>(t + 1 * T_SIZE, T_FAMILY)) : 0;
    const bm2 = hasSets ? bitmapFor(cls, t + 2 * T_SIZE, load<u32>(t + 2 * T_SIZE, T_FAMILY)) : 0;
    const bm3 = hasSets ? bitmapFor(cls, t + 3 * T_SIZE, load<u32>(t + 3 * T_SIZE, T_FAMILY)) : 0;
    const bm4 = hasSets ? bitmapFor(cls, t + 4 * T_SIZE, load<u32>(t + 4 * T_SIZE, T_FAMILY)) : 0;
    const bm5 = hasSets ? bitmapFor(cls, t + 5 * T_SIZE, load<u32>(t + 5 * T_SIZE, T_FAMILY)) : 0;
    const bm6 = hasSets ? bitmapFor(cls, t + 6 * T_SIZE, load<u32>(t + 6 * T_SIZE, T_FAMILY)) : 0;
    const bm7 = hasSets ? bitmapFor(cls, t + 7 * T_SIZE, load<u32>(t + 7 * T_SIZE, T_FAMILY)) : 0;
    let n0 = root;
    let n1 = root;
    let n2 = root;
    let n3 = root;
    let n4 = root;
    let n5 = root;
    let n6 = root;
    let n7 = root;
    // The fixed walk (WALK_STEPS, the tree's deepest leaf): no exit test.
    for (let d: u32 = 0; d < steps; d++) {
      n0 = pin(0, step(nodes, n0, t + 0 * T_SIZE));
      n1 = pin(1, step(nodes, n1, t + 1 * T_SIZE));
      n2 = pin(2, step(nodes, n2, t + 2 * T_SIZE));
      n3 = pin(3, step(nodes, n3, t + 3 * T_SIZE));
      n4 = pin(4, step(nodes, n4, t + 4 * T_SIZE));
      n5 = pin(5, step(nodes, n5, t + 5 * T_SIZE));
      n6 = pin(6, step(nodes, n6, t + 6 * T_SIZE));
      n7 = pin(7, step(nodes, n7, t + 7 * T_SIZE));
    }
    scan8First(info, leaves, t, out, n0, n1, n2, n3, n4, n5, n6, n7, bm0, bm1, bm2, bm3, bm4, bm5, bm6, bm7, all5);
    guard8(cls, t, out);
    t += 8 * T_SIZE;
    out += 8 * 4;
  }
}


/**
 * Eight tuples of one classifier at once (trees4 widened; measured faster on
 * every ClassBench set, see docs/classifier.md). Written out lane by lane so
 * every lane's state stays in locals.
 */
function trees8(cls: usize, t: usize, out: usize): void {
  const hasSets = load<u32>(cls, C_SETS_OFF) != 0;
  const bm0 = hasSets ? bitmapFor(cls, t + 0 * T_SIZE, load<u32>(t + 0 * T_SIZE, T_FAMILY)) : 0;
  const bm1 = hasSets ? bitmapFor(cls, t + 1 * T_SIZE, load<u32>(t + 1 * T_SIZE, T_FAMILY)) : 0;
  const bm2 = hasSets ? bitmapFor(cls, t + 2 * T_SIZE, load<u32>(t + 2 * T_SIZE, T_FAMILY)) : 0;
  const bm3 = hasSets ? bitmapFor(cls, t + 3 * T_SIZE, load<u32>(t + 3 * T_SIZE, T_FAMILY)) : 0;
  const bm4 = hasSets ? bitmapFor(cls, t + 4 * T_SIZE, load<u32>(t + 4 * T_SIZE, T_FAMILY)) : 0;
  const bm5 = hasSets ? bitmapFor(cls, t + 5 * T_SIZE, load<u32>(t + 5 * T_SIZE, T_FAMILY)) : 0;
  const bm6 = hasSets ? bitmapFor(cls, t + 6 * T_SIZE, load<u32>(t + 6 * T_SIZE, T_FAMILY)) : 0;
  const bm7 = hasSets ? bitmapFor(cls, t + 7 * T_SIZE, load<u32>(t + 7 * T_SIZE, T_FAMILY)) : 0;
  const nTrees = load<u32>(cls, C_N_TREES);
  const trees = cls + <usize>load<u32>(cls, C_TREES_OFF);
  const nodes = cls + <usize>load<u32>(cls, C_NODES_OFF);
  const info = cls + <usize>load<u32>(cls, C_LEAF_INFO_OFF);
  const leaves = cls + <usize>load<u32>(cls, C_LEAVES_OFF);
  const all5 = load<u32>(cls, C_GROUP_FORM) != 0;
  let b0: u32 = 0xffffffff;
  let b1: u32 = 0xffffffff;
  let b2: u32 = 0xffffffff;
  let b3: u32 = 0xffffffff;
  let b4: u32 = 0xffffffff;
  let b5: u32 = 0xffffffff;
  let b6: u32 = 0xffffffff;
  let b7: u32 = 0xffffffff;
  let n0p: u32 = 0;
  let n1p: u32 = 0;
  let n2p: u32 = 0;
  let n3p: u32 = 0;
  let n4p: u32 = 0;
  let n5p: u32 = 0;
  let n6p: u32 = 0;
  let n7p: u32 = 0;
  for (let k: u32 = 0; k < nTrees; k++) {
    const te = trees + <usize>k * TREE_SIZE;
    const minPos = load<u32>(te, TREE_MIN_POS);
    if (minPos >= b0 && minPos >= b1 && minPos >= b2 && minPos >= b3 && minPos >= b4 && minPos >= b5 && minPos >= b6 && minPos >= b7) break;
    const root = load<u32>(te, TREE_ROOT);
    // Per lane: done lanes stay at their last leaf (see trees4).
    let n0 = k == 0 || minPos < b0 ? root : n0p;
    let n1 = k == 0 || minPos < b1 ? root : n1p;
    let n2 = k == 0 || minPos < b2 ? root : n2p;
    let n3 = k == 0 || minPos < b3 ? root : n3p;
    let n4 = k == 0 || minPos < b4 ? root : n4p;
    let n5 = k == 0 || minPos < b5 ? root : n5p;
    let n6 = k == 0 || minPos < b6 ? root : n6p;
    let n7 = k == 0 || minPos < b7 ? root : n7p;
    // Two steps per exit test (a leaf stays, so an extra step costs nothing
    // but its ops); the test: no lane moved in the second.
    while (true) {
      const m0 = step(nodes, n0 = step(nodes, n0, t + 0 * T_SIZE), t + 0 * T_SIZE);
      const m1 = step(nodes, n1 = step(nodes, n1, t + 1 * T_SIZE), t + 1 * T_SIZE);
      const m2 = step(nodes, n2 = step(nodes, n2, t + 2 * T_SIZE), t + 2 * T_SIZE);
      const m3 = step(nodes, n3 = step(nodes, n3, t + 3 * T_SIZE), t + 3 * T_SIZE);
      const m4 = step(nodes, n4 = step(nodes, n4, t + 4 * T_SIZE), t + 4 * T_SIZE);
      const m5 = step(nodes, n5 = step(nodes, n5, t + 5 * T_SIZE), t + 5 * T_SIZE);
      const m6 = step(nodes, n6 = step(nodes, n6, t + 6 * T_SIZE), t + 6 * T_SIZE);
      const m7 = step(nodes, n7 = step(nodes, n7, t + 7 * T_SIZE), t + 7 * T_SIZE);
      if (((m0 ^ n0) | (m1 ^ n1) | (m2 ^ n2) | (m3 ^ n3) | (m4 ^ n4) | (m5 ^ n5) | (m6 ^ n6) | (m7 ^ n7)) == 0) break;
      n0 = m0;
      n1 = m1;
      n2 = m2;
      n3 = m3;
      n4 = m4;
      n5 = m5;
      n6 = m6;
      n7 = m7;
    }
    if (minPos < b0) b0 = scanAt(info, leaves, n0, t + 0 * T_SIZE, bm0, b0, all5);
    if (minPos < b1) b1 = scanAt(info, leaves, n1, t + 1 * T_SIZE, bm1, b1, all5);
    if (minPos < b2) b2 = scanAt(info, leaves, n2, t + 2 * T_SIZE, bm2, b2, all5);
    if (minPos < b3) b3 = scanAt(info, leaves, n3, t + 3 * T_SIZE, bm3, b3, all5);
    if (minPos < b4) b4 = scanAt(info, leaves, n4, t + 4 * T_SIZE, bm4, b4, all5);
    if (minPos < b5) b5 = scanAt(info, leaves, n5, t + 5 * T_SIZE, bm5, b5, all5);
    if (minPos < b6) b6 = scanAt(info, leaves, n6, t + 6 * T_SIZE, bm6, b6, all5);
    if (minPos < b7) b7 = scanAt(info, leaves, n7, t + 7 * T_SIZE, bm7, b7, all5);
    n0p = n0;
    n1p = n1;
    n2p = n2;
    n3p = n3;
    n4p = n4;
    n5p = n5;
    n6p = n6;
    n7p = n7;
  }
  store<i32>(out, b0 == 0xffffffff ? -1 : <i32>b0, 0 * 4);
  store<i32>(out, b1 == 0xffffffff ? -1 : <i32>b1, 1 * 4);
  store<i32>(out, b2 == 0xffffffff ? -1 : <i32>b2, 2 * 4);
  store<i32>(out, b3 == 0xffffffff ? -1 : <i32>b3, 3 * 4);
  store<i32>(out, b4 == 0xffffffff ? -1 : <i32>b4, 4 * 4);
  store<i32>(out, b5 == 0xffffffff ? -1 : <i32>b5, 5 * 4);
  store<i32>(out, b6 == 0xffffffff ? -1 : <i32>b6, 6 * 4);
  store<i32>(out, b7 == 0xffffffff ? -1 : <i32>b7, 7 * 4);
}

// ---------------------------------------------------------------------------
// Tree-major walk for classifiers of several trees (runs of >= 16 tuples).
// Tree by tree, only the tuples whose best match does not precede the tree's
// first position are walked, compacted into groups of 8 (measured on the
// split 10K sets: 1.5-2 trees visited per packet of 3, where the lockstep
// walk of trees8 walks a tree for all 8 lanes as soon as one needs it).
// The running best of each tuple lives in `out` (0xFFFFFFFF = -1 = none);
// the list of tuples still searching and their set bitmaps in static scratch
// memory (below the host's heap, see heapBase).

const CHUNK: u32 = 1024;
const scratchIdx: usize = memory.data(CHUNK * 4, 16);
const scratchBm: usize = memory.data(CHUNK * 4, 16);

/**
 * Eight listed tuples (indices at `idx`) walk one tree in lockstep; their
 * bests in `out` improve. `steps`: the tree entry's STEPS, the tree's fixed
 * walk (as walkFirst8's WALK_STEPS; docs/classifier.md "Fixed walks for the
 * later trees (cls30)"), else (0) the loop.
 */
function walkListed8(nodes: usize, info: usize, leaves: usize, all5: bool, root: u32, steps: u32, idx: usize, tuples: usize, out: usize): void {
  const i0 = <usize>load<u32>(idx, 0 * 4);
  const t0 = tuples + i0 * T_SIZE;
  let n0 = root;
  const i1 = <usize>load<u32>(idx, 1 * 4);
  const t1 = tuples + i1 * T_SIZE;
  let n1 = root;
  const i2 = <usize>load<u32>(idx, 2 * 4);
  const t2 = tuples + i2 * T_SIZE;
  let n2 = root;
  const i3 = <usize>load<u32>(idx, 3 * 4);
  const t3 = tuples + i3 * T_SIZE;
  let n3 = root;
  const i4 = <usize>load<u32>(idx, 4 * 4);
  const t4 = tuples + i4 * T_SIZE;
  let n4 = root;
  const i5 = <usize>load<u32>(idx, 5 * 4);
  const t5 = tuples + i5 * T_SIZE;
  let n5 = root;
  const i6 = <usize>load<u32>(idx, 6 * 4);
  const t6 = tuples + i6 * T_SIZE;
  let n6 = root;
  const i7 = <usize>load<u32>(idx, 7 * 4);
  const t7 = tuples + i7 * T_SIZE;
  let n7 = root;
  for (let d: u32 = 0; d < steps; d++) {
    n0 = pin(0, step(nodes, n0, t0));
    n1 = pin(1, step(nodes, n1, t1));
    n2 = pin(2, step(nodes, n2, t2));
    n3 = pin(3, step(nodes, n3, t3));
    n4 = pin(4, step(nodes, n4, t4));
    n5 = pin(5, step(nodes, n5, t5));
    n6 = pin(6, step(nodes, n6, t6));
    n7 = pin(7, step(nodes, n7, t7));
  }
  while (steps == 0) {
    const m0 = step(nodes, n0 = step(nodes, n0, t0), t0);
    const m1 = step(nodes, n1 = step(nodes, n1, t1), t1);
    const m2 = step(nodes, n2 = step(nodes, n2, t2), t2);
    const m3 = step(nodes, n3 = step(nodes, n3, t3), t3);
    const m4 = step(nodes, n4 = step(nodes, n4, t4), t4);
    const m5 = step(nodes, n5 = step(nodes, n5, t5), t5);
    const m6 = step(nodes, n6 = step(nodes, n6, t6), t6);
    const m7 = step(nodes, n7 = step(nodes, n7, t7), t7);
    if (((m0 ^ n0) | (m1 ^ n1) | (m2 ^ n2) | (m3 ^ n3) | (m4 ^ n4) | (m5 ^ n5) | (m6 ^ n6) | (m7 ^ n7)) == 0) break;
    n0 = m0;
    n1 = m1;
    n2 = m2;
    n3 = m3;
    n4 = m4;
    n5 = m5;
    n6 = m6;
    n7 = m7;
  }
  store<u32>(out + (i0 << 2), scanAt(info, leaves, n0, t0, <usize>load<u32>(scratchBm + (i0 << 2)), load<u32>(out + (i0 << 2)), all5));
  store<u32>(out + (i1 << 2), scanAt(info, leaves, n1, t1, <usize>load<u32>(scratchBm + (i1 << 2)), load<u32>(out + (i1 << 2)), all5));
  store<u32>(out + (i2 << 2), scanAt(info, leaves, n2, t2, <usize>load<u32>(scratchBm + (i2 << 2)), load<u32>(out + (i2 << 2)), all5));
  store<u32>(out + (i3 << 2), scanAt(info, leaves, n3, t3, <usize>load<u32>(scratchBm + (i3 << 2)), load<u32>(out + (i3 << 2)), all5));
  store<u32>(out + (i4 << 2), scanAt(info, leaves, n4, t4, <usize>load<u32>(scratchBm + (i4 << 2)), load<u32>(out + (i4 << 2)), all5));
  store<u32>(out + (i5 << 2), scanAt(info, leaves, n5, t5, <usize>load<u32>(scratchBm + (i5 << 2)), load<u32>(out + (i5 << 2)), all5));
  store<u32>(out + (i6 << 2), scanAt(info, leaves, n6, t6, <usize>load<u32>(scratchBm + (i6 << 2)), load<u32>(out + (i6 << 2)), all5));
  store<u32>(out + (i7 << 2), scanAt(info, leaves, n7, t7, <usize>load<u32>(scratchBm + (i7 << 2)), load<u32>(out + (i7 << 2)), all5));
}

/** One listed tuple walks one tree. */
function walkListed1(nodes: usize, info: usize, leaves: usize, all5: bool, root: u32, i: usize, tuples: usize, out: usize): void {
  const t = tuples + i * T_SIZE;
  const leaf = walkOne(nodes, root, t);
  store<u32>(out + (i << 2), scanAt(info, leaves, leaf, t, <usize>load<u32>(scratchBm + (i << 2)), load<u32>(out + (i << 2)), all5));
}

/**
 * Eight consecutive tuples from `t` walk the first tree (`root`) in lockstep:
 * the first tree needs no list (every tuple walks it) and no best to test
 * (nothing is found yet), so this is trees8One's walk and scans, with the
 * set bitmaps from scratchBm (index `j0`). Results (0xFFFFFFFF = none) at `out`.
 */
function walkFirst8(nodes: usize, info: usize, leaves: usize, all5: bool, root: u32, steps: u32, t: usize, j0: usize, out: usize): void {
  let n0 = root;
  let n1 = root;
  let n2 = root;
  let n3 = root;
  let n4 = root;
  let n5 = root;
  let n6 = root;
  let n7 = root;
  // WALK_STEPS: the first tree's fixed walk (as in trees8One), else the loop.
  for (let d: u32 = 0; d < steps; d++) {
    n0 = pin(0, step(nodes, n0, t + 0 * T_SIZE));
    n1 = pin(1, step(nodes, n1, t + 1 * T_SIZE));
    n2 = pin(2, step(nodes, n2, t + 2 * T_SIZE));
    n3 = pin(3, step(nodes, n3, t + 3 * T_SIZE));
    n4 = pin(4, step(nodes, n4, t + 4 * T_SIZE));
    n5 = pin(5, step(nodes, n5, t + 5 * T_SIZE));
    n6 = pin(6, step(nodes, n6, t + 6 * T_SIZE));
    n7 = pin(7, step(nodes, n7, t + 7 * T_SIZE));
  }
  while (steps == 0) {
    const m0 = step(nodes, n0 = step(nodes, n0, t + 0 * T_SIZE), t + 0 * T_SIZE);
    const m1 = step(nodes, n1 = step(nodes, n1, t + 1 * T_SIZE), t + 1 * T_SIZE);
    const m2 = step(nodes, n2 = step(nodes, n2, t + 2 * T_SIZE), t + 2 * T_SIZE);
    const m3 = step(nodes, n3 = step(nodes, n3, t + 3 * T_SIZE), t + 3 * T_SIZE);
    const m4 = step(nodes, n4 = step(nodes, n4, t + 4 * T_SIZE), t + 4 * T_SIZE);
    const m5 = step(nodes, n5 = step(nodes, n5, t + 5 * T_SIZE), t + 5 * T_SIZE);
    const m6 = step(nodes, n6 = step(nodes, n6, t + 6 * T_SIZE), t + 6 * T_SIZE);
    const m7 = step(nodes, n7 = step(nodes, n7, t + 7 * T_SIZE), t + 7 * T_SIZE);
    if (((m0 ^ n0) | (m1 ^ n1) | (m2 ^ n2) | (m3 ^ n3) | (m4 ^ n4) | (m5 ^ n5) | (m6 ^ n6) | (m7 ^ n7)) == 0) break;
    n0 = m0;
    n1 = m1;
    n2 = m2;
    n3 = m3;
    n4 = m4;
    n5 = m5;
    n6 = m6;
    n7 = m7;
  }
  const bm = scratchBm + (j0 << 2);
  store<u32>(out, scanFirstAt(info, leaves, n0, t + 0 * T_SIZE, <usize>load<u32>(bm, 0 * 4), all5), 0 * 4);
  store<u32>(out, scanFirstAt(info, leaves, n1, t + 1 * T_SIZE, <usize>load<u32>(bm, 1 * 4), all5), 1 * 4);
  store<u32>(out, scanFirstAt(info, leaves, n2, t + 2 * T_SIZE, <usize>load<u32>(bm, 2 * 4), all5), 2 * 4);
  store<u32>(out, scanFirstAt(info, leaves, n3, t + 3 * T_SIZE, <usize>load<u32>(bm, 3 * 4), all5), 3 * 4);
  store<u32>(out, scanFirstAt(info, leaves, n4, t + 4 * T_SIZE, <usize>load<u32>(bm, 4 * 4), all5), 4 * 4);
  store<u32>(out, scanFirstAt(info, leaves, n5, t + 5 * T_SIZE, <usize>load<u32>(bm, 5 * 4), all5), 5 * 4);
  store<u32>(out, scanFirstAt(info, leaves, n6, t + 6 * T_SIZE, <usize>load<u32>(bm, 6 * 4), all5), 6 * 4);
  store<u32>(out, scanFirstAt(info, leaves, n7, t + 7 * T_SIZE, <usize>load<u32>(bm, 7 * 4), all5), 7 * 4);
}

/**
 * `m` (<= CHUNK) tuples of classifier `cls`, tree by tree: the first tree by
 * every tuple, eight consecutive ones at a time (walkFirst8), then each
 * further tree by the tuples whose best does not precede it, compacted.
 */
function treesListed(cls: usize, tuples: usize, m: u32, out: usize): void {
  const nTrees = load<u32>(cls, C_N_TREES);
  const trees = cls + <usize>load<u32>(cls, C_TREES_OFF);
  const nodes = cls + <usize>load<u32>(cls, C_NODES_OFF);
  const info = cls + <usize>load<u32>(cls, C_LEAF_INFO_OFF);
  const leaves = cls + <usize>load<u32>(cls, C_LEAVES_OFF);
  const all5 = load<u32>(cls, C_GROUP_FORM) != 0;
  const hasSets = load<u32>(cls, C_SETS_OFF) != 0;
  for (let j: u32 = 0; j < m; j++) {
    const t = tuples + <usize>j * T_SIZE;
    store<u32>(out + (<usize>j << 2), 0xffffffff);
    store<u32>(scratchBm + (<usize>j << 2), hasSets ? <u32>bitmapFor(cls, t, load<u32>(t, T_FAMILY)) : 0);
    store<u32>(scratchIdx + (<usize>j << 2), j);
  }
  const root0 = load<u32>(trees, TREE_ROOT);
  const steps = load<u32>(cls, C_WALK_STEPS);
  let j: u32 = 0;
  for (; j + 8 <= m; j += 8) walkFirst8(nodes, info, leaves, all5, root0, steps, tuples + <usize>j * T_SIZE, <usize>j, out + (<usize>j << 2));
  for (; j < m; j++) walkListed1(nodes, info, leaves, all5, root0, <usize>j, tuples, out);
  let live = m;
  for (let k: u32 = 1; k < nTrees && live > 0; k++) {
    const te = trees + <usize>k * TREE_SIZE;
    const minPos = load<u32>(te, TREE_MIN_POS);
    const root = load<u32>(te, TREE_ROOT);
    const treeSteps = load<u32>(te, TREE_STEPS);
    // Keep the tuples whose best does not precede this tree.
    let w: u32 = 0;
    for (let r: u32 = 0; r < live; r++) {
      const i = load<u32>(scratchIdx + (<usize>r << 2));
      store<u32>(scratchIdx + (<usize>w << 2), i);
      w += <u32>(minPos < load<u32>(out + (<usize>i << 2)));
    }
    live = w;
    let r: u32 = 0;
    for (; r + 8 <= live; r += 8) walkListed8(nodes, info, leaves, all5, root, treeSteps, scratchIdx + (<usize>r << 2), tuples, out);
    for (; r < live; r++) walkListed1(nodes, info, leaves, all5, root, <usize>load<u32>(scratchIdx + (<usize>r << 2)), tuples, out);
  }
}

/** Does tuple `t` name list `list` and family `fam` (so the same classifier)? */
@inline function sameList(t: usize, fam: u32, list: u32): bool {
  return (load<u32>(t, T_FAMILY) == fam) & (load<u32>(t, T_LIST) == list);
}

/** The optimized matcher: decision trees over the table. */
export function classify(table: usize, tuples: usize, n: u32, out: usize): i32 {
  const st = headerStatus(table);
  if (st != TABLE_OK) return st;
  const lists = listsOf(table);
  const nLists = listCountOf(table);
  if (lists == 0) return TABLE_NO_LISTS;
  // Runs of eight tuples that use the same classifier go through trees8,
  // else runs of four through trees4, else one tuple alone.
  let t = tuples;
  let i: u32 = 0;
  while (i < n) {
    const cls = classifierFor(table, lists, nLists, t);
    // Tuples of the same list and family use the same classifier.
    const fam = load<u32>(t, T_FAMILY);
    const list = load<u32>(t, T_LIST);
    if (cls > 1 && load<u32>(cls, C_N_TREES) > 1 && i + 16 <= n) {
      // Several trees: the tree-major walk over the run of this classifier.
      let run: u32 = 1;
      const most: u32 = n - i < CHUNK ? n - i : CHUNK;
      while (run < most && sameList(t + <usize>run * T_SIZE, fam, list)) run++;
      if (run >= 16) {
        treesListed(cls, t, run, out + (<usize>i << 2));
        guardRun(cls, t, out + (<usize>i << 2), run);
        i += run;
        t += <usize>run * T_SIZE;
        continue;
      }
    }
    if (cls > 1 && i + 4 <= n) {
      let same: u32 = 1;
      const most: u32 = n - i < 8 ? n - i : 8;
      while (same < most && sameList(t + <usize>same * T_SIZE, fam, list)) same++;
      if (same == 8) {
        if (load<u32>(cls, C_N_TREES) == 1) {
          // One tree: with a fixed walk, the whole run of this classifier,
          // eight at a time, in one call (trees8OneRun); with the loop, eight.
          if (load<u32>(cls, C_WALK_STEPS) != 0) {
            let run: u32 = 8;
            while (run < n - i && sameList(t + <usize>run * T_SIZE, fam, list)) run++;
            const groups = run >> 3;
            trees8OneRun(cls, t, out + (<usize>i << 2), groups);
            i += groups << 3;
            t += <usize>(groups << 3) * T_SIZE;
            continue;
          }
          trees8One(cls, t, out + (<usize>i << 2));
          guard8(cls, t, out + (<usize>i << 2));
          i += 8;
          t += 8 * T_SIZE;
          continue;
        }
        trees8(cls, t, out + (<usize>i << 2));
        guard8(cls, t, out + (<usize>i << 2));
        i += 8;
        t += 8 * T_SIZE;
        continue;
      }
      if (same >= 4) {
        trees4(cls, t, out + (<usize>i << 2));
        guardRun(cls, t, out + (<usize>i << 2), 4);
        i += 4;
        t += 4 * T_SIZE;
        continue;
      }
    }
    let r: i32 = -1;
    if (cls == 1) r = RESULT_BAD_LIST;
    else if (cls != 0) r = treesOne(cls, t);
    store<i32>(out + (<usize>i << 2), r);
    i++;
    t += T_SIZE;
  }
  return <i32>n;
}

/** The baseline matcher: a plain scan of each list in order. */
export function classifyLinear(table: usize, tuples: usize, n: u32, out: usize): i32 {
  const st = headerStatus(table);
  if (st != TABLE_OK) return st;
  const lists = listsOf(table);
  const nLists = listCountOf(table);
  if (lists == 0) return TABLE_NO_LISTS;
  let t = tuples;
  for (let i: u32 = 0; i < n; i++) {
    const cls = classifierFor(table, lists, nLists, t);
    let r: i32 = -1;
    if (cls == 1) r = RESULT_BAD_LIST;
    else if (cls != 0) r = linearOne(cls, t);
    store<i32>(out + (<usize>i << 2), r);
    t += T_SIZE;
  }
  return <i32>n;
}

// ---------------------------------------------------------------------------
// One tuple at a time, for the replay engine (assembly/engine.ts), which
// classifies only conntrack misses. The list directory is looked up once per
// table.

let oneTable: usize = 0;
let oneLists: usize = 0;
let oneNLists: u32 = 0;

/** The optimized matcher on one tuple: the first matching position, or -1. */
export function classifyTuple(table: usize, t: usize): i32 {
  if (table != oneTable) {
    oneTable = table;
    oneLists = listsOf(table);
    oneNLists = listCountOf(table);
  }
  const cls = classifierFor(table, oneLists, oneNLists, t);
  if (cls <= 1) return -1;
  return treesOneOf(cls, t);
}
