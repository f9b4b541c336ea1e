// The decisions writer's hot loops (the host: src/replay/decision-format.ts,
// which draws the 56-byte decision record DREC and says what the JSON bytes
// must be). The records' layouts (DREC_*, DH_*, JT_*) are layout/layouts.json's.
//
// 1. In a replay worker, over the engine's memory: the engine's 32-byte
//    decision records of a batch (layout DECISION) -> DREC records.
//
//   drecFill(decs, desc, count, firstN, kinds, hopLists, refs, out): u32
//     the records of the batch's packets this engine judged (decision record
//     and descriptor i: packet firstN + i), packed at out in packet order;
//     returns how many (a packet another shard owner judges, its verdict
//     VERDICT_NOT_MINE, has none). kinds: a byte per capture interface,
//     DK_US / DK_NS for a pcap pair clock (seconds, micro- or nanoseconds),
//     else DK_OTHER; hopLists: per topology interface × 2 + DIR_*, the i32
//     offset (in u32s) in refs of its list's rule indexes by position, or -1.
//     A timestamp that is not a plain pair (another clock, a fraction out of
//     range) is left to the host: TS_DIGITS = TS_HOST; drecHostTs() says
//     how many records of the last call have one.
//
// 2. In the thread that writes.
//
//   drecMerge(recs, counts, lanes, out): i32
//     the lanes' packed records of a batch (lane l's counts[l] records
//     follow lane l - 1's at recs; each in packet order, no packet in two
//     lanes) merged in packet order at out; returns how many
//   jsonlInit(tab, slots, arena, arenaEnd, maxBodies)
//     tab: slots × JT_SIZE zeroed bytes (slots a power of two), the body
//     cache's open-addressing table; arena: where bodies are kept
//   jsonlEncode(recs, from, count, out, outEnd): i32
//     records from..count-1 of recs as JSON lines, written from `out`;
//     returns the next record to encode; jsonlStatus() says why it stopped
//     (JS_DONE, JS_FULL: fewer than a line's bytes left before outEnd,
//     JS_NEED_BODY); jsonlOut() is the end of what was written, jsonlTake()
//     the lines written since it was last called.
//
// A line is
//   {"n":N,"ts":"[-]SEC[.FRAC]   then the record's BODY
// where BODY (`","verdict":…,"hops":[…]}\n`, everything after the seconds'
// digits) depends only on the record's bytes 26..56 (verdict, reason, hops)
// and is made by the host, once per distinct body: a record whose body is not
// in the cache stops the encoder (JS_NEED_BODY, the key pending); the host
// encodes the body and hands it over (jsonlBodyRoom + jsonlBodyAdd: kept in
// the cache; or jsonlLoose: for that one record, when the cache is full), and
// calls again from the same record. The seconds' text is made once per
// distinct value. Numbers are u64 here (no precision limit).

import {
  DESC_IFACE,
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
  PKT_HOPS,
  VERDICT_NOT_MINE,
  DH_DIR,
  DH_IFACE,
  DH_RULE,
  DH_SIZE,
  DREC_HOP0,
  DREC_MAX_HOPS,
  DREC_N,
  DREC_NHOPS,
  DREC_SIZE,
  DREC_TS_DIGITS,
  DREC_TS_FRAC,
  DREC_TS_NEG,
  DREC_TS_SEC,
  JT_KEY,
  JT_LEN,
  JT_PTR,
  JT_SIZE,
} from './layout';

const NO_RULE: u32 = 0xffffffff;

/** Capture interface clocks drecFill formats itself. */
export const DK_OTHER: u8 = 0;
export const DK_US: u8 = 1;
export const DK_NS: u8 = 2;
/** TS_DIGITS of a record whose timestamp the host writes. */
export const TS_HOST: u8 = 0xff;

export const JS_DONE: i32 = 0;
export const JS_FULL: i32 = 1;
export const JS_NEED_BODY: i32 = 2;

/** Room a line needs besides its body: {"n": 20 digits ,"ts":" - 20 digits . 20 digits (74), and copySmall's overshoot. */
const LINE_HEAD_MAX: usize = 96;

/** Digits 00..99, two bytes each. */
const PAIRS: usize = memory.data(200, 8);
/** The seconds' text of the last record ('-' and digits). */
const SEC_TEXT: usize = memory.data(32, 8);
/** The key of the body the host is asked for. */
const PENDING: usize = memory.data(32, 16);

let pairsReady = false;
let tab: usize = 0;
let mask: u32 = 0;
let arenaTop: usize = 0;
let arenaEnd: usize = 0;
let bodies: u32 = 0;
let maxBodies: u32 = 0;
let secKey: u64 = 0;
let secNeg: i32 = -1;
let secLen: usize = 0;
let status: i32 = JS_DONE;
let outPos: usize = 0;
let lines: u32 = 0;
let loosePtr: usize = 0;
let looseLen: usize = 0;
let pendingSlot: usize = 0;

export function jsonlInit(t: usize, slots: u32, arena: usize, end: usize, max: u32): void {
  if (!pairsReady) {
    for (let i: u32 = 0; i < 100; i++) {
      store<u8>(PAIRS + 2 * i, <u8>(48 + i / 10));
      store<u8>(PAIRS + 2 * i + 1, <u8>(48 + (i % 10)));
    }
    pairsReady = true;
  }
  tab = t;
  mask = slots - 1;
  arenaTop = arena;
  arenaEnd = end;
  bodies = 0;
  maxBodies = max;
  secNeg = -1;
  secLen = 0;
  status = JS_DONE;
  lines = 0;
  loosePtr = 0;
  looseLen = 0;
}

export function jsonlStatus(): i32 {
  return status;
}
export function jsonlOut(): usize {
  return outPos;
}
/** Lines written since the last call. */
export function jsonlTake(): u32 {
  const n = lines;
  lines = 0;
  return n;
}
/** The pending body's key (32 bytes). */
export function jsonlPending(): usize {
  return PENDING;
}

/** Where to write a body of `len` bytes to keep it (then jsonlBodyAdd); 0: the cache is full (use jsonlLoose). */
export function jsonlBodyRoom(len: usize): usize {
  if (bodies >= maxBodies || arenaTop + len > arenaEnd) return 0;
  return arenaTop;
}

/** The pending body is at jsonlBodyRoom()'s pointer, `len` bytes: keep it. */
export function jsonlBodyAdd(len: usize): void {
  const e = pendingSlot;
  memory.copy(e + JT_KEY, PENDING, 32);
  store<u32>(e + JT_PTR, <u32>arenaTop);
  store<u32>(e + JT_LEN, <u32>len);
  arenaTop += len;
  bodies++;
}

/** The pending record's body is at `ptr` (`len` bytes), for that record only. */
export function jsonlLoose(ptr: usize, len: usize): void {
  loosePtr = ptr;
  looseLen = len;
}

/**
 * Copy `n` bytes from `src` to `dst` 16 at a time: it may write up to 15
 * bytes past dst + n (the output keeps LINE_HEAD_MAX spare bytes, and what
 * follows is written over) and read up to 15 past src + n (inside memory:
 * the host's regions are followed by others). Short copies by memory.copy
 * cost a call into the runtime each.
 */
@inline function copySmall(dst: usize, src: usize, n: usize): void {
  if (n > 256) {
    memory.copy(dst, src, n);
    return;
  }
  for (let k: usize = 0; k < n; k += 16) v128.store(dst + k, v128.load(src + k));
}

/** Decimal digits of `v`. */
@inline function digits64(v: u64): usize {
  if (v < 0x100000000) return digits32(<u32>v);
  let n: usize = 0;
  while (v >= 0x100000000) {
    v /= 10;
    n++;
  }
  return n + digits32(<u32>v);
}

@inline function digits32(v: u32): usize {
  if (v < 100000) return v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : 5;
  return v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10;
}

/** v / 100 for any u32, by a multiply (no division). */
@inline function div100(v: u32): u32 {
  return <u32>((<u64>v * 1374389535) >> 37);
}

/**
 * `v` in decimal as `len` digits (zero-padded on the left: len is at least
 * its digits), ending at p + len; returns p + len. Values of 32 bits (all but
 * the rarest) take no division.
 */
@inline function putDigits(p: usize, v: u64, len: usize): usize {
  let q = p + len;
  while (v >= 0x100000000) {
    q--;
    store<u8>(q, <u8>(48 + <u32>(v % 10)));
    v /= 10;
  }
  let w = <u32>v;
  while (q - p >= 2) {
    const d = div100(w);
    q -= 2;
    store<u16>(q, load<u16>(PAIRS + 2 * <usize>(w - d * 100)));
    w = d;
  }
  if (q > p) store<u8>(p, <u8>(48 + w));
  return p + len;
}

@inline function copyRecord(q: usize, at: usize): void {
  v128.store(q, v128.load(at));
  v128.store(q, v128.load(at, 16), 16);
  v128.store(q, v128.load(at, 32), 32);
  store<u64>(q, load<u64>(at, 48), 48);
}

/** Lanes drecMerge takes at most. */
const MERGE_LANES: i32 = 32;
const cursors = memory.data(MERGE_LANES * 8 * 2, 16);

export function drecMerge(recs: usize, counts: usize, lanes: i32, out: usize): i32 {
  if (lanes > MERGE_LANES) return -1;
  // cursor l: [next record, end) of lane l
  let at = recs;
  let live = 0;
  for (let l = 0; l < lanes; l++) {
    const end = at + <usize>load<u32>(counts + <usize>l * 4) * DREC_SIZE;
    store<usize>(cursors + <usize>live * 2 * sizeof<usize>(), at);
    store<usize>(cursors + <usize>live * 2 * sizeof<usize>(), end, sizeof<usize>());
    if (end > at) live++;
    at = end;
  }
  let q = out;
  while (live > 0) {
    let best = 0;
    let bestAt = load<usize>(cursors);
    let bestN = load<u64>(bestAt + DREC_N);
    for (let l = 1; l < live; l++) {
      const c = load<usize>(cursors + <usize>l * 2 * sizeof<usize>());
      const n = load<u64>(c + DREC_N);
      if (n < bestN) {
        best = l;
        bestAt = c;
        bestN = n;
      }
    }
    copyRecord(q, bestAt);
    q += DREC_SIZE;
    const cb = cursors + <usize>best * 2 * sizeof<usize>();
    const next = bestAt + DREC_SIZE;
    if (next < load<usize>(cb, sizeof<usize>())) store<usize>(cb, next);
    else {
      // lane done: the last live cursor takes its place
      live--;
      const lastC = cursors + <usize>live * 2 * sizeof<usize>();
      store<usize>(cb, load<usize>(lastC));
      store<usize>(cb, load<usize>(lastC, sizeof<usize>()), sizeof<usize>());
    }
  }
  return <i32>((q - out) / DREC_SIZE);
}

export function jsonlEncode(recs: usize, from: i32, count: i32, out: usize, outEnd: usize): i32 {
  let p = out;
  let r = from;
  status = JS_DONE;
  for (; r < count; r++) {
    const at = recs + <usize>r * DREC_SIZE;
    let bp: usize = 0;
    let bl: usize = 0;
    if (loosePtr != 0) {
      bp = loosePtr;
      bl = looseLen;
    } else {
      const k0 = load<u64>(at + DREC_TS_DIGITS) & 0xffffffffffff0000;
      const k1 = load<u64>(at + 32);
      const k2 = load<u64>(at + 40);
      const k3 = load<u64>(at + 48);
      let h = (k0 ^ 0x9e3779b97f4a7c15) * 0xbf58476d1ce4e5b9;
      h = (h ^ k1 ^ (h >> 29)) * 0x94d049bb133111eb;
      h = (h ^ k2 ^ (h >> 32)) * 0xbf58476d1ce4e5b9;
      h = (h ^ k3 ^ (h >> 29)) * 0x94d049bb133111eb;
      let i = <u32>(h >> 32) & mask;
      for (;;) {
        const e = tab + <usize>i * JT_SIZE;
        const len = load<u32>(e + JT_LEN);
        if (len == 0) {
          store<u64>(PENDING, k0);
          store<u64>(PENDING + 8, k1);
          store<u64>(PENDING + 16, k2);
          store<u64>(PENDING + 24, k3);
          pendingSlot = e;
          status = JS_NEED_BODY;
          outPos = p;
          return r;
        }
        if (load<u64>(e) == k0 && load<u64>(e + 8) == k1 && load<u64>(e + 16) == k2 && load<u64>(e + 24) == k3) {
          bp = <usize>load<u32>(e + JT_PTR);
          bl = <usize>len;
          break;
        }
        i = (i + 1) & mask;
      }
    }
    if (p + LINE_HEAD_MAX + bl > outEnd) {
      status = JS_FULL;
      outPos = p;
      return r;
    }
    loosePtr = 0;
    // {"n":
    store<u32>(p, 0x226e227b);
    store<u8>(p + 4, 0x3a);
    p += 5;
    const n = load<u64>(at + DREC_N);
    p = putDigits(p, n, digits64(n));
    // ,"ts":"
    store<u32>(p, 0x7374222c);
    store<u16>(p + 4, 0x3a22);
    store<u8>(p + 6, 0x22);
    p += 7;
    const sec = load<u64>(at + DREC_TS_SEC);
    const neg = <i32>load<u8>(at + DREC_TS_NEG);
    if (sec != secKey || neg != secNeg) {
      secKey = sec;
      secNeg = neg;
      let q = SEC_TEXT;
      if (neg != 0) {
        store<u8>(q, 0x2d);
        q++;
      }
      q = putDigits(q, sec, digits64(sec));
      secLen = q - SEC_TEXT;
    }
    copySmall(p, SEC_TEXT, secLen);
    p += secLen;
    const fd = <usize>load<u8>(at + DREC_TS_DIGITS);
    if (fd > 0) {
      store<u8>(p, 0x2e);
      p = putDigits(p + 1, load<u64>(at + DREC_TS_FRAC), fd);
    }
    copySmall(p, bp, bl);
    p += bl;
    lines++;
  }
  outPos = p;
  return r;
}

let hostTs: u32 = 0;

export function drecHostTs(): u32 {
  return hostTs;
}

export function drecFill(decs: usize, desc: usize, count: i32, firstN: f64, kinds: usize, hopLists: usize, refs: usize, out: usize): u32 {
  let host: u32 = 0;
  const n0 = <u64>firstN;
  let at = out;
  for (let i = 0; i < count; i++) {
    const src = decs + <usize>i * D_SIZE;
    const verdict = load<u8>(src + D_VERDICT);
    if (verdict == VERDICT_NOT_MINE) continue;
    const d = desc + <usize>i * DESC_SIZE;
    store<u64>(at + DREC_N, n0 + <u64>i);
    const kind = load<u8>(kinds + <usize>load<u32>(d + DESC_IFACE));
    const a = load<u32>(d + DESC_TS_A);
    const b = load<u32>(d + DESC_TS_B);
    let digits: u32 = TS_HOST;
    if (kind == DK_US && b < 1000000) digits = 6;
    else if (kind == DK_NS && b < 1000000000) digits = 9;
    store<u64>(at + DREC_TS_SEC, <u64>a);
    store<u64>(at + DREC_TS_FRAC, <u64>b);
    if (digits == TS_HOST) host++;
    const reason = load<u8>(src + D_REASON);
    const nh: u32 = reason == PKT_HOPS ? <u32>load<u8>(src + D_NHOPS) : 0;
    // TS_DIGITS, TS_NEG, VERDICT, REASON, then NHOPS and the zero pad
    store<u32>(at + DREC_TS_DIGITS, digits | (<u32>verdict << 16) | (<u32>reason << 24));
    store<u32>(at + DREC_NHOPS, nh);
    for (let k: u32 = 0; k < DREC_MAX_HOPS; k++) {
      const h = at + DREC_HOP0 + <usize>k * DH_SIZE;
      if (k >= nh) {
        store<u64>(h, 0);
        store<u32>(h + 8, 0);
        continue;
      }
      const s = src + D_HOP0 + <usize>k * H_SIZE;
      const iface = load<u32>(s + H_IFACE);
      const dir = load<u8>(s + H_DIR);
      const hr = load<u8>(s + H_REASON);
      const pos = load<i32>(s + H_RULE);
      let rule = NO_RULE;
      if (hr == HOP_RULE && pos >= 0) {
        const list = load<i32>(hopLists + (<usize>iface * 2 + <usize>dir) * 4);
        if (list >= 0) rule = load<u32>(refs + (<usize>list + <usize>pos) * 4);
      }
      store<u32>(h + DH_IFACE, iface);
      store<u32>(h + DH_DIR, <u32>dir | (<u32>load<u8>(s + H_VERDICT) << 8) | (<u32>hr << 16));
      store<u32>(h + DH_RULE, rule);
    }
    at += DREC_SIZE;
  }
  hostTs = host;
  return <u32>((at - out) / DREC_SIZE);
}
