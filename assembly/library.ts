// The library's entries (src/replay/filter.ts): frames or hand-made records
// in, verdicts out, one call per batch. They compose the decoder
// (decode.ts decodeBatch) and the engine (engine.ts engineRun) over regions
// of their own, so that a library call never disturbs a capture being
// judged through the engine's batch regions.
//
//   libConfigure(rules, desc, recs, decs, ife, cap)
//     rules  the rule map (layout LRM_*): per hop (topology interface × 2 +
//            DIR_*) the byte offset of the i32 topology rule indexes of that
//            hop's list, one per list position
//     desc / recs / decs   cap frame descriptors, records, decision records
//     ife    one capture interface entry (IFE_*)
//   libJudgeFrames(frames, offs, lo, ts, tsF64, n, linktype, verdicts, reasons, rules): u32
//     frame i is the bytes [frames + offs[i] - lo, frames + offs[i+1] - lo)
//     (offs: n+1 u32, the caller's own offsets as they are, each at least
//     lo), captured at ts[i] (i64 ns, or f64 integer ns when tsF64 != 0);
//     per frame: verdict u8 (VERDICT_*), deciding reason u8 (the tally's
//     reason index: PKT_* for packet-level reasons, TL_HOP_BASE + HOP_* for
//     the last hop's), deciding rule i32 (the topology rule index of the last
//     hop when a rule decided it, else -1). Returns n; when an offset is
//     below the one before it, nothing is judged and the result is
//     0x80000000 | i for the first such offs[i] (the host names it).
//   libJudgeFrame(frame, len, ts, linktype, intern): u32
//     one frame; its decision record is at decs (record 0); returns the
//     verdict, or with intern != 0 the decision's intern code (libIntern)
//   libJudgeRecords(n, verdicts, reasons, rules): u32
//     the n records the host wrote at tups (libConfigureTuples; REC_* layout,
//     as decodeBatch would have written them, on zeroed records), judged and
//     extracted as libJudgeFrames does; the records are zeroed again after
//   libJudgeTuple(ts, intern): u32
//     record 0 at tups with its timestamp set to ts, judged (and zeroed
//     again); returns what libJudgeFrame returns
//   libExtract(decs, n, verdicts, reasons, rules)
//     verdicts, reasons and rules (as libJudgeFrames gives them) of n decision
//     records the engine wrote at decs (a capture judged by its batch calls)
//   libIntern(d): u32
//     the intern code of the decision record at d: bit 31 set when the
//     decision is new (the host builds its object for that id), the low bits
//     its id (0..LIB_MAX_INTERNED-1); the same decision (verdict, reason and
//     each hop's interface, direction, verdict, reason and rule) has the same
//     id until LIB_MAX_INTERNED distinct decisions were seen, when the table
//     starts again (ids then come back as new)
//
// The timestamps go to the decoder as a 64-bit count of nanoseconds (TS_DEC,
// exponent 9), which it turns back into the same i64 for every value.

import { decodeBatch } from './decode';
import { engineDecodeRun, engineRun, engineRunOne } from './engine';
import { arenaAlloc, arenaFree } from './arena';
import {
  DESC_CAPLEN,
  DESC_DATA_OFF,
  DESC_IFACE,
  DESC_LEN,
  DESC_SIZE,
  DESC_TS_A,
  DESC_TS_B,
  D_HOP0,
  D_NHOPS,
  D_REASON,
  D_SIZE,
  D_VERDICT,
  HOP_RULE,
  H_DIR,
  H_IFACE,
  H_REASON,
  H_RULE,
  H_SIZE,
  H_VERDICT,
  IFE_LINKTYPE,
  IFE_TS_EXP,
  IFE_TS_KIND,
  IFE_TS_OFFSET,
  LRM_HOP_OFFSETS,
  PKT_HOPS,
  REC_SIZE,
  REC_TS,
  TL_HOP_BASE,
  TS_DEC,
} from './layout';

let libRules: usize = 0;
let libDesc: usize = 0;
let libRecs: usize = 0;
let libDecs: usize = 0;
let libIfe: usize = 0;
let libCap: u32 = 0;
let libLinktype: u32 = 0xffffffff;
let libTups: usize = 0;

/** Regions of the library calls (see the file header). */
export function libConfigure(rules: usize, desc: usize, recs: usize, decs: usize, ife: usize, cap: u32): void {
  libRules = rules;
  libDesc = desc;
  libRecs = recs;
  libDecs = decs;
  libIfe = ife;
  libCap = cap;
  libLinktype = 0xffffffff;
}

/** The interface entry: `linktype`, timestamps a 64-bit count of ns. */
@inline function useLinktype(linktype: u32): void {
  if (linktype == libLinktype) return;
  store<u32>(libIfe, linktype, IFE_LINKTYPE);
  store<u8>(libIfe, <u8>TS_DEC, IFE_TS_KIND);
  store<u8>(libIfe, 9, IFE_TS_EXP);
  store<i64>(libIfe, 0, IFE_TS_OFFSET);
  libLinktype = linktype;
}

@inline function describe(d: usize, off: u32, len: u32, ts: i64): void {
  store<u32>(d, off, DESC_DATA_OFF);
  store<u32>(d, len, DESC_CAPLEN);
  store<u32>(d, len, DESC_LEN);
  store<u32>(d, 0, DESC_IFACE);
  store<u32>(d, <u32>(<u64>ts >> 32), DESC_TS_A);
  store<u32>(d, <u32>ts, DESC_TS_B);
}

/** Verdict, deciding reason and deciding rule of `m` decision records at libDecs, to the output arrays at index `at`. */
@inline function extract(m: u32, verdicts: usize, reasons: usize, rules: usize, at: u32): void {
  extractFrom(libDecs, m, verdicts, reasons, rules, at);
}

/** The same from the `n` decision records at `decs` (the engine's own batch regions: Filter.judgeStreamBatches), to index 0. */
export function libExtract(decs: usize, n: u32, verdicts: usize, reasons: usize, rules: usize): void {
  extractFrom(decs, n, verdicts, reasons, rules, 0);
}

function extractFrom(decs: usize, m: u32, verdicts: usize, reasons: usize, rules: usize, at: u32): void {
  let o = decs;
  for (let i: u32 = 0; i < m; i++, o += D_SIZE) {
    const k = <usize>(at + i);
    store<u8>(verdicts + k, load<u8>(o, D_VERDICT));
    const pr = load<u8>(o, D_REASON);
    let rule: i32 = -1;
    if (pr != PKT_HOPS) {
      store<u8>(reasons + k, pr);
    } else if (load<u8>(o, D_NHOPS) == 0) {
      store<u8>(reasons + k, pr);
    } else {
      const nh = <usize>load<u8>(o, D_NHOPS);
      const h = o + D_HOP0 + (nh - 1) * H_SIZE;
      const hr = load<u8>(h, H_REASON);
      store<u8>(reasons + k, <u8>(TL_HOP_BASE + <u32>hr));
      if (hr == HOP_RULE) {
        const pos = load<i32>(h, H_RULE);
        if (pos >= 0) {
          const hopNo = (<usize>load<u32>(h, H_IFACE) << 1) + <usize>load<u8>(h, H_DIR);
          rule = load<i32>(libRules + <usize>load<u32>(libRules + LRM_HOP_OFFSETS + (hopNo << 2)) + (<usize>pos << 2));
        }
      }
    }
    store<i32>(rules + (k << 2), rule);
  }
}

/** Judge a batch of frames; see the file header. */
export function libJudgeFrames(frames: usize, offs: usize, lo: u32, ts: usize, tsF64: u32, n: u32, linktype: u32, verdicts: usize, reasons: usize, rules: usize): u32 {
  // The offsets checked first (the host checked offs[0] >= lo and offs[n] within the data): non-decreasing.
  let prev = load<u32>(offs);
  for (let i: u32 = 1; i <= n; i++) {
    const cur = load<u32>(offs + (<usize>i << 2));
    if (cur < prev) return 0x80000000 | i;
    prev = cur;
  }
  useLinktype(linktype);
  for (let base: u32 = 0; base < n; base += libCap) {
    const m = min(libCap, n - base);
    let d = libDesc;
    for (let i: u32 = 0; i < m; i++, d += DESC_SIZE) {
      const k = <usize>(base + i);
      const a = load<u32>(offs + (k << 2));
      const t: i64 = tsF64 != 0 ? <i64>load<f64>(ts + (k << 3)) : load<i64>(ts + (k << 3));
      describe(d, a - lo, load<u32>(offs + ((k + 1) << 2)) - a, t);
    }
    // Decoded and judged sub-batch by sub-batch (the records stay cached), as the replay does.
    engineDecodeRun(frames, libDesc, m, libIfe, libRecs, libDecs, 0xffffffff);
    extract(m, verdicts, reasons, rules, base);
  }
  return n;
}

/** Judge one frame; its decision record is then at libDecs. Returns its verdict, or its intern code when `intern` != 0. */
export function libJudgeFrame(frame: usize, len: u32, ts: i64, linktype: u32, intern: u32): u32 {
  useLinktype(linktype);
  describe(libDesc, 0, len, ts);
  decodeBatch(frame, libDesc, 1, libIfe, libRecs);
  engineRunOne(libRecs, libDecs, 0xffffffff);
  return intern != 0 ? libIntern(libDecs) : <u32>load<u8>(libDecs, D_VERDICT);
}

/** libJudgeFrame with the timestamp as an f64 integer number of ns (the host checked it). */
export function libJudgeFrameF(frame: usize, len: u32, ts: f64, linktype: u32, intern: u32): u32 {
  return libJudgeFrame(frame, len, <i64>ts, linktype, intern);
}

/** The tuple records' region (cap records, zeroed here). */
export function libConfigureTuples(tups: usize): void {
  libTups = tups;
  memory.fill(tups, 0, <usize>libCap * REC_SIZE);
}

/** Judge the `n` records at libTups (written by the host on zeroed records); see the file header. */
export function libJudgeRecords(n: u32, verdicts: usize, reasons: usize, rules: usize): u32 {
  if (n > libCap) n = libCap;
  engineRun(libTups, n, libDecs, 0xffffffff);
  if (verdicts != 0) extract(n, verdicts, reasons, rules, 0);
  memory.fill(libTups, 0, <usize>n * REC_SIZE);
  return n;
}

/** Judge record 0 at libTups at `ts`; see the file header. */
export function libJudgeTuple(ts: i64, intern: u32): u32 {
  store<i64>(libTups, ts, REC_TS);
  engineRunOne(libTups, libDecs, 0xffffffff);
  zeroRecord(libTups);
  return intern != 0 ? libIntern(libDecs) : <u32>load<u8>(libDecs, D_VERDICT);
}

/** Zero one record (REC_SIZE bytes, 16-byte aligned) with vector stores: memory.fill is a call out of WASM (~5 ns), too much for one record. */
@inline function zeroRecord(r: usize): void {
  const z = i64x2.splat(0);
  for (let o: usize = 0; o < REC_SIZE; o += 16) v128.store(r + o, z);
}

/** libJudgeTuple with the timestamp as an f64 integer number of ns (the host checked it). */
export function libJudgeTupleF(ts: f64, intern: u32): u32 {
  return libJudgeTuple(<i64>ts, intern);
}

/** Zero the first `n` tuple records (the host wrote some, then refused one). */
export function libClearTuples(n: u32): void {
  memory.fill(libTups, 0, <usize>min(n, libCap) * REC_SIZE);
}

/** Bytes of the record region per record (the host writes records there for libJudgeRecords). */
export function libRecordSize(): u32 {
  return <u32>REC_SIZE;
}

// Interned decisions: an open-addressed table (linear probing) of decision
// keys, IK_SIZE bytes an entry: u32 id + 1 (0: empty), u32 the second hop's
// word, then u64 (first hop's interface << 32 | its rule), u64 (the same of
// the second hop), u64 (head | first hop's word << 24), where head =
// verdict | reason << 8 | hops << 16 and a hop's word = direction |
// verdict << 8 | reason << 16 (zero past the decision's hops). The slot: the
// top bits of a multiply of the keys' products folded (four independent
// multiplies, then one; each key bit reaches the top bits).
const IK_SIZE: usize = 32;
/** Distinct decisions kept at most (then the table starts again). */
const LIB_MAX_INTERNED: u32 = 65536;
let ikTable: usize = 0;
let ikSlots: u32 = 0; // a power of two
let ikShift: u64 = 64; // 64 - log2(ikSlots)
let ikCount: u32 = 0;

@inline function ikHopWord(h: usize): u32 {
  return <u32>load<u8>(h, H_DIR) | (<u32>load<u8>(h, H_VERDICT) << 8) | (<u32>load<u8>(h, H_REASON) << 16);
}

@inline function ikHash(x: u32, k1: u64, k2: u64, k3: u64): u32 {
  let h: u64 = k1 * 0x9e3779b97f4a7c15 + k2 * 0xc2b2ae3d27d4eb4f + k3 * 0x165667b19e3779f9 + <u64>x * 0x27d4eb2f165667c5;
  h ^= h >> 32;
  return <u32>((h * 0xd6e8feb86659fd93) >> ikShift);
}

function ikNew(slots: u32): void {
  ikTable = arenaAlloc(<usize>slots * IK_SIZE, 64); // zeroed
  ikSlots = slots;
  ikShift = <u64>(64 - ctz(slots));
  ikCount = 0;
}

/** Place a key (the IK_SIZE bytes at `k`) in the table, known to be absent, from slot `i`. */
function ikPlace(k: usize, i: u32): void {
  const mask = ikSlots - 1;
  while (load<u32>(ikTable + <usize>i * IK_SIZE) != 0) i = (i + 1) & mask;
  memory.copy(ikTable + <usize>i * IK_SIZE, k, IK_SIZE);
}

function ikGrow(): void {
  const old = ikTable;
  const n = ikSlots;
  const count = ikCount;
  ikNew(n << 1);
  ikCount = count;
  for (let i: u32 = 0; i < n; i++) {
    const e = old + <usize>i * IK_SIZE;
    if (load<u32>(e) != 0) ikPlace(e, ikHash(load<u32>(e, 4), load<u64>(e, 8), load<u64>(e, 16), load<u64>(e, 24)));
  }
  arenaFree(old, <usize>n * IK_SIZE);
}

/** The intern code of the decision record at `d`; see the file header. */
export function libIntern(d: usize): u32 {
  if (ikSlots == 0) ikNew(1024);
  const nh = <u32>load<u8>(d, D_NHOPS);
  const head = <u64>load<u8>(d, D_VERDICT) | (<u64>load<u8>(d, D_REASON) << 8) | (<u64>nh << 16);
  let k1: u64 = 0, k2: u64 = 0, k3: u64 = head, x: u32 = 0;
  if (nh > 0) {
    const h = d + D_HOP0;
    k1 = (<u64>load<u32>(h, H_IFACE) << 32) | <u64>load<u32>(h, H_RULE);
    k3 |= <u64>ikHopWord(h) << 24;
  }
  if (nh > 1) {
    const h = d + D_HOP0 + H_SIZE;
    k2 = (<u64>load<u32>(h, H_IFACE) << 32) | <u64>load<u32>(h, H_RULE);
    x = ikHopWord(h);
  }
  const hash = ikHash(x, k1, k2, k3);
  const mask = ikSlots - 1;
  let i = hash;
  while (true) {
    const e = ikTable + <usize>i * IK_SIZE;
    const id = load<u32>(e);
    if (id == 0) break;
    if (load<u64>(e, 24) == k3 && load<u64>(e, 8) == k1 && load<u64>(e, 16) == k2 && load<u32>(e, 4) == x) return id - 1;
    i = (i + 1) & mask;
  }
  // New: start again when full, grow at half load.
  let at = i;
  if (ikCount >= LIB_MAX_INTERNED) {
    memory.fill(ikTable, 0, <usize>ikSlots * IK_SIZE);
    ikCount = 0;
    at = hash;
  } else if ((ikCount + 1) * 2 > ikSlots) {
    ikGrow();
    at = ikHash(x, k1, k2, k3);
  }
  const id = ikCount++;
  const k = ikScratch();
  store<u32>(k, id + 1);
  store<u32>(k, x, 4);
  store<u64>(k, k1, 8);
  store<u64>(k, k2, 16);
  store<u64>(k, k3, 24);
  ikPlace(k, at);
  return id | 0x80000000;
}

let ikKey: usize = 0;
@inline function ikScratch(): usize {
  if (ikKey == 0) ikKey = arenaAlloc(IK_SIZE, 16);
  return ikKey;
}
