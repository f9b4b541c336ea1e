// Conntrack (SEMANTICS §5): one open-addressed table (oa.ts) for every
// interface and shard of this worker; capacity is counted per (interface,
// shard) in state.ts's counters.
//
// Entry: CT_* (layout: conntrack entry; tag CT_LIVE, SLOT_EMPTY, SLOT_TOMB =
// deleted): one flow key (shard, family, protocol, canonical endpoints) with
// up to two sides (CTS_*), each the state of the flow at one interface — the
// entry of that interface's table in SEMANTICS §5. A packet's two hops
// (egress at the source's interface, ingress at the destination's) are the
// two sides of one entry, so the hash leaves the interface out and both
// hops read one cache line. A flow key is only ever hopped at the owners of
// its two addresses, so two sides suffice; were a third interface to need
// one, it would get a second entry of the same key (the lookup looks at
// every entry of its key on the probe path). lo/hi: the endpoints (address,
// port) in canonical order (smaller first); IPv4 addresses inline, IPv6 in
// a pool of out-of-line keys (CTK_*). Side flags: CTF_ORIG_LO (the original
// source is the lo endpoint), CTF_FIN_ORIG, CTF_FIN_REPLY.

import { arenaAlloc, arenaFree } from './arena';
import { addrCmp, addrCopy, addrEq, addrHash, mix64 } from './hash';
import {
  ADDR_W0,
  CNT_CT_NEXT_EXPIRY,
  CNT_CT_PEAK,
  CNT_CT_STORED,
  CTF_FIN_ORIG,
  CTF_FIN_REPLY,
  CTF_ORIG_LO,
  CTK_HI,
  CTK_LO,
  CTK_SIZE,
  CTS_FLAGS,
  CTS_IFACE,
  CTS_LAST_SEEN,
  CTS_SIZE,
  CTS_STATE,
  CT_FAMILY,
  CT_HASH,
  CT_HI4,
  CT_HI_PORT,
  CT_LIVE,
  CT_LO4,
  CT_LO_PORT,
  CT_PROTO,
  CT_SHARD,
  CT_SIDE0,
  CT_SIDES,
  CT_SIZE,
  CT_TAG,
  FS_HASH,
  FS_HI_PORT,
  FS_LO_PORT,
  FS_SRC_IS_LO,
  SLOT_EMPTY,
  SLOT_TOMB,
  STAT_CT_FULL,
  STAT_CT_GROWS,
  ST_ICMP,
  ST_OTHER,
  ST_TCP_CLOSING,
  ST_TCP_ESTABLISHED,
  ST_TCP_OPENING,
  ST_UDP_REPLIED,
  ST_UDP_UNREPLIED,
  TCP_FIN,
  TCP_RST,
} from './layout';
import { oaDelete, oaFreeSlot, oaMask, oaMaybeGrow, oaNew, oaSize, oaSlots, oaTake } from './oa';
import { addSat, counter, ctCapacity, statBump, timeoutOf, within } from './state';

/** Slots of a new table (it grows from there). */
const CT_INITIAL_SLOTS: u32 = 8192;

/** The table (an OA_* header). */
let ct: usize = 0;

// The IPv6 key pool: CTK_SIZE-byte records; a free one's first u32 is the
// next free index + 1 (0: the end). Grows by doubling (never per packet).
let keys: usize = 0;
let keysCap: u32 = 0;
let keysTop: u32 = 0;
let keysFree: u32 = 0;

/** A new, empty table (stateInit). */
export function ctInit(): void {
  ct = oaNew(CT_INITIAL_SLOTS, <u32>CT_SIZE, <u32>CT_HASH, 1, 2); // at most half used: short probes, misses included
  keys = 0;
  keysCap = 0;
  keysTop = 0;
  keysFree = 0;
}

@inline function keyAt(i: u32): usize {
  return keys + <usize>i * CTK_SIZE;
}

/** A record of the key pool for a new IPv6 entry. */
function keyAlloc(): u32 {
  if (keysFree != 0) {
    const i = keysFree - 1;
    keysFree = load<u32>(keyAt(i));
    return i;
  }
  if (keysTop == keysCap) {
    const cap: u32 = keysCap == 0 ? 1024 : keysCap * 2;
    const to = arenaAlloc(<usize>cap * CTK_SIZE, 64);
    if (keysCap != 0) {
      memory.copy(to, keys, <usize>keysCap * CTK_SIZE);
      arenaFree(keys, <usize>keysCap * CTK_SIZE);
    }
    keys = to;
    keysCap = cap;
  }
  return keysTop++;
}

@inline function keyFree(i: u32): void {
  store<u32>(keyAt(i), keysFree);
  keysFree = i + 1;
}

// The key of the packet being looked up: the flow part (ctFlow), then the
// interface and shard (ctAt). A packet's flow is computed once and keyed at
// each hop. The shard is part of the key: one table holds every shard of this
// instance, and one flow key can live in two shards (an ICMP error belongs to
// its quoted flow's shard, a plain ICMP packet of the same addresses to its
// own), which must not see each other's entries (the reference keeps one
// table per shard).
let kIface: u32 = 0;
let kShard: u32 = 0;
let kFamily: u32 = 0;
let kProto: u32 = 0;
let kLoPort: u32 = 0;
let kHiPort: u32 = 0;
let kSrcIsLo: bool = true;
let kHash: u32 = 0;
let kLo: usize = 0; // pointers to the packet's addresses
let kHi: usize = 0;
// What the last ctLookup of the key found (ctAt forgets it): the entry with
// the key's side (live or expired; 0 none) and that side, the first entry of
// the key with a free side (0 none) and that side, and the first free slot
// on the probe path — where ctCreate puts the key without probing again.
let kProbed: bool = false;
let kSlot: usize = 0;
let kSide: usize = 0;
let kHalf: usize = 0;
let kHalfSide: usize = 0;
let kFree: usize = 0;

/** The conntrack hash of a flow: the same at every interface (both hops of a packet probe one place). */
@inline function flowKeyHash(family: u32, proto: u32, lo: usize, loPort: u32, hi: usize, hiPort: u32): u32 {
  let h: u64 = (<u64>family << 48) | (<u64>proto << 32) | (<u64>loPort << 16) | <u64>hiPort;
  h = addrHash(lo, h);
  return <u32>mix64(addrHash(hi, h));
}

/** The flow part of the key: family, protocol, (src, sport), (dst, dport) in canonical order. */
export function ctFlow(family: u32, proto: u32, src: usize, sport: u32, dst: usize, dport: u32): void {
  kFamily = family;
  kProto = proto;
  const c = addrCmp(src, dst);
  kSrcIsLo = c < 0 || (c == 0 && sport <= dport);
  if (kSrcIsLo) {
    kLo = src; kHi = dst; kLoPort = sport; kHiPort = dport;
  } else {
    kLo = dst; kHi = src; kLoPort = dport; kHiPort = sport;
  }
  kHash = flowKeyHash(family, proto, kLo, kLoPort, kHi, kHiPort);
}

/** Save the prepared flow (FS_* at `p`): its hash, lo/hi ports, which side the source is. */
export function ctFlowSave(p: usize): void {
  store<u32>(p, kHash, FS_HASH);
  store<u16>(p, <u16>kLoPort, FS_LO_PORT);
  store<u16>(p, <u16>kHiPort, FS_HI_PORT);
  store<u8>(p, kSrcIsLo ? 1 : 0, FS_SRC_IS_LO);
}

/** Restore a flow saved by ctFlowSave for the packet with addresses `src`, `dst`. */
export function ctFlowLoad(p: usize, family: u32, proto: u32, src: usize, dst: usize): void {
  kFamily = family;
  kProto = proto;
  kHash = load<u32>(p, FS_HASH);
  kLoPort = <u32>load<u16>(p, FS_LO_PORT);
  kHiPort = <u32>load<u16>(p, FS_HI_PORT);
  kSrcIsLo = load<u8>(p, FS_SRC_IS_LO) != 0;
  kLo = kSrcIsLo ? src : dst;
  kHi = kSrcIsLo ? dst : src;
}

/** Key the prepared flow at interface `iface`, in state shard `shard`. */
export function ctAt(iface: u32, shard: u32): void {
  kIface = iface;
  kShard = shard;
  kProbed = false;
}

/** Prepare the whole key: interface, shard, family, protocol, (src, sport), (dst, dport). */
export function ctKey(iface: u32, shard: u32, family: u32, proto: u32, src: usize, sport: u32, dst: usize, dport: u32): void {
  ctFlow(family, proto, src, sport, dst, dport);
  ctAt(iface, shard);
}

/** Does entry `e` hold the prepared flow key (any interface)? */
@inline function ctMatches(e: usize): bool {
  if (load<u32>(e, CT_SHARD) != kShard || load<u8>(e, CT_FAMILY) != <u8>kFamily || load<u8>(e, CT_PROTO) != <u8>kProto) return false;
  if (load<u16>(e, CT_LO_PORT) != <u16>kLoPort || load<u16>(e, CT_HI_PORT) != <u16>kHiPort) return false;
  if (kFamily == 4) return load<u32>(e, CT_LO4) == load<u32>(kLo, ADDR_W0) && load<u32>(e, CT_HI4) == load<u32>(kHi, ADDR_W0);
  const k = keyAt(load<u32>(e, CT_LO4));
  return addrEq(k + CTK_LO, kLo) && addrEq(k + CTK_HI, kHi);
}

@inline function sideAt(e: usize, s: u32): usize {
  return e + CT_SIDE0 + <usize>s * CTS_SIZE;
}

/**
 * The first slot the prepared flow probes (at every interface): engineRun's
 * pre-pass collects these for a sub-batch and loads them in one tight loop,
 * so that their memory latency overlaps before the packets are judged.
 */
export function ctFirstSlot(): usize {
  return oaSlots(ct) + <usize>(kHash & oaMask(ct)) * CT_SIZE;
}

/**
 * Probe for the prepared key. Sets kSlot/kSide (the entry and side of the
 * key at kIface, live or expired; 0 none), kHalf/kHalfSide (the first entry
 * of the flow with a free side) and kFree (the first free slot on the probe
 * path, when no side was found).
 */
function ctFind(): void {
  const slots = oaSlots(ct);
  const mask = oaMask(ct);
  let free: usize = 0;
  let half: usize = 0;
  let halfSide: usize = 0;
  let i = kHash & mask;
  while (true) {
    const e = slots + <usize>i * CT_SIZE;
    const t = load<u32>(e, CT_TAG);
    if (t == SLOT_EMPTY) {
      kSlot = 0;
      kHalf = half;
      kHalfSide = halfSide;
      kFree = free != 0 ? free : e;
      return;
    }
    if (t == SLOT_TOMB) {
      if (free == 0) free = e;
    } else if (load<u32>(e, CT_HASH) == kHash && ctMatches(e)) {
      const sides = <u32>load<u8>(e, CT_SIDES);
      if ((sides & 1) != 0 && load<u32>(e, CT_SIDE0 + CTS_IFACE) == kIface) {
        kSlot = e;
        kSide = sideAt(e, 0);
        return;
      }
      if ((sides & 2) != 0 && load<u32>(sideAt(e, 1), CTS_IFACE) == kIface) {
        kSlot = e;
        kSide = sideAt(e, 1);
        return;
      }
      if (half == 0 && sides != 3) {
        half = e;
        halfSide = sideAt(e, (sides & 1) == 0 ? 0 : 1);
      }
    }
    i = (i + 1) & mask;
  }
}

/** The expiry of side `s` at interface `iface`: last seen + the timeout of its state (saturating). */
@inline function ctExpiry(s: usize, iface: u32): i64 {
  return addSat(load<i64>(s, CTS_LAST_SEEN), timeoutOf(iface, <u32>load<u8>(s, CTS_STATE)));
}

@inline function ctLive(s: usize, iface: u32, now: i64): bool {
  return within(now, load<i64>(s, CTS_LAST_SEEN), timeoutOf(iface, <u32>load<u8>(s, CTS_STATE)));
}

/** Lower the purge-skip bound of (iface, shard) to this side's expiry. */
@inline function ctNoteExpiry(s: usize, iface: u32, shard: u32): void {
  const c = counter(iface, shard);
  const exp = ctExpiry(s, iface);
  if (exp < load<i64>(c, CNT_CT_NEXT_EXPIRY)) store<i64>(c, exp, CNT_CT_NEXT_EXPIRY);
}

/** The live side (CTS_*) of the prepared key at `now`, or 0 (§5: expired = absent). */
export function ctLookup(now: i64): usize {
  ctFind();
  kProbed = true;
  const e = kSlot;
  if (e == 0 || !ctLive(kSide, kIface, now)) return 0;
  return kSide;
}

/** §5 state changes for a packet of the prepared key hitting side `e`. */
export function ctHit(e: usize, now: i64, tcpFlags: u32, shard: u32): void {
  const flags = load<u8>(e, CTS_FLAGS);
  // The packet comes from the lo endpoint iff its source was the lo side.
  const fromLo = kSrcIsLo;
  const isReply = fromLo != ((flags & CTF_ORIG_LO) != 0);
  let state = <u32>load<u8>(e, CTS_STATE);
  let f = flags;
  if (state == ST_TCP_OPENING && isReply) state = ST_TCP_ESTABLISHED;
  if (state == ST_UDP_UNREPLIED && isReply) state = ST_UDP_REPLIED;
  if (kProto == 6 && state != ST_TCP_CLOSING) {
    if (tcpFlags & TCP_RST) state = ST_TCP_CLOSING;
    else if (tcpFlags & TCP_FIN) {
      f |= isReply ? CTF_FIN_REPLY : CTF_FIN_ORIG;
      if ((f & (CTF_FIN_ORIG | CTF_FIN_REPLY)) == (CTF_FIN_ORIG | CTF_FIN_REPLY)) state = ST_TCP_CLOSING;
    }
  }
  const changed = state != <u32>load<u8>(e, CTS_STATE);
  store<u8>(e, <u8>state, CTS_STATE);
  store<u8>(e, f, CTS_FLAGS);
  if (now > load<i64>(e, CTS_LAST_SEEN)) store<i64>(e, now, CTS_LAST_SEEN);
  // A refresh only moves the expiry later, so the purge-skip bound stays a
  // lower bound; a new state may have a shorter timeout (closing).
  if (changed) ctNoteExpiry(e, kIface, shard);
}

function initialState(family: u32, proto: u32): u32 {
  if (proto == 6) return ST_TCP_OPENING;
  if (proto == 17) return ST_UDP_UNREPLIED;
  if ((family == 4 && proto == 1) || (family == 6 && proto == 58)) return ST_ICMP;
  return ST_OTHER;
}

/** Take side `s` (side number `n`) of entry `e` out and count it out of its (interface, shard); the entry stays. */
@inline function ctDropSide(e: usize, s: usize): void {
  const c = counter(load<u32>(s, CTS_IFACE), load<u32>(e, CT_SHARD));
  store<u32>(c, load<u32>(c, CNT_CT_STORED) - 1, CNT_CT_STORED);
  const bit: u8 = s == sideAt(e, 0) ? 1 : 2;
  store<u8>(e, load<u8>(e, CT_SIDES) & ~bit, CT_SIDES);
}

/** Delete entry `e` (no side left): a tombstone, its IPv6 key back to the pool. */
@inline function ctDeleteEntry(e: usize): void {
  if (load<u8>(e, CT_FAMILY) == 6) keyFree(load<u32>(e, CT_LO4));
  oaDelete(e);
}

/** Purge the expired sides of (iface, shard); recompute its purge-skip bound. */
function ctPurge(iface: u32, shard: u32, now: i64): void {
  const c = counter(iface, shard);
  if (now < load<i64>(c, CNT_CT_NEXT_EXPIRY)) return; // nothing can have expired yet
  let next: i64 = i64.MAX_VALUE;
  const slots = oaSlots(ct);
  const size = oaSize(ct);
  for (let i: u32 = 0; i < size; i++) {
    const e = slots + <usize>i * CT_SIZE;
    if (load<u32>(e, CT_TAG) != CT_LIVE || load<u32>(e, CT_SHARD) != shard) continue;
    const sides = <u32>load<u8>(e, CT_SIDES);
    for (let n: u32 = 0; n < 2; n++) {
      const s = sideAt(e, n);
      if ((sides & (1 << n)) == 0 || load<u32>(s, CTS_IFACE) != iface) continue;
      if (!ctLive(s, iface, now)) {
        ctDropSide(e, s);
        if (load<u8>(e, CT_SIDES) == 0) ctDeleteEntry(e);
      } else {
        const exp = ctExpiry(s, iface);
        if (exp < next) next = exp;
      }
    }
  }
  store<i64>(c, next, CNT_CT_NEXT_EXPIRY);
}

/**
 * Create the side of an allowed first packet of the prepared key (the
 * packet's source is the original source). Returns false when the shard is
 * full of live entries (conntrack-full; counted).
 */
export function ctCreate(now: i64, tcpFlags: u32, shard: u32): bool {
  // The key's lookup found no live side: its expired one (reused in place),
  // an entry of its flow with a free side, or its free slot.
  if (!kProbed) ctFind();
  kProbed = false;
  let e = kSlot;
  let s = kSide;
  if (e != 0) ctDropSide(e, s); // expired (a live one would have been hit)
  const c = counter(kIface, shard);
  if (load<u32>(c, CNT_CT_STORED) >= ctCapacity) {
    ctPurge(kIface, shard, now); // leaves e alone: its side of kIface is out
    if (load<u32>(c, CNT_CT_STORED) >= ctCapacity) {
      if (e != 0 && load<u8>(e, CT_SIDES) == 0) ctDeleteEntry(e);
      statBump(STAT_CT_FULL);
      return false;
    }
  }
  if (e == 0 && kHalf != 0) {
    e = kHalf;
    s = kHalfSide;
  }
  if (e == 0) {
    // A new entry of the flow.
    e = kFree;
    if (oaMaybeGrow(ct)) {
      statBump(STAT_CT_GROWS);
      e = oaFreeSlot(ct, kHash); // a new slot array: probe it
    }
    oaTake(ct, e, CT_LIVE);
    store<u8>(e, <u8>kFamily, CT_FAMILY);
    store<u8>(e, <u8>kProto, CT_PROTO);
    store<u8>(e, 0, CT_SIDES);
    if (kFamily == 4) {
      store<u32>(e, load<u32>(kLo, ADDR_W0), CT_LO4);
      store<u32>(e, load<u32>(kHi, ADDR_W0), CT_HI4);
    } else {
      const k = keyAlloc();
      addrCopy(keyAt(k) + CTK_LO, kLo);
      addrCopy(keyAt(k) + CTK_HI, kHi);
      store<u32>(e, k, CT_LO4);
      store<u32>(e, 0, CT_HI4);
    }
    store<u16>(e, <u16>kLoPort, CT_LO_PORT);
    store<u16>(e, <u16>kHiPort, CT_HI_PORT);
    store<u32>(e, shard, CT_SHARD);
    store<u32>(e, kHash, CT_HASH);
    s = sideAt(e, 0);
  }
  store<u8>(e, load<u8>(e, CT_SIDES) | (s == sideAt(e, 0) ? 1 : 2), CT_SIDES);
  let state = initialState(kFamily, kProto);
  let f: u8 = kSrcIsLo ? CTF_ORIG_LO : 0;
  if (kProto == 6) {
    if (tcpFlags & TCP_RST) state = ST_TCP_CLOSING;
    else if (tcpFlags & TCP_FIN) f |= CTF_FIN_ORIG;
  }
  store<u32>(s, kIface, CTS_IFACE);
  store<u8>(s, <u8>state, CTS_STATE);
  store<u8>(s, f, CTS_FLAGS);
  store<i64>(s, now, CTS_LAST_SEEN);
  const n = load<u32>(c, CNT_CT_STORED) + 1;
  store<u32>(c, n, CNT_CT_STORED);
  if (n > load<u32>(c, CNT_CT_PEAK)) store<u32>(c, n, CNT_CT_PEAK);
  ctNoteExpiry(s, kIface, shard);
  return true;
}

/** Peak entries of (iface, shard) (host sums them per interface). */
export function ctPeak(iface: u32, shard: u32): u32 {
  return load<u32>(counter(iface, shard), CNT_CT_PEAK);
}
