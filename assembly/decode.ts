// decode.ts — captured frames -> flat packet records, straight from WASM memory.
//
// Contract: `decodeBatch` reads `n` frame descriptors (written by the host's
// capture scanner, src/pcap/scanner.ts FrameBatch) and the frames they point
// to, and writes `n` fixed-size records. It allocates nothing, never reads
// outside a frame's caplen, and never traps on any input bytes. It implements
// exactly the rules of the reference decoder src/pcap/decode.ts (the
// differential tests compare every field); read that file's header for the
// rules. Mirrors src/pcap/timestamp.ts (formulas).
//
// Layouts (frame descriptor DESC_*, capture interface entry IFE_*, decoded
// record REC_* with its flags F_* / Q_* and reasons REASON_*, timestamp kinds
// TS_*): assembly/layout.ts, generated from layout/layouts.json, where they are
// drawn; the host reads the same numbers from src/wasm/layout.ts. Every field this file does not write is zero in the record (the
// record's scratch bytes too: the engine writes them later).

// ---- layouts (assembly/layout.ts) ----------------------------------------
import {
  REC_TS,
  REC_SRC,
  REC_DST,
  REC_FAMILY,
  REC_PROTO,
  REC_REASON,
  REC_FLAGS,
  REC_SPORT,
  REC_DPORT,
  REC_TCP_FLAGS,
  REC_ICMP_TYPE,
  REC_ICMP_CODE,
  REC_QFLAGS,
  REC_ICMP_ID,
  REC_FRAG_OFFSET,
  REC_FRAG_ID,
  REC_QPROTO,
  REC_QICMP_TYPE,
  REC_QICMP_ID,
  REC_QSPORT,
  REC_QDPORT,
  REC_LINKTYPE,
  REC_IFACE,
  REC_QSRC,
  REC_QDST,
  REC_CAPLEN,
  REC_LEN,
  F_ADDR,
  F_PORTS,
  F_TCP,
  F_ICMP,
  F_ICMP_ID,
  F_FRAG,
  F_MF,
  F_QUOTED,
  Q_PRESENT,
  Q_V6,
  Q_PORTS,
  Q_ECHO,
  REASON_NON_IP,
  REASON_MALFORMED,
  DESC_DATA_OFF,
  DESC_CAPLEN,
  DESC_LEN,
  DESC_IFACE,
  DESC_TS_A,
  DESC_TS_B,
  DESC_SIZE,
  IFE_LINKTYPE,
  IFE_TS_KIND,
  IFE_TS_EXP,
  IFE_TS_OFFSET,
  IFE_SIZE,
  REC_SIZE,
  TS_PAIR_US,
  TS_PAIR_NS,
  TS_DEC,
  REC_X_SHARD,
  REC_X_OWNER_A,
  REC_X_OWNER_B,
  REC_X_HIT,
  FS_SIZE,
  REASON_OK,
  ADDR_W0,
} from './layout';
import { addrOwner4, addrOwnerOf } from './addrmap';
import { ctFlow4Save, ctFlowSaveOf } from './conntrack';
import { flowHash4, flowHashOf, flowPortsWord, shardOfHashIn } from './hash';

/** The record, descriptor and interface entry sizes (also exported as REC_SIZE, DESC_SIZE, IFE_SIZE). */
export const DECODE_RECORD_SIZE: u32 = <u32>REC_SIZE;
export const DECODE_DESC_SIZE: u32 = <u32>DESC_SIZE;
export const DECODE_IFACE_SIZE: u32 = <u32>IFE_SIZE;

// ---- link types, ethertypes, protocols -----------------------------------
const LT_NULL: u32 = 0;
const LT_ETHERNET: u32 = 1;
const LT_RAW: u32 = 101;
const LT_LOOP: u32 = 108;
const LT_LINUX_SLL: u32 = 113;
const LT_IPV4: u32 = 228;
const LT_IPV6: u32 = 229;
const LT_LINUX_SLL2: u32 = 276;

const ET_IPV4: u32 = 0x0800;
const ET_IPV6: u32 = 0x86dd;
const ET_VLAN: u32 = 0x8100;
const ET_QINQ: u32 = 0x88a8;
const ET_QINQ_OLD: u32 = 0x9100;

const P_ICMP: u32 = 1;
const P_TCP: u32 = 6;
const P_UDP: u32 = 17;
const P_ICMPV6: u32 = 58;
const X_HOPOPTS: u32 = 0;
const X_ROUTING: u32 = 43;
const X_FRAGMENT: u32 = 44;
const X_AH: u32 = 51;
const X_DSTOPTS: u32 = 60;

/** "No length declared" for the TCP data-offset check. */
const NO_DECL: u32 = 0xffffffff;

// ---- helpers ---------------------------------------------------------------

/**
 * Big-endian u16 at p. The swap as one multiply: x * 0x10001 puts the low
 * byte at bits 8-15 and 24-31 and the high byte at 16-23, so bits 8-23 are
 * the swapped value (imul, shr, movzx: 3 x86 instructions against bswap<u16>'s 5).
 */
// @ts-ignore: decorator
@inline function be16(p: usize): u32 {
  return ((<u32>load<u16>(p) * 0x10001) >> 8) & 0xffff;
}

/** A big-endian u16 constant as load<u16> of its two bytes reads it (for tests without a swap). */
// @ts-ignore: decorator
@inline function le16(v: u32): u32 {
  return ((v & 0xff) << 8) | (v >> 8);
}

/** Big-endian u32 at p. */
// @ts-ignore: decorator
@inline function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

/**
 * The two big-endian u16 at p (source, destination port) as REC_SPORT's u32:
 * source in the low half. One load and each half's bytes swapped in place
 * (WASM has no byte swap: `bswap` is shifts and masks, twice for two loads).
 */
// @ts-ignore: decorator
@inline function ports(p: usize): u32 {
  const x = load<u32>(p);
  return ((x >> 8) & 0x00ff00ff) | ((x << 8) & 0xff00ff00);
}

/**
 * Store the 16 network-order bytes at p as a 128-bit LE integer at q: one
 * vector, its bytes reversed by one shuffle (two bswap<u64> were ~12 x86
 * instructions each). The caller has checked that the 16 bytes are there.
 */
// @ts-ignore: decorator
@inline function storeAddr6(q: usize, p: usize): void {
  const v = v128.load(p);
  v128.store(q, i8x16.shuffle(v, v, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
}

// @ts-ignore: decorator
@inline function isVlan(t: u32): bool {
  return t == ET_VLAN || t == ET_QINQ || t == ET_QINQ_OLD;
}

/** isVlan of an ethertype read little-endian. */
// @ts-ignore: decorator
@inline function isVlanLe(t: u32): bool {
  return t == le16(ET_VLAN) || t == le16(ET_QINQ) || t == le16(ET_QINQ_OLD);
}

// @ts-ignore: decorator
@inline function isAf6(f: u32): bool {
  return f == 10 || f == 23 || f == 24 || f == 28 || f == 30;
}

/** Timestamp words -> i64 ns, per src/pcap/timestamp.ts (wrapping). */
// @ts-ignore: decorator
@inline function tsNs(ife: usize, a: u32, b: u32): i64 {
  const kind = <u32>load<u8>(ife, IFE_TS_KIND);
  if (kind == TS_PAIR_US) return <i64>a * 1000000000 + <i64>b * 1000;
  if (kind == TS_PAIR_NS) return <i64>a * 1000000000 + <i64>b;
  const exp = <u32>load<u8>(ife, IFE_TS_EXP);
  const u: u64 = (<u64>a << 32) | <u64>b;
  let ns: u64;
  if (kind == TS_DEC) {
    let p: u64 = 1;
    if (exp <= 9) {
      for (let i: u32 = exp; i < 9; i++) p *= 10;
      ns = u * p;
    } else {
      for (let i: u32 = 9; i < exp; i++) p *= 10;
      ns = u / p;
    }
  } else {
    const k = <u64>exp;
    const s: u64 = k > 34 ? k - 34 : 0;
    const f = u & ((<u64>1 << k) - 1);
    ns = (u >> k) * 1000000000 + (((f >> s) * 1000000000) >> (k - s));
  }
  return <i64>ns + load<i64>(ife, IFE_TS_OFFSET) * 1000000000;
}

// Link-layer result, one u32 instead of two globals (V8 keeps a mutable
// global in the instance's globals area: every set and get is a store and
// a load): the IP header's offset from the frame's start << 3, or'd with
// the IP version the link layer declares (4, 6; 0: raw, either); NOT_IP
// when the frame carries no IP header. Offsets are below the caplen.
const NOT_IP: u32 = 0xffffffff;

/** linkLayer's result for an IP header `off` bytes into the frame, version `want`. */
// @ts-ignore: decorator
@inline function l3At(off: usize, want: u32): u32 {
  return (<u32>off << 3) | want;
}

/** Ethertype at t (VLAN tags skipped), the frame starting at p: l3At, or NOT_IP. */
// @ts-ignore: decorator
@inline function afterVlans(p: usize, t: usize, end: usize): u32 {
  while (true) {
    if (end - t < 2) return NOT_IP;
    // The ethertype as its bytes read little-endian, against the constants swapped (no swap a frame).
    const et = <u32>load<u16>(t);
    // IPv4 and IPv6 first (the common frames: two tests, not the three VLAN types' first).
    if (et == le16(ET_IPV4)) return l3At(t + 2 - p, 4);
    if (et == le16(ET_IPV6)) return l3At(t + 2 - p, 6);
    if (!isVlanLe(et)) return NOT_IP;
    if (end - t < 4) return NOT_IP;
    t += 4;
  }
  return NOT_IP;
}

// @ts-ignore: decorator
@inline function linkLayer(linktype: u32, p: usize, end: usize): u32 {
  const caplen = end - p;
  switch (linktype) {
    case LT_ETHERNET: {
      if (caplen < 14) return NOT_IP;
      // An untagged IPv4 or IPv6 frame (nearly all) before the tag walk: 14 bytes are there.
      const et = <u32>load<u16>(p, 12);
      if (et == le16(ET_IPV4)) return l3At(14, 4);
      if (et == le16(ET_IPV6)) return l3At(14, 6);
      return afterVlans(p, p + 12, end);
    }
    case LT_NULL:
    case LT_LOOP: {
      if (caplen < 4) return NOT_IP;
      let fam = be32(p);
      if (linktype == LT_NULL && (fam & 0xffff0000) != 0) fam = load<u32>(p);
      if (fam == 2) return l3At(4, 4);
      if (isAf6(fam)) return l3At(4, 6);
      return NOT_IP;
    }
    case LT_RAW: return l3At(0, 0);
    case LT_IPV4: return l3At(0, 4);
    case LT_IPV6: return l3At(0, 6);
    case LT_LINUX_SLL: {
      if (caplen < 16) return NOT_IP;
      return afterVlans(p, p + 14, end);
    }
    case LT_LINUX_SLL2: {
      if (caplen < 20) return NOT_IP;
      const et = be16(p);
      if (isVlan(et)) return afterVlans(p, p + 22, end);
      if (et == ET_IPV4) return l3At(20, 4);
      if (et == ET_IPV6) return l3At(20, 6);
      return NOT_IP;
    }
    default:
      return NOT_IP;
  }
}

/** Mark malformed: keep family/src/dst (F_ADDR), clear the packet fields REC_FAMILY..REC_LINKTYPE (not linktype/iface). */
function malformed(out: usize): void {
  const family = load<u8>(out, REC_FAMILY);
  const addr = <u8>(<u32>load<u8>(out, REC_FLAGS) & F_ADDR);
  // REC_FAMILY (40) up to REC_LINKTYPE (68): 16 + 8 + 4 bytes.
  v128.store(out, i64x2.splat(0), REC_FAMILY);
  store<u64>(out, 0, REC_FAMILY + 16);
  store<u32>(out, 0, REC_FAMILY + 24);
  store<u8>(out, family, REC_FAMILY);
  store<u8>(out, addr, REC_FLAGS);
  store<u8>(out, REASON_MALFORMED, REC_REASON);
}

// IPv6 walk result.
let wProto: u32 = 0;
let wOff: usize = 0;
let wFrag: bool = false;
let wFragOffset: u32 = 0;
let wFragMore: bool = false;
let wFragId: u32 = 0;

/** The extension headers walk6 skips by their length field, as a set of bits. */
const EXT_SKIP: u64 = (<u64>1 << X_HOPOPTS) | (<u64>1 << X_ROUTING) | (<u64>1 << X_DSTOPTS) | (<u64>1 << X_AH);

/** Walk IPv6 extension headers in [q, end) from header type `next`; false when cut short. */
// @ts-ignore: decorator
@inline function walk6(q: usize, end: usize, next: u32): bool {
  wFrag = false;
  while (true) {
    // Hop-by-hop, routing, destination options, AH: one bit test of a 64-bit set (next < 64).
    if (next < 64 && ((EXT_SKIP >> <u64>next) & 1) != 0) {
      if (end - q < 2) return false;
      const hl = <usize>load<u8>(q, 1);
      const len: usize = next == X_AH ? (hl + 2) << 2 : (hl + 1) << 3;
      if (end - q < len) return false;
      next = <u32>load<u8>(q);
      q += len;
      continue;
    }
    if (next == X_FRAGMENT) {
      if (end - q < 8) return false;
      const ofw = be16(q + 2);
      if (!wFrag) {
        wFrag = true;
        wFragOffset = ofw & 0xfff8;
        wFragMore = (ofw & 1) != 0;
        wFragId = be32(q + 4);
      }
      next = <u32>load<u8>(q);
      q += 8;
      if ((ofw & 0xfff8) != 0) break;
      continue;
    }
    break;
  }
  wProto = next;
  wOff = q;
  return true;
}

/** The quoted header of an ICMP error at [q, end). */
function quoted(out: usize, q: usize, end: usize, family: u32): void {
  let proto: u32;
  let l4: usize;
  let nonFirst = false;
  let qf: u32 = Q_PRESENT;
  if (family == 4) {
    if (end - q < 20 || (<u32>load<u8>(q) >> 4) != 4) return;
    const hlen = <usize>(<u32>load<u8>(q) & 0x0f) << 2;
    if (hlen < 20 || hlen > end - q) return;
    proto = <u32>load<u8>(q, 9);
    store<u32>(out, be32(q + 12), REC_QSRC);
    store<u32>(out, be32(q + 16), REC_QDST);
    l4 = q + hlen;
    nonFirst = (be16(q + 6) & 0x1fff) != 0;
  } else {
    if (end - q < 40 || (<u32>load<u8>(q) >> 4) != 6) return;
    if (!walk6(q + 40, end, <u32>load<u8>(q, 6))) return;
    proto = wProto;
    storeAddr6(out + REC_QSRC, q + 8);
    storeAddr6(out + REC_QDST, q + 24);
    l4 = wOff;
    nonFirst = wFrag && wFragOffset != 0;
    qf |= Q_V6;
  }
  store<u8>(out, <u8>proto, REC_QPROTO);
  if (!nonFirst) {
    const avail = end - l4;
    if ((proto == P_TCP || proto == P_UDP) && avail >= 4) {
      store<u16>(out, <u16>be16(l4), REC_QSPORT);
      store<u16>(out, <u16>be16(l4 + 2), REC_QDPORT);
      qf |= Q_PORTS;
    } else if (family == 4 ? proto == P_ICMP : proto == P_ICMPV6) {
      if (avail >= 6) {
        const t = <u32>load<u8>(l4);
        const echo = family == 4 ? t == 8 || t == 0 : t == 128 || t == 129;
        if (echo) {
          store<u8>(out, <u8>t, REC_QICMP_TYPE);
          store<u16>(out, <u16>be16(l4 + 4), REC_QICMP_ID);
          qf |= Q_ECHO;
        }
      }
    }
  }
  store<u8>(out, <u8>qf, REC_QFLAGS);
  store<u8>(out, <u8>(<u32>load<u8>(out, REC_FLAGS) | F_QUOTED), REC_FLAGS);
}

// The fast pass. decodeBatch runs every frame first through a copy of the
// decoder that makes no call (`fast` true): V8 keeps a loop's values in
// registers only while the loop calls nothing (a call spills them, and the
// loop reloaded its pointers every record). Where the full decoder calls
// (malformed, quoted) the fast copy returns REDO instead: decodeBatch decodes
// that frame again from the start with the full decoder (`fast` false). IPv6
// and walk6 are inlined into both. Both copies are the one source below;
// `fast` is a constant at each use, and the branches it decides are folded away.
const DONE: u32 = 0;
const REDO: u32 = 1;

// The fused pass (decodePrepassBatch: the decoder's fast pass and the
// engine's pre-pass in one loop). For an IPv4 TCP or UDP packet that is no
// non-first fragment, the fast pass does the pre-pass's work (prepareRecord4)
// right where it has the addresses' words, the protocol and the ports in
// registers (pre4), instead of storing the record and loading it back; its
// result then says what the loop does next: DONE (the record still needs the
// pre-pass: the engine's prepareRecord, later), REDO, NO_TOUCH (pre-passed,
// no slot to load), or the address of the conntrack slot to load (≥ 32:
// slot addresses are 32-byte aligned and above the static data).
const NO_TOUCH: u32 = 2;

/**
 * engine.ts prepareRecord4 of the record at `out` (an IPv4 TCP or UDP packet,
 * decoded, no non-first fragment) from the values the decoder has: protocol,
 * the addresses' words `x`, `y`, the ports word `pw` (REC_SPORT's u32);
 * `owned`, `shards` the engine's, `saved` the record's saved flow (FS_*).
 * Returns NO_TOUCH or the flow's first conntrack slot; REC_X_HIT 1 when the
 * record is one judgeSaved takes (a slot, no fragment: `flags` the IP
 * header's F_FRAG).
 */
// @ts-ignore: decorator
@inline function pre4(out: usize, proto: u32, x: u32, y: u32, pw: u32, flags: u32, owned: u32, shards: u32, saved: usize): u32 {
  const h = flowHash4(proto, x, y);
  const shard = shardOfHashIn(h, shards);
  store<u32>(out, shard, REC_X_SHARD);
  if (((owned >> shard) & 1) == 0) return NO_TOUCH;
  // The saved flow before the owners (prepareRecord4 saves it after them,
  // for records with a hop only): h is not live across their probe loops
  // (V8 computed it again after them); a record with no hop (a == b) has
  // its saved flow written, and no one reads it.
  const slot = <u32>ctFlow4Save(saved, h, x, y, pw);
  const a = addrOwner4(x);
  const b = addrOwner4(y);
  store<i32>(out, a, REC_X_OWNER_A);
  store<i32>(out, b, REC_X_OWNER_B);
  if (a == b) return NO_TOUCH; // both unmanaged, or local: no hop
  if ((flags & F_FRAG) == 0) store<u8>(out, 1, REC_X_HIT); // judgeSaved's record
  return slot;
}

/**
 * engine.ts prepareRecord of a record the fast pass decoded and pre4 did not
 * prepare (IPv6, ICMP and other protocols, non-first fragments, no IP
 * header), read back from the record: the fast pass leaves every record
 * that quotes a flow (an ICMP error) to the full decoder, so the packet's
 * own flow is its shard's. The fields not written are zero (the record's
 * REC_X_SHARD too, the shard of a packet with no IP header). NO_TOUCH or the
 * flow's first conntrack slot, as pre4.
 */
// @ts-ignore: decorator
@inline function preAny(out: usize, owned: u32, shards: u32, saved: usize): u32 {
  if (load<u8>(out, REC_REASON) != REASON_OK) return NO_TOUCH;
  const family = <u32>load<u8>(out, REC_FAMILY);
  const proto = <u32>load<u8>(out, REC_PROTO);
  const flags = <u32>load<u8>(out, REC_FLAGS);
  const h = flowHashOf(family, proto, out + REC_SRC, out + REC_DST);
  const shard = shardOfHashIn(h, shards);
  store<u32>(out, shard, REC_X_SHARD);
  if (((owned >> shard) & 1) == 0) return NO_TOUCH;
  let a: i32, b: i32;
  if (family == 4) {
    a = addrOwner4(load<u32>(out, REC_SRC + ADDR_W0));
    b = addrOwner4(load<u32>(out, REC_DST + ADDR_W0));
  } else {
    a = addrOwnerOf(family, out + REC_SRC);
    b = addrOwnerOf(family, out + REC_DST);
  }
  store<i32>(out, a, REC_X_OWNER_A);
  store<i32>(out, b, REC_X_OWNER_B);
  if (a == b) return NO_TOUCH;
  if ((flags & F_FRAG) != 0) {
    if (load<u16>(out, REC_FRAG_OFFSET) != 0) return NO_TOUCH;
  } else store<u8>(out, 1, REC_X_HIT); // judgeSaved's record
  const pw = flowPortsWord(out, family, proto, flags);
  if (family == 4) return <u32>ctFlow4Save(saved, h, load<u32>(out, REC_SRC + ADDR_W0), load<u32>(out, REC_DST + ADDR_W0), pw);
  return <u32>ctFlowSaveOf(saved, h, out + REC_SRC, out + REC_DST, pw);
}

/** The record malformed (the full pass), or REDO (the fast pass: the full pass decides). */
// @ts-ignore: decorator
@inline function bad(out: usize, fast: bool): u32 {
  if (fast) return REDO;
  malformed(out);
  return DONE;
}

/** Transport fields at [q, end); declLen = L4 length the IP header declares (NO_DECL, or above 2^32 - 61, if none). */
// @ts-ignore: decorator
@inline function transport(out: usize, q: usize, end: usize, declLen: u32, family: u32, proto: u32, flags: u32, fast: bool, pre: bool, x: u32, y: u32, owned: u32, shards: u32, saved: usize): u32 {
  const avail = end - q;
  if (proto == P_TCP) {
    if (avail < 20) return bad(out, fast);
    const doff = (<u32>load<u8>(q, 12) >> 4) << 2;
    if (doff < 20) return bad(out, fast);
    if (doff > declLen) return bad(out, fast);
    const pw = ports(q);
    store<u32>(out, pw, REC_SPORT);
    store<u8>(out, load<u8>(q, 13), REC_TCP_FLAGS);
    store<u8>(out, <u8>(flags | F_PORTS | F_TCP), REC_FLAGS);
    if (pre) return pre4(out, proto, x, y, pw, flags, owned, shards, saved);
    return DONE;
  }
  if (proto == P_UDP) {
    if (avail < 8) return bad(out, fast);
    const pw = ports(q);
    store<u32>(out, pw, REC_SPORT);
    store<u8>(out, <u8>(flags | F_PORTS), REC_FLAGS);
    if (pre) return pre4(out, proto, x, y, pw, flags, owned, shards, saved);
    return DONE;
  }
  const isIcmp = family == 4 ? proto == P_ICMP : proto == P_ICMPV6;
  if (!isIcmp) return DONE;
  if (avail < 8) return bad(out, fast);
  const t = <u32>load<u8>(q);
  store<u8>(out, <u8>t, REC_ICMP_TYPE);
  store<u8>(out, load<u8>(q, 1), REC_ICMP_CODE);
  flags |= F_ICMP;
  if (family == 4 ? t == 8 || t == 0 : t == 128 || t == 129) {
    store<u16>(out, <u16>be16(q + 4), REC_ICMP_ID);
    store<u8>(out, <u8>(flags | F_ICMP_ID), REC_FLAGS);
    return DONE;
  }
  store<u8>(out, <u8>flags, REC_FLAGS);
  const isError = family == 4 ? t == 3 || t == 4 || t == 5 || t == 11 || t == 12 : t >= 1 && t <= 4;
  if (isError) {
    if (fast) return REDO;
    quoted(out, q + 8, end, family);
  }
  return DONE;
}

// @ts-ignore: decorator
@inline function decodeIp4(out: usize, ip: usize, end: usize, fast: bool, pre: bool, owned: u32, shards: u32, saved: usize): u32 {
  if (end - ip < 20) return bad(out, fast);
  // The header's bytes 4-19 as one vector (the 20 bytes are there: never a
  // read past the caplen), both addresses' bytes swapped by one shuffle
  // (pshufb; WASM has no byte swap: bswap<u32> is 7 x86 instructions each):
  // lane 0 the source, lane 1 the destination, stored straight into the record
  // (lanes 2-3 repeat 0-1: V8 builds a mask of two equal halves in 3 instructions, not 4).
  const w = v128.load(ip, 4);
  const s = i8x16.shuffle(w, w, 11, 10, 9, 8, 15, 14, 13, 12, 11, 10, 9, 8, 15, 14, 13, 12);
  store<u8>(out, 4, REC_FAMILY);
  v128.store32_lane(out, s, 0, REC_SRC);
  v128.store32_lane(out, s, 1, REC_DST);
  let flags = F_ADDR;
  store<u8>(out, <u8>flags, REC_FLAGS);
  const hlen = <usize>(<u32>load<u8>(ip) & 0x0f) << 2;
  const total = <usize>be16(ip + 2);
  // One test a branch (binaryen makes an `||` of comparisons one chain of setcc and or, run whole every packet).
  if (hlen < 20) return bad(out, fast);
  if (hlen > end - ip) return bad(out, fast);
  // total 0 (no length declared) as the largest u32 (total - 1 wraps): `total != 0 && total < x` is
  // `total - 1 < x - 1` for x ≥ 1, one compare (hlen ≥ 20 and end - ip ≥ 20 here).
  const tm1 = total - 1;
  if (tm1 < hlen - 1) return bad(out, fast);
  let l4End = end;
  if (tm1 < end - ip - 1) l4End = ip + total;
  const proto = <u32>load<u8>(ip, 9);
  store<u8>(out, <u8>proto, REC_PROTO);
  // More fragments, or an offset: the flags word's bits 0x3fff tested on its bytes as read (no swap).
  if ((<u32>load<u16>(ip, 6) & le16(0x3fff)) != 0) {
    const ff = be16(ip + 6);
    const fragOffset = (ff & 0x1fff) << 3;
    const mf = (ff & 0x2000) != 0;
    flags |= F_FRAG;
    if (mf) flags |= F_MF;
    store<u16>(out, <u16>fragOffset, REC_FRAG_OFFSET);
    store<u32>(out, be16(ip + 4), REC_FRAG_ID);
    store<u8>(out, <u8>flags, REC_FLAGS);
    if (fragOffset != 0) return DONE;
  }
  // The declared L4 length: total - hlen (total ≥ hlen here), or with total 0 the wrapped
  // 2^32 - hlen, above any data offset (≤ 60) as NO_DECL is: no select.
  // (pre: the addresses' words from the shuffled vector, still in a register.)
  return transport(out, ip + hlen, l4End, <u32>(total - hlen), 4, proto, flags, fast, pre, pre ? <u32>i32x4.extract_lane(s, 0) : 0, pre ? <u32>i32x4.extract_lane(s, 1) : 0, owned, shards, saved);
}

// @ts-ignore: decorator
@inline function decodeIp6(out: usize, ip: usize, end: usize, fast: bool): u32 {
  if (end - ip < 40) return bad(out, fast);
  store<u8>(out, 6, REC_FAMILY);
  storeAddr6(out + REC_SRC, ip + 8);
  storeAddr6(out + REC_DST, ip + 24);
  let flags = F_ADDR;
  store<u8>(out, <u8>flags, REC_FLAGS);
  const plen = <usize>be16(ip + 4);
  let l4End = end;
  if (plen != 0 && plen < end - ip - 40) l4End = ip + 40 + plen;
  if (!walk6(ip + 40, l4End, <u32>load<u8>(ip, 6))) return bad(out, fast);
  const proto = wProto;
  store<u8>(out, <u8>proto, REC_PROTO);
  if (wFrag) {
    flags |= F_FRAG;
    if (wFragMore) flags |= F_MF;
    store<u16>(out, <u16>wFragOffset, REC_FRAG_OFFSET);
    store<u32>(out, wFragId, REC_FRAG_ID);
    store<u8>(out, <u8>flags, REC_FLAGS);
    if (wFragOffset != 0) return DONE;
  }
  const l4 = wOff;
  return transport(out, l4, l4End, plen != 0 ? <u32>(ip + 40 + plen - l4) : NO_DECL, 6, proto, flags, fast, false, 0, 0, 0, 0, 0);
}

/** Decode one frame into the record at `out`: DONE, or (fast) REDO (see DONE). */
// @ts-ignore: decorator
@inline function decodeOne(framesPtr: usize, d: usize, ifacePtr: usize, out: usize, fast: bool, pre: bool, owned: u32, shards: u32, saved: usize): u32 {
  const caplen = load<u32>(d, DESC_CAPLEN);
  const iface = load<u32>(d, DESC_IFACE);
  const ife = ifacePtr + <usize>iface * IFE_SIZE;
  const linktype = load<u32>(ife, IFE_LINKTYPE);
  const zero = i64x2.splat(0);
  v128.store(out, zero, 0);
  v128.store(out, zero, 16);
  v128.store(out, zero, 32);
  v128.store(out, zero, 48);
  v128.store(out, zero, 64);
  v128.store(out, zero, 80);
  v128.store(out, zero, 96);
  v128.store(out, zero, 112); // 8 × 16 = REC_SIZE
  store<i64>(out, tsNs(ife, load<u32>(d, DESC_TS_A), load<u32>(d, DESC_TS_B)), REC_TS);
  store<u16>(out, <u16>linktype, REC_LINKTYPE);
  store<u16>(out, <u16>iface, REC_IFACE);
  // caplen and len: adjacent in the descriptor and in the record, one u64 copy.
  store<u64>(out, load<u64>(d, DESC_CAPLEN), REC_CAPLEN);
  const p = framesPtr + <usize>load<u32>(d, DESC_DATA_OFF);
  const end = p + <usize>caplen;
  if (fast) {
    // The common frames straight to their IP decoder: untagged Ethernet with
    // an IPv4 or IPv6 header of that version (what linkLayer and the version
    // tests below decide for them, without the link-layer result's encoding).
    // (The ethertype's load between the caplen and the link-type tests, and
    // the version's inside each branch: binaryen merges adjacent tests of
    // locals into one setcc chain, run whole every frame.)
    if (caplen >= 15) {
      const et = <u32>load<u16>(p, 12);
      if (linktype == LT_ETHERNET) {
        if (et == le16(ET_IPV4)) {
          if ((<u32>load<u8>(p, 14) >> 4) == 4) return decodeIp4(out, p + 14, end, fast, pre, owned, shards, saved);
        } else if (et == le16(ET_IPV6)) {
          if ((<u32>load<u8>(p, 14) >> 4) == 6) return decodeIp6(out, p + 14, end, fast);
        }
      }
    }
  }
  const l3 = linkLayer(linktype, p, end);
  if (l3 == NOT_IP) {
    store<u8>(out, REASON_NON_IP, REC_REASON);
    return DONE;
  }
  const ip = p + <usize>(l3 >> 3);
  const want = l3 & 7;
  if (end - ip < 1) return bad(out, fast);
  const ver = <u32>load<u8>(ip) >> 4;
  // Malformed: a version other than 4 and 6, or other than the link layer's (`want`: 4, 6, or 0 for either).
  if (ver == 4) {
    if (want == 6) return bad(out, fast);
    return decodeIp4(out, ip, end, fast, pre, owned, shards, saved);
  }
  if (ver == 6) {
    if (want == 4) return bad(out, fast);
    return decodeIp6(out, ip, end, fast);
  }
  return bad(out, fast);
}

/**
 * The fast pass over frames i.. of n (see DONE): returns the index of the
 * first frame it leaves to the full decoder (n: none). It calls nothing, so
 * V8 keeps more of its loop's values in registers; a function of its own
 * (binaryen inlines no function with a loop), so decodeBatch's calls of the
 * full decoder do not spill them.
 */
function fastRun(framesPtr: usize, descPtr: usize, ifacePtr: usize, outPtr: usize, i: u32, n: u32): u32 {
  let d = descPtr + <usize>i * DESC_SIZE;
  let out = outPtr + <usize>i * REC_SIZE;
  const dEnd = descPtr + <usize>n * DESC_SIZE;
  while (d < dEnd) {
    const r = decodeOne(framesPtr, d, ifacePtr, out, true, false, 0, 0, 0);
    if (r != DONE) break;
    d += DESC_SIZE;
    out += REC_SIZE;
  }
  return <u32>((d - descPtr) / DESC_SIZE);
}

// fastRunPre's lists' ends (set once a run: where decodePrepassBatch goes on).
let preTouch: usize = 0;
let preRest: usize = 0;

/**
 * fastRun with the pre-pass fused (pre4): also appends each pre-passed
 * record's conntrack slot to the u32 list at `touch`, and the address of each
 * record it decoded but left to the engine's pre-pass to the u32 list at
 * `rest`; `saved` the saved flows (FS_SIZE each, record i's at i). The lists'
 * ends in preTouch, preRest.
 */
function fastRunPre(framesPtr: usize, descPtr: usize, ifacePtr: usize, outPtr: usize, i: u32, n: u32, owned: u32, shards: u32, savedPtr: usize, touch: usize, rest: usize): u32 {
  let d = descPtr + <usize>i * DESC_SIZE;
  let out = outPtr + <usize>i * REC_SIZE;
  let saved = savedPtr + <usize>i * FS_SIZE;
  const dEnd = descPtr + <usize>n * DESC_SIZE;
  while (d < dEnd) {
    let r = decodeOne(framesPtr, d, ifacePtr, out, true, true, owned, shards, saved);
    if (r == DONE) r = preAny(out, owned, shards, saved);
    if (r > NO_TOUCH) {
      store<u32>(touch, r);
      touch += 4;
    } else if (r == REDO) break;
    d += DESC_SIZE;
    out += REC_SIZE;
    saved += FS_SIZE;
  }
  preTouch = touch;
  preRest = rest;
  return <u32>((d - descPtr) / DESC_SIZE);
}

/**
 * decodeBatch of `n` frames (n ≤ the engine's sub-batch) fused with the
 * engine's pre-pass for its plain IPv4 TCP/UDP records (fastRunPre): the
 * engine's `owned` and `shards`, its saved flows at `saved`, its touch list
 * at `touch`; the addresses of the records the engine's pre-pass must still
 * prepare go to the u32 list at `rest`. Returns the number of slots listed
 * at `touch`; decodePrepassRest() the end of the list at `rest`.
 */
export function decodePrepassBatch(framesPtr: usize, descPtr: usize, n: u32, ifacePtr: usize, outPtr: usize, owned: u32, shards: u32, saved: usize, touch: usize, rest: usize): u32 {
  let i: u32 = 0;
  preTouch = touch;
  preRest = rest;
  while (true) {
    i = fastRunPre(framesPtr, descPtr, ifacePtr, outPtr, i, n, owned, shards, saved, preTouch, preRest);
    if (i >= n) break;
    // The frame the fast pass left: the full decoder, from the start; the engine's pre-pass prepares it.
    const out = outPtr + <usize>i * REC_SIZE;
    decodeOne(framesPtr, descPtr + <usize>i * DESC_SIZE, ifacePtr, out, false, false, 0, 0, 0);
    store<u32>(preRest, <u32>out);
    preRest += 4;
    i++;
  }
  return <u32>((preTouch - touch) >> 2);
}

/** The end of decodePrepassBatch's list of records left to the engine's pre-pass. */
export function decodePrepassRest(): usize {
  return preRest;
}

/**
 * Decode `n` frames: descriptors at descPtr (24 bytes each), frame bytes at
 * framesPtr + dataOff, interfaces at ifacePtr (16 bytes each), records to
 * outPtr (128 bytes each). Returns n.
 */
export function decodeBatch(framesPtr: usize, descPtr: usize, n: u32, ifacePtr: usize, outPtr: usize): u32 {
  let i: u32 = 0;
  while (true) {
    i = fastRun(framesPtr, descPtr, ifacePtr, outPtr, i, n);
    if (i >= n) break;
    // The frame the fast pass left (malformed, an ICMP error's quote): the full decoder, from the start.
    decodeOne(framesPtr, descPtr + <usize>i * DESC_SIZE, ifacePtr, outPtr + <usize>i * REC_SIZE, false, false, 0, 0, 0);
    i++;
  }
  return n;
}

// ---- classic pcap record scan (the fast path of src/pcap/scanner.ts) -------

let scanEnd: u32 = 0;

/** Where the last scanPcap stopped (offset relative to its `base`). */
export function scanPcapPos(): u32 {
  return scanEnd;
}

/**
 * Walk classic pcap records in [base+pos, base+end) and write frame
 * descriptors (dataOff relative to base) at descPtr from index n up to cap.
 * Only records the host scanner would accept without a word are taken: the
 * header and data complete, caplen ≤ 262144, ≤ len, ≤ snaplen (when not 0),
 * timestamp fraction < fracLimit. Anything else stops the walk, and the host
 * scanner handles that record (warnings, errors, refills). Returns the new n;
 * scanPcapPos() gives the position reached. `big` = big-endian file.
 */
export function scanPcap(base: usize, pos: u32, end: u32, big: u32, fracLimit: u32, snaplen: u32, descPtr: usize, n: u32, cap: u32): u32 {
  // caplen ≤ 262144 and ≤ snaplen (when not 0): one limit.
  const limit: u32 = snaplen - 1 < 262144 ? snaplen : 262144;
  if (big) return scanPcapSwapped(base, pos, end, fracLimit, limit, descPtr, n, cap);
  // A little-endian file (nearly all): the walk with the descriptor pointer as
  // its counter and each test its own branch (the walk of both byte orders
  // kept a dozen values on the stack, reloaded every record).
  let d = descPtr + <usize>n * DESC_SIZE;
  const dEnd = descPtr + <usize>cap * DESC_SIZE;
  while (d < dEnd) {
    const left = end - pos;
    if (left < 16) break;
    const r = base + <usize>pos;
    const caplen = load<u32>(r, 8);
    if (caplen > limit) break;
    if (left - 16 < caplen) break;
    const len = load<u32>(r, 12);
    if (caplen > len) break;
    const b = load<u32>(r, 4);
    if (b >= fracLimit) break;
    store<u32>(d, pos + 16, DESC_DATA_OFF);
    store<u32>(d, caplen, DESC_CAPLEN);
    // len and the interface (0) as one u64 store, the timestamp words as one u64 copy.
    store<u64>(d, <u64>len, DESC_LEN);
    store<u64>(d, load<u64>(r), DESC_TS_A);
    d += DESC_SIZE;
    pos += 16 + caplen;
  }
  scanEnd = pos;
  return <u32>((d - descPtr) / DESC_SIZE);
}

/** scanPcap of a big-endian file (`limit`: the caplen limit scanPcap computed). */
function scanPcapSwapped(base: usize, pos: u32, end: u32, fracLimit: u32, limit: u32, descPtr: usize, n: u32, cap: u32): u32 {
  while (n < cap && end - pos >= 16) {
    const r = base + <usize>pos;
    const a = bswap<u32>(load<u32>(r));
    const b = bswap<u32>(load<u32>(r, 4));
    const caplen = bswap<u32>(load<u32>(r, 8));
    const len = bswap<u32>(load<u32>(r, 12));
    if (caplen > limit || caplen > len || b >= fracLimit) break;
    if (end - pos - 16 < caplen) break;
    const d = descPtr + <usize>n * DESC_SIZE;
    store<u32>(d, pos + 16, DESC_DATA_OFF);
    store<u32>(d, caplen, DESC_CAPLEN);
    store<u32>(d, len, DESC_LEN);
    store<u32>(d, 0, DESC_IFACE);
    store<u32>(d, a, DESC_TS_A);
    store<u32>(d, b, DESC_TS_B);
    n++;
    pos += 16 + caplen;
  }
  scanEnd = pos;
  return n;
}
