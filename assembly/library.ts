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
//   libJudgeFrames(frames, offs, ts, tsF64, n, linktype, verdicts, reasons, rules): u32
//     frame i is the bytes [frames + offs[i], frames + offs[i+1]) (offs: n+1
//     u32), captured at ts[i] (i64 ns, or f64 integer ns when tsF64 != 0);
//     per frame: verdict u8 (VERDICT_*), deciding reason u8 (the tally's
//     reason index: PKT_* for packet-level reasons, TL_HOP_BASE + HOP_* for
//     the last hop's), deciding rule i32 (the topology rule index of the last
//     hop when a rule decided it, else -1). Returns n.
//   libJudgeFrame(frame, len, ts, linktype): u32
//     one frame; its decision record is at decs (record 0); returns the verdict
//   libJudgeRecords(n, verdicts, reasons, rules): u32
//     the n records the host wrote at recs (REC_* layout, as decodeBatch would
//     have written them), judged and extracted as libJudgeFrames does
//
// The timestamps go to the decoder as a 64-bit count of nanoseconds (TS_DEC,
// exponent 9), which it turns back into the same i64 for every value.

import { decodeBatch } from './decode';
import { engineRun } from './engine';
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
  IFE_LINKTYPE,
  IFE_TS_EXP,
  IFE_TS_KIND,
  IFE_TS_OFFSET,
  LRM_HOP_OFFSETS,
  PKT_HOPS,
  REC_SIZE,
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
function extract(m: u32, verdicts: usize, reasons: usize, rules: usize, at: u32): void {
  let o = libDecs;
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
export function libJudgeFrames(frames: usize, offs: usize, ts: usize, tsF64: u32, n: u32, linktype: u32, verdicts: usize, reasons: usize, rules: usize): u32 {
  useLinktype(linktype);
  for (let base: u32 = 0; base < n; base += libCap) {
    const m = min(libCap, n - base);
    let d = libDesc;
    for (let i: u32 = 0; i < m; i++, d += DESC_SIZE) {
      const k = <usize>(base + i);
      const lo = load<u32>(offs + (k << 2));
      const t: i64 = tsF64 != 0 ? <i64>load<f64>(ts + (k << 3)) : load<i64>(ts + (k << 3));
      describe(d, lo, load<u32>(offs + ((k + 1) << 2)) - lo, t);
    }
    decodeBatch(frames, libDesc, m, libIfe, libRecs);
    engineRun(libRecs, m, libDecs, 0xffffffff);
    extract(m, verdicts, reasons, rules, base);
  }
  return n;
}

/** Judge one frame; its decision record is then at libDecs. Returns its verdict. */
export function libJudgeFrame(frame: usize, len: u32, ts: i64, linktype: u32): u32 {
  useLinktype(linktype);
  describe(libDesc, 0, len, ts);
  decodeBatch(frame, libDesc, 1, libIfe, libRecs);
  engineRun(libRecs, 1, libDecs, 0xffffffff);
  return <u32>load<u8>(libDecs, D_VERDICT);
}

/** Judge the `n` records at libRecs (written by the host); see the file header. */
export function libJudgeRecords(n: u32, verdicts: usize, reasons: usize, rules: usize): u32 {
  if (n > libCap) n = libCap;
  engineRun(libRecs, n, libDecs, 0xffffffff);
  if (verdicts != 0) extract(n, verdicts, reasons, rules, 0);
  return n;
}

/** Bytes of the record region per record (the host writes records there for libJudgeRecords). */
export function libRecordSize(): u32 {
  return <u32>REC_SIZE;
}

/** libJudgeFrame with the timestamp as an f64 integer number of ns (the host checked it). */
export function libJudgeFrameF(frame: usize, len: u32, ts: f64, linktype: u32): u32 {
  return libJudgeFrame(frame, len, <i64>ts, linktype);
}
