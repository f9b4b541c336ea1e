/**
 * The compiled rule table: one flat, relocatable, little-endian blob that the
 * WASM matchers (assembly/classify.ts) read through a pointer. This file is
 * where the format is drawn; its numbers are declared once in
 * layout/layouts.json, from which both sides are generated (a test compares
 * the host's with the module's exports).
 * Every offset below is in bytes from the start of the blob unless it says
 * otherwise, every integer is a u32 unless it says otherwise.
 *
 * Blob
 * ┌──────────────────────────────────────────────────────────────────────┐
 * │ header, 32 bytes                                                     │
 * │  0 magic "SGFT" (0x54464753) │ 4 version │ 8 length │ 12 checksum    │
 * │ 16 nSections │ 20 flags (0) │ 24 reserved (0) │ 28 reserved (0)      │
 * ├──────────────────────────────────────────────────────────────────────┤
 * │ section directory at 32: nSections × 16 bytes                        │
 * │  { kind, offset, length (bytes), count (items) }                     │
 * ├──────────────────────────────────────────────────────────────────────┤
 * │ sections, each 16-byte aligned, in any order:                        │
 * │  LISTS    count × 16: { ruleCount, v4Classifier, v6Classifier, 0 }  │
 * │           (classifier offset 0 = no rule of that family)             │
 * │  BINDINGS count × 8 (one per interface, topology order):             │
 * │           { ingressList, egressList }                                │
 * │  META     UTF-8 JSON: cloud, interface ids, per list [group, rule]   │
 * │           ids by position (what a result means; not read by WASM)    │
 * │  CLASSIF  the classifiers, one per (list, family), see below         │
 * └──────────────────────────────────────────────────────────────────────┘
 * checksum = FNV-1a 32 over bytes [16, length). length = the blob's size.
 *
 * Classifier (16-byte aligned; 64 bytes header, then its areas; every offset
 * in it, and in its sets, counts from the classifier's first byte)
 *  0 family (4|6)        4 recordsOff   8 nRecords    12 setsOff (0 = none)
 * 16 nTrees             20 treesOff    24 nodesOff    28 leavesOff
 * 32 nodeCount          36 leafBytes   40 leafInfoOff  44 walkSteps
 * 48 guardOff (0 = none) 52 nGuards     56..63 reserved
 *   walkSteps: 0 = walks end when no lane moves; else (one tree) every walk
 *             takes exactly this many steps, the depth of its deepest leaf
 *   guard   : nGuards × { keyOff, lo, span }: the bounding box of the
 *             classifier's boxes where it is narrower than the key space; a
 *             tuple with (key − lo) > span (unsigned) in any of them matches
 *             no rule, and the trees are only walked by tuples inside it
 *             (their leaf groups do not test what the guard guarantees)
 *   records : the rule records of the whole list in order (the linear matcher)
 *   trees   : nTrees × { minPos, rootNode }, by minPos ascending; a tree only
 *             holds rules at positions >= minPos, so the search stops as soon
 *             as a match was found before the next tree's minPos
 *   nodes   : 8-byte nodes, addressed by index from nodesOff
 *   leafInfo: nodeCount × 8-byte leaf entries, parallel to the nodes
 *   leaves  : leaf groups, each leaf a run of `count` groups
 *
 * Node (8 bytes)
 * ┌──────────────────────────────┬───────────────────────────┬────────────┐
 * │ word0: threshold             │ word1: child index : 26   │ keyOff : 6 │
 * └──────────────────────────────┴───────────────────────────┴────────────┘
 *  inner: child > the node's own index; key = u32 at tuple+keyOff; go to
 *         node child (key <= threshold) or child+1 (key > threshold)
 *  leaf : child = the node's own index, threshold 0xFFFFFFFF, keyOff 0: a
 *         fixed point of the step (no key is above the threshold), so the
 *         walk needs no leaf test; it ends when no lane moved. Every other
 *         step strictly increases the index, so a walk ends within
 *         nodeCount steps (validate.ts checks both).
 *
 * Leaf entry (8 bytes, at leafInfoOff + 8 × node index; zero for inner nodes)
 *  0 first: byte offset of the leaf's first group from leavesOff
 *  4 count: number of groups
 *
 * Leaf group (16-byte aligned; 4 boxes matched at once with i32x4 compares)
 * ┌───────────────────────────────────────────────────────────────────────┐
 * │  0 pos[4]: positions, ascending (a short group repeats its last box)  │
 * │ 16 nDims u8 │ 17 hasSet u8 │ 18..31 keyOff u8 per stored dimension    │
 * │ 32 nDims × { lo[4] u32 │ span[4] u32 }  (32 bytes each)               │
 * │ .. if hasSet: setIndex+1 [4] u32 (0 = no set)                         │
 * └───────────────────────────────────────────────────────────────────────┘
 *  lane j matches when every stored dimension has (key - lo[j]) <= span[j]
 *  (unsigned) and its set, if any, contains the remote address; the first
 *  matching lane is the group's answer. Dimensions that every box of the
 *  group covers over the leaf's region are not stored.
 *
 * Rule record (the linear matcher's list; variable length, 8 + 12·nCons bytes)
 * ┌──────────────┬─────────────────────────┬──────────┐
 * │ word0: pos   │ word1: setIndex+1 : 24  │ nCons : 8│ then nCons ×
 * └──────────────┴─────────────────────────┴──────────┘ { keyOff, lo, span }
 *  pos = the rule's position in its list's order (SEMANTICS §4), the result;
 *  a constraint holds when (u32 at tuple+keyOff) - lo <= span (unsigned);
 *  setIndex+1 = 0: no set; else the remote address must be in set setIndex.
 *  Records are sorted by pos; one rule may have several records (a port
 *  list "22,25,27" is three boxes).
 *
 * Sets (group and address-group references, no member × rule product)
 *  0 nIntervals  4 wordsPerClass  8 startsOff  12 classOff  16 bitmapsOff
 *   starts  : sorted interval starts of the remote address; v4 u32 each,
 *             v6 16 bytes each as two u64 (high 64 bits, low 64 bits)
 *   class   : u32 per interval: its membership class
 *   bitmaps : wordsPerClass u32 per class: bit s set = member of set s
 *  Per packet: binary search the remote address -> class -> bitmap; a rule
 *  with a set tests one bit.
 *
 * Tuple (64 bytes per packet; what the host writes for the matchers)
 *  0 remote address  16 local address (each 4 u32, word 0 = most significant
 *    32 bits; IPv4: word 0 = the address, words 1-3 = 0)
 * 32 sport  36 dport (65536 = the packet has no ports)  40 proto
 * 44 family (4|6)  48 list index  52..63 free for the host
 */

import { SgfError } from '../model/errors.js';
import {
  TABLE_BINDING_ENTRY,
  TABLE_CLASSIFIER,
  TABLE_FORMAT,
  TABLE_GUARD,
  TABLE_HEADER,
  TABLE_CONSTRAINT,
  TABLE_LEAF_DIM,
  TABLE_LEAF_ENTRY,
  TABLE_LEAF_GROUP,
  TABLE_LEAF_SETS,
  TABLE_LIST_ENTRY,
  TABLE_NODE,
  TABLE_RECORD,
  TABLE_SECTION,
  TABLE_SECTION_ENTRY,
  TABLE_SETS,
  TABLE_STATUS,
  TABLE_TREE_ENTRY,
  TUPLE,
} from '../wasm/layout.js';

// The numbers come from the layout spec (layout/layouts.json ->
// src/wasm/layout.ts; assembly/layout.ts holds the same for classify.ts, and
// the layout hash covers them). The names below are this module's API.

export const TABLE_MAGIC = TABLE_FORMAT.MAGIC; // "SGFT" little-endian
/** Bump (in layout/layouts.json) on any layout change; the module's classifierTableVersion() returns the same. */
export const TABLE_VERSION = TABLE_FORMAT.VERSION;

export const HEADER = TABLE_HEADER;
export const SECTION_ENTRY = TABLE_SECTION_ENTRY;
export const SECTION = TABLE_SECTION;
export const LIST_ENTRY = TABLE_LIST_ENTRY;
export const BINDING_ENTRY = TABLE_BINDING_ENTRY;
/** Binding value for "no list" (the interface has no group). */
export const NO_LIST = TABLE_BINDING_ENTRY.NO_LIST;
export const CLASSIFIER = TABLE_CLASSIFIER;
/**
 * CLASSIFIER.GROUP_FORM 1: every leaf group of the (IPv4, set-free)
 * classifier stores exactly the 5 IPv4 dimensions in tuple order (keyOffs
 * GROUP_FORM_ALL5_KEYS) and no set block; the matcher scans them with fixed
 * offsets (docs/table-format.md).
 */
export const GROUP_FORM_ALL5 = 1;
export const GROUP_FORM_ALL5_KEYS: readonly number[] = [TUPLE.REMOTE, TUPLE.LOCAL, TUPLE.SPORT, TUPLE.DPORT, TUPLE.PROTO];
export const TREE_ENTRY = TABLE_TREE_ENTRY;
export const GUARD = TABLE_GUARD;
export const NODE = TABLE_NODE;
export const LEAF_ENTRY = TABLE_LEAF_ENTRY;
export const LEAF_GROUP = TABLE_LEAF_GROUP;
export const LEAF_DIM = TABLE_LEAF_DIM;
export const LEAF_SETS = TABLE_LEAF_SETS;
export const RECORD = TABLE_RECORD;
export const CONSTRAINT = TABLE_CONSTRAINT;
export const SETS = TABLE_SETS;
export { TUPLE };
/** The port value of a packet without ports (outside every rule's port range). */
export const NO_PORT = TUPLE.NO_PORT;
/** The matchers' table statuses (tableStatus, negative returns of classify). */
export { TABLE_STATUS };

/** FNV-1a 32-bit over bytes[from, to). */
export function fnv1a(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The codes of TableError (docs/errors.md). Before the one scheme they were
 * spelled SGF_ERR_TABLE_MAGIC, _VERSION, _LENGTH, _CHECKSUM, _SECTION,
 * _TOO_BIG, _LIST (kept as `legacyCode`, LEGACY_CODES in model/errors.ts).
 */
export const TABLE_ERROR = {
  /** Bytes 0-3 are not "SGFT". */
  MAGIC: 'SGF_TABLE_BAD_MAGIC',
  /** The header's format version is not this build's TABLE_VERSION. */
  VERSION: 'SGF_TABLE_BAD_VERSION',
  /** Shorter than a header, or not the length the header states. */
  LENGTH: 'SGF_TABLE_BAD_LENGTH',
  /** The FNV-1a checksum does not match the content. */
  CHECKSUM: 'SGF_TABLE_BAD_CHECKSUM',
  /** A section (directory, META, LISTS, a classifier) is damaged or missing. */
  SECTION: 'SGF_TABLE_BAD_SECTION',
  /** compile: the table outgrew CompileOptions.maxBytes. */
  TOO_BIG: 'SGF_TABLE_TOO_BIG',
  /** compile: a rule list needs more than the format can express (nodes, constraints, dimensions per record). */
  FORMAT_LIMIT: 'SGF_TABLE_FORMAT_LIMIT',
  /** No rule list for the interface asked for. */
  LIST: 'SGF_TABLE_NO_LIST',
  /** The table file cannot be read. */
  READ: 'SGF_TABLE_READ_FAILED',
} as const;
export type TableErrorCode = (typeof TABLE_ERROR)[keyof typeof TABLE_ERROR];

/** Errors of tables, the compiler's output limits and the matchers, with stable codes. */
export class TableError extends SgfError {
  constructor(
    readonly code: TableErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TableError';
  }
}

export interface SectionInfo {
  kind: number;
  offset: number;
  length: number;
  count: number;
}

/**
 * Validate a blob's header, directory and checksum (the edge: after this,
 * readers trust the offsets). `source` names the file in messages.
 */
export function validateTable(bytes: Uint8Array, source = 'table', expectVersion = TABLE_VERSION): Map<number, SectionInfo> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < HEADER.SIZE) {
    throw new TableError(TABLE_ERROR.LENGTH, `${source}: ${bytes.byteLength} bytes is too short for a table (the header alone is ${HEADER.SIZE} bytes)`);
  }
  const magic = dv.getUint32(HEADER.MAGIC, true);
  if (magic !== TABLE_MAGIC) {
    throw new TableError(TABLE_ERROR.MAGIC, `${source}: byte 0: magic 0x${magic.toString(16).padStart(8, '0')} is not an sgfilter table (expected "SGFT", 0x${TABLE_MAGIC.toString(16)})`);
  }
  const version = dv.getUint32(HEADER.VERSION, true);
  if (version !== expectVersion) {
    throw new TableError(TABLE_ERROR.VERSION, `${source}: byte 4: table format version ${version} does not match this sgfilter's matcher (version ${expectVersion}); recompile it with \`sgfilter compile\``);
  }
  const length = dv.getUint32(HEADER.LENGTH, true);
  if (length !== bytes.byteLength) {
    throw new TableError(TABLE_ERROR.LENGTH, `${source}: byte 8: the header says ${length} bytes but the table has ${bytes.byteLength} (truncated or padded file)`);
  }
  const sum = dv.getUint32(HEADER.CHECKSUM, true);
  const actual = fnv1a(bytes, 16, length);
  if (sum !== actual) {
    throw new TableError(TABLE_ERROR.CHECKSUM, `${source}: byte 12: checksum 0x${sum.toString(16)} does not match the content (0x${actual.toString(16)}): the file is damaged`);
  }
  const n = dv.getUint32(HEADER.N_SECTIONS, true);
  if (HEADER.SIZE + n * SECTION_ENTRY.SIZE > length) {
    throw new TableError(TABLE_ERROR.SECTION, `${source}: byte 16: ${n} sections do not fit in ${length} bytes`);
  }
  const sections = new Map<number, SectionInfo>();
  for (let i = 0; i < n; i++) {
    const at = HEADER.SIZE + i * SECTION_ENTRY.SIZE;
    const s: SectionInfo = {
      kind: dv.getUint32(at + SECTION_ENTRY.KIND, true),
      offset: dv.getUint32(at + SECTION_ENTRY.OFFSET, true),
      length: dv.getUint32(at + SECTION_ENTRY.LENGTH, true),
      count: dv.getUint32(at + SECTION_ENTRY.COUNT, true),
    };
    if (s.offset + s.length > length || s.offset % 16 !== 0) {
      throw new TableError(TABLE_ERROR.SECTION, `${source}: byte ${at}: section ${i} (kind ${s.kind}) at ${s.offset}+${s.length} is outside the table or misaligned`);
    }
    sections.set(s.kind, s);
  }
  for (const [name, kind] of Object.entries(SECTION)) {
    if (!sections.has(kind)) throw new TableError(TABLE_ERROR.SECTION, `${source}: the section ${name} (kind ${kind}) is missing`);
  }
  return sections;
}
