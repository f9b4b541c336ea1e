// Per-worker state of the replay engine: the address map (address ->
// interface), the conntrack table and the fragment memory (SEMANTICS §5, §6
// and docs/SEMANTICS.md "sgfilter's own decisions": shards and bounds).
//
// Addresses are the decoded record's form (assembly/decode.ts): a 128-bit
// little-endian integer, low u64 at +0 and high u64 at +8 (IPv4: the address
// as a u32 at +0, the rest zero).
//
// Memory: the host allocates every fixed region; the tables that grow (the
// conntrack and fragment tables) take new slot arrays from a WASM-side arena
// above everything the host allocated (`stateInit(arenaBase)`), growing the
// memory with memory.grow. Growth doubles, so it happens O(log n) times in a
// replay, never per packet; an outgrown slot array is abandoned.
//
// Time is the packet's timestamp (i64 ns), passed in; nothing reads a clock.
//
// Layouts (assembly/layout.ts, generated from layout/layouts.json, where they
// are drawn): address map slot AM_*, interface record IF_*, flow states ST_*,
// per-shard counters CNT_*, the stats block STAT_*, conntrack entry CT_* with
// its flags CTF_*, fragment entry FR_*, slot tags SLOT_*, saved flow FS_*.

import {
  AM_ADDR,
  AM_FAMILY,
  AM_SIZE,
  AM_TAG,
  CNT_CT_NEXT_EXPIRY,
  CNT_CT_PEAK,
  CNT_CT_STORED,
  CNT_FR_NEXT_FORGET,
  CNT_FR_STORED,
  CNT_SIZE,
  CTF_FIN_ORIG,
  CTF_FIN_REPLY,
  CTF_ORIG_LO,
  CT_FAMILY,
  CT_FLAGS,
  CT_HASH,
  CT_HI,
  CT_HI_PORT,
  CT_LAST_SEEN,
  CT_LO,
  CT_LO_PORT,
  CT_PROTO,
  CT_SHARD,
  CT_SIZE,
  CT_STATE,
  CT_TAG,
  FR_DST,
  FR_FAMILY,
  FR_FIRST_SEEN,
  FR_HASH,
  FR_ID,
  FR_PROTO,
  FR_SHARD,
  FR_SIZE,
  FR_SRC,
  FR_TAG,
  FR_VERDICT,
  FS_HASH,
  FS_HI_PORT,
  FS_LO_PORT,
  FS_SRC_IS_LO,
  IF_SIZE,
  IF_TIMEOUTS,
  SLOT_EMPTY,
  SLOT_TOMB,
  STAT_CT_FULL,
  STAT_CT_GROWS,
  STAT_FRAG_NOT_REMEMBERED,
  STAT_SIZE,
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

// ---------------------------------------------------------------------------
// Arena

let arenaTop: usize = 0;

/** Take `bytes` (16-aligned) from the arena, growing memory as needed. */
function arenaAlloc(bytes: usize): usize {
  const p = (arenaTop + 15) & ~(<usize>15);
  const end = p + bytes;
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) unreachable();
  }
  arenaTop = end;
  memory.fill(p, 0, bytes);
  return p;
}

/** The arena for the host after stateInit (e.g. a bigger staging region); never per packet. */
export function arenaAllocate(bytes: usize): usize {
  return arenaAlloc(bytes);
}

// ---------------------------------------------------------------------------
// Hashing

/** A 64-bit mix (splitmix64 finalizer). */
@inline function mix64(x: u64): u64 {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9;
  x ^= x >> 27;
  x *= 0x94d049bb133111eb;
  x ^= x >> 31;
  return x;
}

/** Fold an address into a running 64-bit hash (one multiply; finish with mix64). */
@inline function addrHash(a: usize, h: u64): u64 {
  return (h ^ load<u64>(a) ^ (load<u64>(a, 8) * 0x9e3779b97f4a7c15)) * 0xff51afd7ed558ccd;
}

@inline function addrEq(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

/** Unsigned 128-bit compare of two addresses: -1, 0, 1. */
@inline function addrCmp(a: usize, b: usize): i32 {
  const ah = load<u64>(a, 8);
  const bh = load<u64>(b, 8);
  if (ah != bh) return ah < bh ? -1 : 1;
  const al = load<u64>(a);
  const bl = load<u64>(b);
  if (al != bl) return al < bl ? -1 : 1;
  return 0;
}

@inline function addrCopy(dst: usize, src: usize): void {
  store<u64>(dst, load<u64>(src));
  store<u64>(dst, load<u64>(src, 8), 8);
}

const FNV_OFFSET: u32 = 0x811c9dc5;
const FNV_PRIME: u32 = 0x01000193;

@inline function fnvWord(h: u32, w: u32): u32 {
  return (h ^ w) * FNV_PRIME;
}

/**
 * The symmetric flow hash of src/model/shard.ts: FNV-1a over 32-bit words
 * (family, protocol, the smaller then the larger address, most significant
 * word first; IPv4 one word, IPv6 four), then the murmur3 finalizer.
 */
export function flowHash(family: u32, proto: u32, a: usize, b: usize): u32 {
  let lo = a;
  let hi = b;
  if (addrCmp(a, b) > 0) {
    lo = b;
    hi = a;
  }
  let h = FNV_OFFSET;
  h = fnvWord(h, family);
  h = fnvWord(h, proto);
  if (family == 4) {
    h = fnvWord(h, load<u32>(lo));
    h = fnvWord(h, load<u32>(hi));
  } else {
    h = fnvWord(h, load<u32>(lo, 12));
    h = fnvWord(h, load<u32>(lo, 8));
    h = fnvWord(h, load<u32>(lo, 4));
    h = fnvWord(h, load<u32>(lo));
    h = fnvWord(h, load<u32>(hi, 12));
    h = fnvWord(h, load<u32>(hi, 8));
    h = fnvWord(h, load<u32>(hi, 4));
    h = fnvWord(h, load<u32>(hi));
  }
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

// ---------------------------------------------------------------------------
// Address map: (family, address) -> interface index. Built at setup.
//
// Slot: AM_* (tag = interface index + 1; SLOT_EMPTY = empty).

let amSlots: usize = 0;
let amMask: u32 = 0;

/** The address map's slot hash: one multiply of the folded address. */
@inline function amHash(family: u32, a: usize): u32 {
  return <u32>(((load<u64>(a) ^ (load<u64>(a, 8) * 0x9e3779b97f4a7c15) ^ <u64>family) * 0xff51afd7ed558ccd) >> 32);
}

/** Set up an empty address map with room for `n` addresses (host calls once). */
export function addrMapInit(n: u32): void {
  let size: u32 = 64;
  while (size < n * 4) size <<= 1; // sparse: misses (unmanaged addresses) end fast
  amSlots = arenaAlloc(<usize>size * AM_SIZE);
  amMask = size - 1;
}

/** Add an address (at `a`, the record form) owned by interface `iface`. */
export function addrMapAdd(family: u32, a: usize, iface: u32): void {
  let i = amHash(family, a) & amMask;
  while (true) {
    const s = amSlots + <usize>i * AM_SIZE;
    if (load<u32>(s, AM_TAG) == SLOT_EMPTY) {
      store<u32>(s, iface + 1, AM_TAG);
      store<u32>(s, family, AM_FAMILY);
      addrCopy(s + AM_ADDR, a);
      return;
    }
    i = (i + 1) & amMask;
  }
}

/** The interface owning the address, or -1. */
export function addrOwner(family: u32, a: usize): i32 {
  let i = amHash(family, a) & amMask;
  while (true) {
    const s = amSlots + <usize>i * AM_SIZE;
    const tag = load<u32>(s, AM_TAG);
    if (tag == SLOT_EMPTY) return -1;
    if (load<u32>(s, AM_FAMILY) == family && addrEq(s + AM_ADDR, a)) return <i32>tag - 1;
    i = (i + 1) & amMask;
  }
}

// ---------------------------------------------------------------------------
// Interfaces: per interface, its conntrack timeouts (host-written region).
//
// Interface record: IF_* (timeouts by flow state ST_*, defaults, lists, accepting groups).

let ifaces: usize = 0;
let nIfaces: u32 = 0;
let nShards: u32 = 1;


@inline export function ifaceRecord(i: u32): usize {
  return ifaces + <usize>i * IF_SIZE;
}

@inline function timeoutOf(iface: u32, state: u32): i64 {
  return load<i64>(ifaceRecord(iface) + IF_TIMEOUTS + (<usize>state << 3));
}

// ---------------------------------------------------------------------------
// Per (interface, shard) counters: CNT_* (entries stored, peak, purge-skip bounds).
let counters: usize = 0;

@inline function counter(iface: u32, shard: u32): usize {
  return counters + (<usize>iface * <usize>nShards + <usize>shard) * CNT_SIZE;
}

let ctCapacity: u32 = 0; // per (interface, shard)
let frCapacity: u32 = 0; // per (interface, shard)

/** Statistics since stateInit (STAT_*; the host reads them through statsPtr). */
let stats: usize = 0;

export function statsPtr(): usize {
  return stats;
}

/**
 * Set up the state. `ifacePtr`: nIfaces interface records written by the
 * host. `arenaBase`: the first byte above every host region; the host must
 * not allocate after this call.
 */
export function stateInit(ifacePtr: usize, nIface: u32, shards: u32, ctCapPerShard: u32, frCapPerShard: u32, arenaBase: usize): void {
  arenaTop = arenaBase;
  ifaces = ifacePtr;
  nIfaces = nIface;
  nShards = shards;
  ctCapacity = ctCapPerShard;
  frCapacity = frCapPerShard;
  const nCounters = <usize>max<u32>(nIface, 1) * <usize>shards;
  counters = arenaAlloc(nCounters * CNT_SIZE);
  // Nothing stored, nothing can expire: the purge-skip bounds start at the end
  // of time (0 would skip purges for packets before the epoch).
  for (let i: usize = 0; i < nCounters; i++) {
    store<i64>(counters + i * CNT_SIZE, i64.MAX_VALUE, CNT_CT_NEXT_EXPIRY);
    store<i64>(counters + i * CNT_SIZE, i64.MAX_VALUE, CNT_FR_NEXT_FORGET);
  }
  stats = arenaAlloc(STAT_SIZE);
  ctInit(65536);
  frInit(4096);
}

// ---------------------------------------------------------------------------
// Open addressing, shared by the conntrack and fragment tables: linear probing
// over a power-of-two array of fixed-size entries whose first u32 is the tag
// (CT_TAG, FR_TAG: SLOT_EMPTY, SLOT_TOMB, or live) and which keep their key's
// hash at `hashAt` (CT_HASH, FR_HASH). A table grows by rehashing into a new
// array from the arena (tombstones dropped); the old one is abandoned.

/** How many live entries the table at `slots` (`size` entries of `entry` bytes) holds. */
function oaLive(slots: usize, size: u32, entry: usize): u32 {
  let live: u32 = 0;
  for (let i: u32 = 0; i < size; i++) {
    const t = load<u32>(slots + <usize>i * entry);
    if (t != SLOT_EMPTY && t != SLOT_TOMB) live++;
  }
  return live;
}

/** `size` doubled until live + 1 entries fill at most num/den of it. */
@inline function oaGrownSize(size: u32, live: u32, num: u32, den: u32): u32 {
  while ((live + 1) * den > size * num) size <<= 1;
  return size;
}

/** Copy the live entries of `from` (`size` entries) into the empty table `to` (`mask`); returns how many. */
function oaReinsert(from: usize, size: u32, entry: usize, hashAt: usize, to: usize, mask: u32): u32 {
  let n: u32 = 0;
  for (let i: u32 = 0; i < size; i++) {
    const e = from + <usize>i * entry;
    const t = load<u32>(e);
    if (t == SLOT_EMPTY || t == SLOT_TOMB) continue;
    let j = load<u32>(e + hashAt) & mask;
    while (load<u32>(to + <usize>j * entry) != SLOT_EMPTY) j = (j + 1) & mask;
    memory.copy(to + <usize>j * entry, e, entry);
    n++;
  }
  return n;
}

/** The first free (empty or deleted) slot on the probe path of hash `h`. */
@inline function oaFreeSlot(slots: usize, mask: u32, entry: usize, h: u32): usize {
  let i = h & mask;
  while (true) {
    const t = load<u32>(slots + <usize>i * entry);
    if (t == SLOT_EMPTY || t == SLOT_TOMB) break;
    i = (i + 1) & mask;
  }
  return slots + <usize>i * entry;
}

// ---------------------------------------------------------------------------
// Conntrack: one open-addressed (linear probing) table for every interface and
// shard of this worker; capacity is counted per (interface, shard).
//
// Entry: CT_* (tag = interface index + 1; SLOT_EMPTY, SLOT_TOMB = deleted).
// lo/hi: the endpoints (address, port) in canonical order (smaller first).
// flags: CTF_ORIG_LO (the original source is the lo endpoint), CTF_FIN_ORIG, CTF_FIN_REPLY.

let ctSlots: usize = 0;
let ctMask: u32 = 0;
let ctUsed: u32 = 0; // live slots + tombstones

function ctInit(size: u32): void {
  ctSlots = arenaAlloc(<usize>size * CT_SIZE);
  ctMask = size - 1;
  ctUsed = 0;
}

/** Double the table (rehash, dropping tombstones) when it is 3/4 used. */
function ctMaybeGrow(): void {
  if ((ctUsed + 1) * 4 <= (ctMask + 1) * 3) return;
  const oldSlots = ctSlots;
  const oldSize = ctMask + 1;
  ctInit(oaGrownSize(oldSize, oaLive(oldSlots, oldSize, CT_SIZE), 3, 8)); // at most 3/8 full after
  ctUsed = oaReinsert(oldSlots, oldSize, CT_SIZE, CT_HASH, ctSlots, ctMask);
  store<u64>(stats + STAT_CT_GROWS, load<u64>(stats + STAT_CT_GROWS) + 1);
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
let kFlow: u64 = 0;
let kHash: u32 = 0;
let kLo: usize = 0; // pointers to the packet's addresses
let kHi: usize = 0;

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
  let h: u64 = (<u64>family << 48) | (<u64>proto << 32) | (<u64>kLoPort << 16) | <u64>kHiPort;
  h = addrHash(kLo, h);
  kFlow = addrHash(kHi, h);
}

/** Save the prepared flow (FS_* at `p`): flow hash, lo/hi ports, which side the source is. */
export function ctFlowSave(p: usize): void {
  store<u64>(p, kFlow, FS_HASH);
  store<u16>(p, <u16>kLoPort, FS_LO_PORT);
  store<u16>(p, <u16>kHiPort, FS_HI_PORT);
  store<u8>(p, kSrcIsLo ? 1 : 0, FS_SRC_IS_LO);
}

/** Restore a flow saved by ctFlowSave for the packet with addresses `src`, `dst`. */
export function ctFlowLoad(p: usize, family: u32, proto: u32, src: usize, dst: usize): void {
  kFamily = family;
  kProto = proto;
  kFlow = load<u64>(p, FS_HASH);
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
  kHash = <u32>mix64(kFlow ^ ((<u64>iface + 1) * 0x9e3779b97f4a7c15));
}

/** Prepare the whole key: interface, shard, family, protocol, (src, sport), (dst, dport). */
export function ctKey(iface: u32, shard: u32, family: u32, proto: u32, src: usize, sport: u32, dst: usize, dport: u32): void {
  ctFlow(family, proto, src, sport, dst, dport);
  ctAt(iface, shard);
}

@inline function ctMatches(e: usize): bool {
  return load<u32>(e, CT_TAG) == kIface + 1 && load<u32>(e, CT_SHARD) == kShard && load<u8>(e, CT_FAMILY) == <u8>kFamily && load<u8>(e, CT_PROTO) == <u8>kProto &&
    load<u16>(e, CT_LO_PORT) == <u16>kLoPort && load<u16>(e, CT_HI_PORT) == <u16>kHiPort && addrEq(e + CT_LO, kLo) && addrEq(e + CT_HI, kHi);
}

/**
 * Touch the first slot the prepared key probes, so that its cache line is on
 * its way before the packet is judged (engineRun's pre-pass issues these for a
 * whole batch: independent loads overlap their memory latency).
 */
export function ctTouch(): u32 {
  return load<u32>(ctSlots + <usize>(kHash & ctMask) * CT_SIZE, CT_HASH);
}

/** The slot holding the key (live or expired), or 0. */
function ctFind(): usize {
  let i = kHash & ctMask;
  while (true) {
    const e = ctSlots + <usize>i * CT_SIZE;
    const t = load<u32>(e, CT_TAG);
    if (t == SLOT_EMPTY) return 0;
    if (t != SLOT_TOMB && load<u32>(e, CT_HASH) == kHash && ctMatches(e)) return e;
    i = (i + 1) & ctMask;
  }
}

/**
 * `now - then <= limit` exactly, for any two i64 timestamps (`limit` ≥ 0): an
 * earlier `now` counts as equal (§5); a later one is compared as the exact
 * unsigned difference, which no i64 subtraction overflow can turn negative.
 */
@inline function within(now: i64, then: i64, limit: i64): bool {
  return now <= then || <u64>(now - then) <= <u64>limit;
}

/** `t + d` (d ≥ 0), saturating at i64.MAX_VALUE: an expiry past the end of time never comes. */
@inline function addSat(t: i64, d: i64): i64 {
  const s = t + d;
  return s < t ? i64.MAX_VALUE : s;
}

@inline function ctLive(e: usize, iface: u32, now: i64): bool {
  return within(now, load<i64>(e, CT_LAST_SEEN), timeoutOf(iface, <u32>load<u8>(e, CT_STATE)));
}

/** Lower the purge-skip bound of (iface, shard) to this entry's expiry. */
@inline function ctNoteExpiry(e: usize, iface: u32, shard: u32): void {
  const c = counter(iface, shard);
  const exp = addSat(load<i64>(e, CT_LAST_SEEN), timeoutOf(iface, <u32>load<u8>(e, CT_STATE)));
  if (exp < load<i64>(c, CNT_CT_NEXT_EXPIRY)) store<i64>(c, exp, CNT_CT_NEXT_EXPIRY);
}

/** The live entry of the prepared key at `now`, or 0 (§5: expired = absent). */
export function ctLookup(now: i64): usize {
  const e = ctFind();
  if (e == 0 || !ctLive(e, kIface, now)) return 0;
  return e;
}

/** §5 state changes for a packet hitting `e`; `fromSrc`: the packet's source is the key's src. */
export function ctHit(e: usize, now: i64, tcpFlags: u32, shard: u32): void {
  const flags = load<u8>(e, CT_FLAGS);
  // The packet comes from the lo endpoint iff its source was the lo side.
  const fromLo = kSrcIsLo;
  const isReply = fromLo != ((flags & CTF_ORIG_LO) != 0);
  let state = <u32>load<u8>(e, CT_STATE);
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
  const changed = state != <u32>load<u8>(e, CT_STATE);
  store<u8>(e, <u8>state, CT_STATE);
  store<u8>(e, f, CT_FLAGS);
  if (now > load<i64>(e, CT_LAST_SEEN)) store<i64>(e, now, CT_LAST_SEEN);
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

/** Delete the entry in slot `e` (a tombstone) and count it out. */
@inline function ctDelete(e: usize): void {
  const c = counter(load<u32>(e, CT_TAG) - 1, load<u32>(e, CT_SHARD));
  store<u32>(c, load<u32>(c, CNT_CT_STORED) - 1, CNT_CT_STORED);
  store<u32>(e, SLOT_TOMB, CT_TAG);
}

/** Purge the expired entries of (iface, shard); recompute its purge-skip bound. */
function ctPurge(iface: u32, shard: u32, now: i64): void {
  const c = counter(iface, shard);
  if (now < load<i64>(c, CNT_CT_NEXT_EXPIRY)) return; // nothing can have expired yet
  let next: i64 = i64.MAX_VALUE;
  const size = ctMask + 1;
  for (let i: u32 = 0; i < size; i++) {
    const e = ctSlots + <usize>i * CT_SIZE;
    const t = load<u32>(e, CT_TAG);
    if (t != iface + 1 || load<u32>(e, CT_SHARD) != shard) continue;
    if (!ctLive(e, iface, now)) ctDelete(e);
    else {
      const exp = addSat(load<i64>(e, CT_LAST_SEEN), timeoutOf(iface, <u32>load<u8>(e, CT_STATE)));
      if (exp < next) next = exp;
    }
  }
  store<i64>(c, next, CNT_CT_NEXT_EXPIRY);
}

/**
 * Create the entry of an allowed first packet of the prepared key (the
 * packet's source is the original source). Returns false when the shard is
 * full of live entries (conntrack-full; counted).
 */
export function ctCreate(now: i64, tcpFlags: u32, shard: u32): bool {
  const old = ctFind();
  if (old != 0) ctDelete(old); // expired (a live one would have been hit)
  const c = counter(kIface, shard);
  if (load<u32>(c, CNT_CT_STORED) >= ctCapacity) {
    ctPurge(kIface, shard, now);
    if (load<u32>(c, CNT_CT_STORED) >= ctCapacity) {
      store<u64>(stats + STAT_CT_FULL, load<u64>(stats + STAT_CT_FULL) + 1);
      return false;
    }
  }
  ctMaybeGrow();
  const e = oaFreeSlot(ctSlots, ctMask, CT_SIZE, kHash);
  if (load<u32>(e, CT_TAG) == SLOT_EMPTY) ctUsed++;
  store<u32>(e, kIface + 1, CT_TAG);
  store<u8>(e, <u8>kFamily, CT_FAMILY);
  store<u8>(e, <u8>kProto, CT_PROTO);
  let state = initialState(kFamily, kProto);
  let f: u8 = kSrcIsLo ? CTF_ORIG_LO : 0;
  if (kProto == 6) {
    if (tcpFlags & TCP_RST) state = ST_TCP_CLOSING;
    else if (tcpFlags & TCP_FIN) f |= CTF_FIN_ORIG;
  }
  store<u8>(e, <u8>state, CT_STATE);
  store<u8>(e, f, CT_FLAGS);
  addrCopy(e + CT_LO, kLo);
  addrCopy(e + CT_HI, kHi);
  store<u16>(e, <u16>kLoPort, CT_LO_PORT);
  store<u16>(e, <u16>kHiPort, CT_HI_PORT);
  store<u32>(e, shard, CT_SHARD);
  store<i64>(e, now, CT_LAST_SEEN);
  store<u32>(e, kHash, CT_HASH);
  const n = load<u32>(c, CNT_CT_STORED) + 1;
  store<u32>(c, n, CNT_CT_STORED);
  if (n > load<u32>(c, CNT_CT_PEAK)) store<u32>(c, n, CNT_CT_PEAK);
  ctNoteExpiry(e, kIface, shard);
  return true;
}

/** Peak entries of (iface, shard) (host sums them per interface). */
export function ctPeak(iface: u32, shard: u32): u32 {
  return load<u32>(counter(iface, shard), CNT_CT_PEAK);
}

// ---------------------------------------------------------------------------
// Fragment memory: (interface, family, src, dst, protocol, id) -> the first
// fragment's verdict and time. Same table discipline as conntrack.
//
// Entry: FR_* (tag = interface index + 1; SLOT_EMPTY, SLOT_SLOT_TOMB = deleted).

const FRAGMENT_MEMORY_NS: i64 = 30_000_000_000;

let frSlots: usize = 0;
let frMask: u32 = 0;
let frUsed: u32 = 0;

function frInit(size: u32): void {
  frSlots = arenaAlloc(<usize>size * FR_SIZE);
  frMask = size - 1;
  frUsed = 0;
}

/** Double the table (rehash, dropping tombstones) when it is half used. */
function frMaybeGrow(): void {
  if ((frUsed + 1) * 2 <= frMask + 1) return;
  const oldSlots = frSlots;
  const oldSize = frMask + 1;
  frInit(oaGrownSize(oldSize, oaLive(oldSlots, oldSize, FR_SIZE), 1, 4)); // at most 1/4 full after
  frUsed = oaReinsert(oldSlots, oldSize, FR_SIZE, FR_HASH, frSlots, frMask);
}

function frHash(iface: u32, family: u32, proto: u32, src: usize, dst: usize, id: u32): u32 {
  let h: u64 = (<u64>iface << 40) | (<u64>family << 32) | (<u64>proto << 24) ^ <u64>id;
  h = addrHash(src, h);
  h = addrHash(dst, h);
  return <u32>mix64(h);
}

function frFind(iface: u32, shard: u32, family: u32, proto: u32, src: usize, dst: usize, id: u32, h: u32): usize {
  let i = h & frMask;
  while (true) {
    const e = frSlots + <usize>i * FR_SIZE;
    const t = load<u32>(e, FR_TAG);
    if (t == SLOT_EMPTY) return 0;
    if (t == iface + 1 && load<u32>(e, FR_SHARD) == shard && load<u32>(e, FR_HASH) == h && load<u8>(e, FR_FAMILY) == <u8>family && load<u8>(e, FR_PROTO) == <u8>proto &&
      load<u32>(e, FR_ID) == id && addrEq(e + FR_SRC, src) && addrEq(e + FR_DST, dst)) return e;
    i = (i + 1) & frMask;
  }
}

/** The remembered verdict (1 allow, 0 deny) of a non-first fragment in `shard`, or -1. */
export function frRecall(iface: u32, shard: u32, family: u32, proto: u32, src: usize, dst: usize, id: u32, now: i64): i32 {
  const e = frFind(iface, shard, family, proto, src, dst, id, frHash(iface, family, proto, src, dst, id));
  if (e == 0 || !within(now, load<i64>(e, FR_FIRST_SEEN), FRAGMENT_MEMORY_NS)) return -1;
  return <i32>load<u8>(e, FR_VERDICT);
}

function frPurge(iface: u32, shard: u32, now: i64): void {
  const c = counter(iface, shard);
  if (now <= load<i64>(c, CNT_FR_NEXT_FORGET)) return; // nothing forgotten yet
  let next: i64 = i64.MAX_VALUE;
  const size = frMask + 1;
  for (let i: u32 = 0; i < size; i++) {
    const e = frSlots + <usize>i * FR_SIZE;
    if (load<u32>(e, FR_TAG) != iface + 1 || load<u32>(e, FR_SHARD) != shard) continue;
    const first = load<i64>(e, FR_FIRST_SEEN);
    if (!within(now, first, FRAGMENT_MEMORY_NS)) {
      store<u32>(e, SLOT_TOMB, FR_TAG);
      store<u32>(c, load<u32>(c, CNT_FR_STORED) - 1, CNT_FR_STORED);
    } else if (addSat(first, FRAGMENT_MEMORY_NS) < next) next = addSat(first, FRAGMENT_MEMORY_NS);
  }
  store<i64>(c, next, CNT_FR_NEXT_FORGET);
}

/** Remember a first fragment's verdict (docs/SEMANTICS.md: bounded per interface shard). */
export function frRemember(iface: u32, family: u32, proto: u32, src: usize, dst: usize, id: u32, verdict: u32, now: i64, shard: u32): void {
  const h = frHash(iface, family, proto, src, dst, id);
  let e = frFind(iface, shard, family, proto, src, dst, id, h);
  if (e == 0) {
    const c = counter(iface, shard);
    if (load<u32>(c, CNT_FR_STORED) >= frCapacity) {
      frPurge(iface, shard, now);
      if (load<u32>(c, CNT_FR_STORED) >= frCapacity) {
        store<u64>(stats + STAT_FRAG_NOT_REMEMBERED, load<u64>(stats + STAT_FRAG_NOT_REMEMBERED) + 1);
        return;
      }
    }
    frMaybeGrow();
    e = oaFreeSlot(frSlots, frMask, FR_SIZE, h);
    if (load<u32>(e, FR_TAG) == SLOT_EMPTY) frUsed++;
    store<u32>(e, iface + 1, FR_TAG);
    store<u8>(e, <u8>family, FR_FAMILY);
    store<u8>(e, <u8>proto, FR_PROTO);
    addrCopy(e + FR_SRC, src);
    addrCopy(e + FR_DST, dst);
    store<u32>(e, id, FR_ID);
    store<u32>(e, shard, FR_SHARD);
    store<u32>(e, h, FR_HASH);
    store<u32>(c, load<u32>(c, CNT_FR_STORED) + 1, CNT_FR_STORED);
  }
  store<u8>(e, <u8>verdict, FR_VERDICT);
  store<i64>(e, now, FR_FIRST_SEEN);
  const c2 = counter(iface, shard);
  if (addSat(now, FRAGMENT_MEMORY_NS) < load<i64>(c2, CNT_FR_NEXT_FORGET)) store<i64>(c2, addSat(now, FRAGMENT_MEMORY_NS), CNT_FR_NEXT_FORGET);
}
