// Conntrack (SEMANTICS §5): one open-addressed table (oa.ts) for every
// interface and shard of this worker; capacity is counted per (interface,
// shard) in state.ts's counters.
//
// Entry: CT_* (layout: conntrack entry, 32 bytes; tag = interface index + 1,
// SLOT_EMPTY, SLOT_TOMB = deleted). lo/hi: the endpoints (address, port) in
// canonical order (smaller first); IPv4 addresses inline, IPv6 addresses in
// a pool of out-of-line keys (CTK_*). The hash leaves the interface out and
// is even: a flow's entries at its two interfaces (a packet's egress hop at
// the source's, its ingress hop at the destination's) probe from the same
// even slot, so both usually sit in one cache line. flags: CTF_ORIG_LO (the
// original source is the lo endpoint), CTF_FIN_ORIG, CTF_FIN_REPLY, CTF_V6.

import { arenaAlloc, arenaFree } from './arena';
import { addrCmp, addrCopy, addrEq, flowHash4, flowHashOf, flowSlotHash } from './hash';
import {
  ADDR_W0,
  ADDR_W2,
  CNT_CT_NEXT_EXPIRY,
  CNT_CT_PEAK,
  CNT_CT_STORED,
  CTF_FIN_ORIG,
  CTF_FIN_REPLY,
  CTF_ORIG_LO,
  CTF_V6,
  CTK_HI,
  CTK_LO,
  CTK_SIZE,
  CT_FLAGS,
  CT_HASH,
  CT_HI4,
  CT_HI_PORT,
  CT_LAST_SEEN,
  CT_LO4,
  CT_LO_PORT,
  CT_PROTO,
  CT_SHARD,
  CT_SIZE,
  CT_STATE,
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
  REC_DST,
  REC_FAMILY,
  REC_PROTO,
  REC_SRC,
  REC_X_SHARD,
} from './layout';
import { oaDelete, oaFreeSlot, oaMask, oaMaybeGrow, oaNew, oaSize, oaSlots, oaTake } from './oa';
import { addSat, counter, ctCapacity, statBump, timeoutOf, within } from './state';

/** Slots of a new table (it grows from there). */
const CT_INITIAL_SLOTS: u32 = 16384;

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
// What the last ctLookup of the key found (ctAt forgets it): the key's slot
// (live or expired; 0 none) and the first free slot on its probe path, where
// ctCreate puts the entry without probing again.
let kProbed: bool = false;
let kSlot: usize = 0;
let kFree: usize = 0;
// A packet with two hops (egress at the source's interface, ingress at the
// destination's) looks its flow up at both interfaces, along one probe path
// (the hash leaves the interface out). ctPair asks the next lookup to walk
// that path once for both: it also keeps what a lookup at interface pTag - 1
// would find (pSlot, and pFree, the first free slot on the path), which the
// lookup at that interface then takes instead of walking again (pValid).
// Anything that may move slots or change the key in between (ctCreate, which
// may also purge and grow; a new flow: ctFlow, ctFlowLoad) drops it.
let pTag: u32 = 0; // the other interface + 1 (0: none asked)
let pValid: bool = false;
let pHave: u32 = 0; // the interface + 1 pSlot and pFree are for
let pSlot: usize = 0;
let pFree: usize = 0;

/**
 * The conntrack hash of a flow: the same at every interface, and even (a
 * packet's two hops probe from one even slot: one line): flowSlotHash of its
 * shard hash and its canonical ports word.
 */
@inline function flowKeyHash(family: u32, proto: u32, lo: usize, loPort: u32, hi: usize, hiPort: u32): u32 {
  return flowSlotHash(flowHashOf(family, proto, lo, hi), loPort | (hiPort << 16));
}

// The saved flow's ports and side in one u64 store (ctFlow4Save, ctFlowSaveOf).
assert(FS_HI_PORT == FS_LO_PORT + 2 && FS_SRC_IS_LO == FS_LO_PORT + 4);

/**
 * Is the source the lo endpoint of an IPv4 flow (addresses `s`, `d` as u32
 * words, ports word `pw` = source port | destination port << 16)? (s, sport)
 * <= (d, dport), as one u64 compare each side.
 */
@inline function srcIsLo4(s: u32, d: u32, pw: u32): bool {
  return ((<u64>s << 16) | <u64>(pw & 0xffff)) <= ((<u64>d << 16) | <u64>(pw >> 16));
}

/**
 * ctFlow of an IPv4 packet whose addresses (at `src`, `dst`, the record
 * form) have the words `s`, `d`: the same key, the addresses ordered by
 * their words (the record form's other words are zero).
 */
@inline export function ctFlow4(proto: u32, src: usize, s: u32, sport: u32, dst: usize, d: u32, dport: u32): void {
  pValid = false;
  pTag = 0;
  kFamily = 4;
  kProto = proto;
  const srcIsLo = s < d || (s == d && sport <= dport);
  kSrcIsLo = srcIsLo;
  if (srcIsLo) {
    kLo = src; kHi = dst; kLoPort = sport; kHiPort = dport;
  } else {
    kLo = dst; kHi = src; kLoPort = dport; kHiPort = sport;
  }
  kHash = flowSlotHash(flowHash4(proto, s, d), kLoPort | (kHiPort << 16));
}

/**
 * ctFlow4 and ctFlowSave in one, without the prepared key (the batch
 * pre-pass: the judging loop restores the flow with ctFlowLoad): the saved
 * flow (FS_* at `p`) of the IPv4 flow whose addresses have the words `s`,
 * `d`, its shard hash `h` (flowHash4) and its ports word `pw` (source port |
 * destination port << 16, the record's REC_SPORT u32); returns its first
 * slot (the one both hops probe first). FS_LO_PORT, FS_HI_PORT, FS_SRC_IS_LO and the pad after
 * it in one u64 store.
 */
@inline export function ctFlow4Save(p: usize, h: u32, s: u32, d: u32, pw: u32): usize {
  const srcIsLo = srcIsLo4(s, d, pw);
  const ports = srcIsLo ? pw : rotl<u32>(pw, 16);
  const hash = flowSlotHash(h, ports);
  store<u32>(p, hash, FS_HASH);
  store<u64>(p, <u64>ports | (<u64>srcIsLo << ((FS_SRC_IS_LO - FS_LO_PORT) << 3)), FS_LO_PORT);
  return oaSlots(ct) + <usize>(hash & oaMask(ct)) * CT_SIZE;
}

/**
 * ctFlow and ctFlowSave in one for any IP packet (the batch pre-pass's
 * general case, addresses at `src`, `dst`, the record form): the saved flow
 * of the flow whose shard hash is `h` (flowHashOf of its family, protocol and
 * addresses) and ports word `pw` (as ctFlow4Save); returns its first slot.
 */
@inline export function ctFlowSaveOf(p: usize, h: u32, src: usize, dst: usize, pw: u32): usize {
  const c = addrCmp(src, dst);
  const srcIsLo = c < 0 || (c == 0 && (pw & 0xffff) <= (pw >> 16));
  const ports = srcIsLo ? pw : rotl<u32>(pw, 16);
  const hash = flowSlotHash(h, ports);
  store<u32>(p, hash, FS_HASH);
  store<u64>(p, <u64>ports | (<u64>srcIsLo << ((FS_SRC_IS_LO - FS_LO_PORT) << 3)), FS_LO_PORT);
  return oaSlots(ct) + <usize>(hash & oaMask(ct)) * CT_SIZE;
}

/** The flow part of the key: family, protocol, (src, sport), (dst, dport) in canonical order. */
@inline export function ctFlow(family: u32, proto: u32, src: usize, sport: u32, dst: usize, dport: u32): void {
  pValid = false;
  pTag = 0;
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
  pValid = false;
  pTag = 0;
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

/**
 * The next lookup (of the prepared flow, at another interface) also finds
 * the flow's slot at interface `other` for the lookup there (see pTag).
 */
@inline export function ctPair(other: u32): void {
  pTag = other + 1;
}

/** Prepare the whole key: interface, shard, family, protocol, (src, sport), (dst, dport). */
export function ctKey(iface: u32, shard: u32, family: u32, proto: u32, src: usize, sport: u32, dst: usize, dport: u32): void {
  ctFlow(family, proto, src, sport, dst, dport);
  ctAt(iface, shard);
}

/** Does entry `e` (its hash equal to the key's) hold the prepared key? */
@inline function ctMatches(e: usize): bool {
  return load<u32>(e, CT_TAG) == kIface + 1 && ctMatchesFlow(e);
}

/** Does entry `e` (its hash equal to the key's) hold the prepared key's shard and flow (its interface aside)? */
@inline function ctMatchesFlow(e: usize): bool {
  // The globals read only as far as the compare gets (as arguments they
  // would all be loaded first, on every probed slot).
  if (load<u8>(e, CT_SHARD) != <u8>kShard || load<u8>(e, CT_PROTO) != <u8>kProto) return false;
  if (load<u16>(e, CT_LO_PORT) != <u16>kLoPort || load<u16>(e, CT_HI_PORT) != <u16>kHiPort) return false;
  const v6 = (load<u8>(e, CT_FLAGS) & CTF_V6) != 0;
  if (kFamily == 4) return !v6 && load<u32>(e, CT_LO4) == load<u32>(kLo, ADDR_W0) && load<u32>(e, CT_HI4) == load<u32>(kHi, ADDR_W0);
  if (!v6) return false;
  const k = keyAt(load<u32>(e, CT_LO4));
  return addrEq(k + CTK_LO, kLo) && addrEq(k + CTK_HI, kHi);
}

// The entry's first word (bytes 0-7: the tag and the hash), compared as one
// u64 by the judging loop's walks: "this interface's entry of this hash".

/** The u64 at bytes 0-7 of the entry of interface tag `tag` (interface + 1) with hash `h`. */
@inline export function ctTagHashWord(tag: u32, h: u32): u64 {
  return (<u64>tag << (CT_TAG << 3)) | (<u64>h << (CT_HASH << 3));
}

/**
 * Does entry `e` (its tag and hash already compared) hold the flow of the
 * packet whose saved flow is `p`
 * (ctFlowSave: ports, side) and its decoded record `r` (REC_*: its state
 * shard, family, protocol and addresses, read at their offsets): the judging
 * loop's walk calls it only where an entry's tag and hash match, so that the
 * walk keeps none of these live.
 */
@inline export function ctMatchesSaved(e: usize, p: usize, r: usize): bool {
  // Field by field, the cheapest first: the ports as one u32 (FS_HI_PORT
  // follows FS_LO_PORT as CT_HI_PORT follows CT_LO_PORT); the protocol and
  // the shard in the u32 at CT_PROTO (CT_SHARD its last byte, the state and
  // flags between masked out); the CTF_V6 flag against the family; the IPv4
  // pair as one u64 (CT_HI4 follows CT_LO4). A layout that breaks these fails to compile.
  if (FS_HI_PORT != FS_LO_PORT + 2 || CT_HI_PORT != CT_LO_PORT + 2 || CT_SHARD != CT_PROTO + 3 || CT_HI4 != CT_LO4 + 4) ERROR('ctMatchesSaved: the layout is not the one it reads as words');
  if (load<u32>(e, CT_LO_PORT) != load<u32>(p, FS_LO_PORT)) return false;
  if (((load<u32>(e, CT_PROTO) ^ (<u32>load<u8>(r, REC_PROTO) | (load<u32>(r, REC_X_SHARD) << 24))) & 0xff0000ff) != 0) return false;
  const v6 = (load<u8>(e, CT_FLAGS) & CTF_V6) != 0;
  const srcIsLo = load<u8>(p, FS_SRC_IS_LO) != 0;
  if (load<u8>(r, REC_FAMILY) == 4) {
    if (v6) return false;
    const sd = <u64>load<u32>(r, REC_SRC + ADDR_W0) | (<u64>load<u32>(r, REC_DST + ADDR_W0) << 32);
    return load<u64>(e, CT_LO4) == (srcIsLo ? sd : rotr<u64>(sd, 32));
  }
  if (!v6) return false;
  // IPv6: the key pool's addresses against the record's, by their offsets (no pointer into the record kept).
  const k = keyAt(load<u32>(e, CT_LO4));
  if (srcIsLo) {
    return load<u64>(k, CTK_LO + ADDR_W0) == load<u64>(r, REC_SRC + ADDR_W0) && load<u64>(k, CTK_LO + ADDR_W2) == load<u64>(r, REC_SRC + ADDR_W2) &&
      load<u64>(k, CTK_HI + ADDR_W0) == load<u64>(r, REC_DST + ADDR_W0) && load<u64>(k, CTK_HI + ADDR_W2) == load<u64>(r, REC_DST + ADDR_W2);
  }
  return load<u64>(k, CTK_LO + ADDR_W0) == load<u64>(r, REC_DST + ADDR_W0) && load<u64>(k, CTK_LO + ADDR_W2) == load<u64>(r, REC_DST + ADDR_W2) &&
    load<u64>(k, CTK_HI + ADDR_W0) == load<u64>(r, REC_SRC + ADDR_W0) && load<u64>(k, CTK_HI + ADDR_W2) == load<u64>(r, REC_SRC + ADDR_W2);
}

/** The table's slot array and mask (the judging loop's own walks). */
@inline export function ctSlots(): usize {
  return oaSlots(ct);
}

@inline export function ctMask(): u32 {
  return oaMask(ct);
}

/**
 * Hand the key and a walk's results to the stateful path, as if ctFlowLoad,
 * ctAt and then ctLookup had run (the judging loop walked the probe path
 * itself, in locals, and found no live entry where it needed one): the saved
 * flow `p` of the packet (`src`, `dst`) keyed at (`iface`, `shard`); the
 * lookup's slot `slot` (0: none) and free slot `free`; when `pairTag` is not
 * 0, the walk also stood for the lookup at interface pairTag - 1 (its slot
 * `other`, the same free slot), as ctFindPair leaves it.
 */
export function ctResume(p: usize, family: u32, proto: u32, src: usize, dst: usize, iface: u32, shard: u32, slot: usize, free: usize, pairTag: u32, other: usize): void {
  kFamily = family;
  kProto = proto;
  kHash = load<u32>(p, FS_HASH);
  kLoPort = <u32>load<u16>(p, FS_LO_PORT);
  kHiPort = <u32>load<u16>(p, FS_HI_PORT);
  const srcIsLo = load<u8>(p, FS_SRC_IS_LO) != 0;
  kSrcIsLo = srcIsLo;
  kLo = srcIsLo ? src : dst;
  kHi = srcIsLo ? dst : src;
  kIface = iface;
  kShard = shard;
  kSlot = slot;
  kFree = free;
  kProbed = true;
  pTag = 0;
  pValid = pairTag != 0;
  pHave = pairTag;
  pSlot = other;
  pFree = free;
}

/** ctResume for the lookup at interface `iface` of the pair walk (ctResume(..., pairTag = iface + 1)), before its ctAt and ctLookup: they take the walk's slot. */
export function ctResumePaired(p: usize, family: u32, proto: u32, src: usize, dst: usize, iface: u32, other: usize, free: usize): void {
  ctResume(p, family, proto, src, dst, iface, 0, 0, free, iface + 1, other);
  kProbed = false; // ctAt follows
}

/**
 * The table's probe lengths (a measure of the slot hash's spread, for
 * bench/replay/probes.ts; not on any packet's path): `miss` false, the mean
 * over its entries (live or expired) of the slots from the entry's first slot
 * (its hash's) to its own, both counted (a lookup that finds it); true, the
 * mean over all slots of the slots from there to the first empty one, both
 * counted (a lookup that misses, its hash's slot taken as uniform). 0 for an
 * empty table.
 */
export function ctProbeMean(miss: bool): f64 {
  const slots = oaSlots(ct);
  const mask = oaMask(ct);
  let n: u64 = 0;
  let sum: u64 = 0;
  if (!miss) {
    for (let i: u32 = 0; i <= mask; i++) {
      const e = slots + <usize>i * CT_SIZE;
      const t = load<u32>(e, CT_TAG);
      if (t == SLOT_EMPTY || t == SLOT_TOMB) continue;
      sum += <u64>(((i - load<u32>(e, CT_HASH)) & mask) + 1);
      n++;
    }
    return n == 0 ? 0 : <f64>sum / <f64>n;
  }
  // Walk backwards from an empty slot: each slot's run to the next empty one is one more than its successor's.
  let start: u32 = 0;
  while (start <= mask && load<u32>(slots + <usize>start * CT_SIZE, CT_TAG) != SLOT_EMPTY) start++;
  if (start > mask) return 0;
  let run: u64 = 1;
  for (let k: u32 = 1; k <= mask + 1; k++) {
    const i = (start - k) & mask;
    run = load<u32>(slots + <usize>i * CT_SIZE, CT_TAG) == SLOT_EMPTY ? 1 : run + 1;
    sum += run;
  }
  return <f64>sum / (<f64>mask + 1);
}

/** The slot holding the key (live or expired), or 0; kFree: the first free slot on its probe path. */
@inline function ctFind(): usize {
  const slots = oaSlots(ct);
  const mask = oaMask(ct);
  let free: usize = 0;
  let i = kHash & mask;
  while (true) {
    const e = slots + <usize>i * CT_SIZE;
    const t = load<u32>(e, CT_TAG);
    if (t == SLOT_EMPTY) {
      kFree = free != 0 ? free : e;
      return 0;
    }
    if (t == SLOT_TOMB) {
      if (free == 0) free = e;
    } else if (load<u32>(e, CT_HASH) == kHash && ctMatches(e)) return e;
    i = (i + 1) & mask;
  }
}

/**
 * ctFind at the key's interface and at interface pTag - 1 in one walk of
 * their common probe path: returns the key's slot (or 0) and sets kFree as
 * ctFind does; keeps the other interface's slot (or 0) and the path's first
 * free slot in pSlot, pFree. When both are found before the path's end, the
 * walk stops there, and neither free slot is needed (a found slot is reused).
 */
function ctFindPair(): usize {
  const slots = oaSlots(ct);
  const mask = oaMask(ct);
  const tagA = kIface + 1;
  const tagB = pTag;
  let free: usize = 0;
  let found: usize = 0;
  let other: usize = 0;
  let i = kHash & mask;
  while (true) {
    const e = slots + <usize>i * CT_SIZE;
    const t = load<u32>(e, CT_TAG);
    if (t == SLOT_EMPTY) {
      if (free == 0) free = e;
      break;
    }
    if (t == SLOT_TOMB) {
      if (free == 0) free = e;
    } else if (load<u32>(e, CT_HASH) == kHash) {
      if (t == tagA && found == 0 && ctMatchesFlow(e)) {
        found = e;
        if (other != 0) break;
      } else if (t == tagB && other == 0 && ctMatchesFlow(e)) {
        other = e;
        if (found != 0) break;
      }
    }
    i = (i + 1) & mask;
  }
  kFree = free;
  pSlot = other;
  pFree = free;
  pHave = tagB;
  pValid = true;
  return found;
}

/** The expiry of entry `e` at interface `iface`: last seen + the timeout of its state (saturating). */
@inline function ctExpiry(e: usize, iface: u32): i64 {
  return addSat(load<i64>(e, CT_LAST_SEEN), timeoutOf(iface, <u32>load<u8>(e, CT_STATE)));
}

@inline export function ctLive(e: usize, iface: u32, now: i64): bool {
  return within(now, load<i64>(e, CT_LAST_SEEN), timeoutOf(iface, <u32>load<u8>(e, CT_STATE)));
}

/** Lower the purge-skip bound of (iface, shard) to this entry's expiry. */
@inline function ctNoteExpiry(e: usize, iface: u32, shard: u32): void {
  const c = counter(iface, shard);
  const exp = ctExpiry(e, iface);
  if (exp < load<i64>(c, CNT_CT_NEXT_EXPIRY)) store<i64>(c, exp, CNT_CT_NEXT_EXPIRY);
}

/** The live entry of the prepared key at `now`, or 0 (§5: expired = absent). */
@inline export function ctLookup(now: i64): usize {
  let e: usize;
  if (pTag != 0) {
    e = ctFindPair();
    pTag = 0;
  } else if (pValid && pHave == kIface + 1) {
    // the walk for the other hop found it (nothing moved since)
    e = pSlot;
    kFree = pFree;
    pValid = false;
  } else e = ctFind();
  kSlot = e;
  kProbed = true;
  if (e == 0 || !ctLive(e, kIface, now)) return 0;
  return e;
}

/** §5 state changes for a packet of the prepared key hitting `e`. */
@inline export function ctHit(e: usize, now: i64, tcpFlags: u32, shard: u32): void {
  ctHitOf(e, now, tcpFlags, shard, kSrcIsLo, kProto, kIface);
}

/**
 * ctLive and, when live, ctHitOf of entry `e` (the judging loop's hits): the
 * state and the last-seen time loaded once; a packet that changes nothing but
 * the last-seen time (§5: an entry in a state no packet of this kind moves —
 * TCP established or closing, UDP replied, ICMP, other — hit by a packet with
 * neither FIN nor RST) stores only that; any other goes through ctHitOf out
 * of line (ctHitStep). `tcpFlags` 0 for a packet that is no TCP segment;
 * `p`: the packet's saved flow (ctFlowSave), `e` an entry of it.
 * Returns false (nothing changed) when the entry has expired.
 */
@inline export function ctLiveHit(e: usize, iface: u32, now: i64, tcpFlags: u32, shard: u32, p: usize): bool {
  const last = load<i64>(e, CT_LAST_SEEN);
  const state = <u32>load<u8>(e, CT_STATE);
  // within(now, last, timeout) as one test that is rarely true.
  if (now > last && <u64>(now - last) > <u64>timeoutOf(iface, state)) return false;
  if ((tcpFlags & (TCP_RST | TCP_FIN)) == 0 && ((CT_STEADY >> state) & 1) != 0) {
    if (now > last) store<i64>(e, now, CT_LAST_SEEN);
  } else ctHitStep(e, now, tcpFlags, shard, p, iface);
  return true;
}

/** The states a packet with neither FIN nor RST leaves as they are (ctHitOf: only opening and unreplied move, on a reply). */
const CT_STEADY: u32 = (1 << ST_TCP_ESTABLISHED) | (1 << ST_TCP_CLOSING) | (1 << ST_UDP_REPLIED) | (1 << ST_ICMP) | (1 << ST_OTHER);

/** ctHitOf out of line (ctLiveHit's state changes; the protocol is the entry's, the side the saved flow's). */
function ctHitStep(e: usize, now: i64, tcpFlags: u32, shard: u32, p: usize, iface: u32): void {
  ctHitOf(e, now, tcpFlags, shard, load<u8>(p, FS_SRC_IS_LO) != 0, <u32>load<u8>(e, CT_PROTO), iface);
}

/** ctHit for the flow given by its parts (`fromLo`: the packet's source is the lo side; at interface `iface`). */
@inline export function ctHitOf(e: usize, now: i64, tcpFlags: u32, shard: u32, fromLo: bool, proto: u32, iface: u32): void {
  const flags = load<u8>(e, CT_FLAGS);
  // The packet comes from the lo endpoint iff its source was the lo side.
  const isReply = fromLo != ((flags & CTF_ORIG_LO) != 0);
  let state = <u32>load<u8>(e, CT_STATE);
  let f = flags;
  if (state == ST_TCP_OPENING && isReply) state = ST_TCP_ESTABLISHED;
  if (state == ST_UDP_UNREPLIED && isReply) state = ST_UDP_REPLIED;
  if (proto == 6 && state != ST_TCP_CLOSING) {
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
  if (changed) ctNoteExpiry(e, iface, shard);
}

function initialState(family: u32, proto: u32): u32 {
  if (proto == 6) return ST_TCP_OPENING;
  if (proto == 17) return ST_UDP_UNREPLIED;
  if ((family == 4 && proto == 1) || (family == 6 && proto == 58)) return ST_ICMP;
  return ST_OTHER;
}

/** Delete the entry in slot `e` (a tombstone; its IPv6 key back to the pool) and count it out. */
@inline function ctDelete(e: usize): void {
  const c = counter(load<u32>(e, CT_TAG) - 1, <u32>load<u8>(e, CT_SHARD));
  store<u32>(c, load<u32>(c, CNT_CT_STORED) - 1, CNT_CT_STORED);
  if ((load<u8>(e, CT_FLAGS) & CTF_V6) != 0) keyFree(load<u32>(e, CT_LO4));
  oaDelete(e);
}

/** Purge the expired entries of (iface, shard); recompute its purge-skip bound. */
function ctPurge(iface: u32, shard: u32, now: i64): void {
  const c = counter(iface, shard);
  if (now < load<i64>(c, CNT_CT_NEXT_EXPIRY)) return; // nothing can have expired yet
  let next: i64 = i64.MAX_VALUE;
  const slots = oaSlots(ct);
  const size = oaSize(ct);
  for (let i: u32 = 0; i < size; i++) {
    const e = slots + <usize>i * CT_SIZE;
    if (load<u32>(e, CT_TAG) != iface + 1 || <u32>load<u8>(e, CT_SHARD) != shard) continue;
    if (!ctLive(e, iface, now)) ctDelete(e);
    else {
      const exp = ctExpiry(e, iface);
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
  pValid = false; // slots may be taken, freed (purge) or moved (growth)
  // The key's lookup found no live entry: its expired one (reused in place) or its free slot.
  const old = kProbed ? kSlot : ctFind();
  let e = kFree;
  if (old != 0) {
    ctDelete(old); // expired (a live one would have been hit)
    e = old;
  }
  const c = counter(kIface, shard);
  if (load<u32>(c, CNT_CT_STORED) >= ctCapacity) {
    ctPurge(kIface, shard, now);
    if (load<u32>(c, CNT_CT_STORED) >= ctCapacity) {
      statBump(STAT_CT_FULL);
      return false;
    }
  }
  if (oaMaybeGrow(ct)) {
    statBump(STAT_CT_GROWS);
    e = oaFreeSlot(ct, kHash); // a new slot array: probe it
  }
  kProbed = false;
  oaTake(ct, e, kIface + 1);
  store<u32>(e, kHash, CT_HASH);
  let f: u8 = kSrcIsLo ? CTF_ORIG_LO : 0;
  if (kFamily == 4) {
    store<u32>(e, load<u32>(kLo, ADDR_W0), CT_LO4);
    store<u32>(e, load<u32>(kHi, ADDR_W0), CT_HI4);
  } else {
    const k = keyAlloc();
    addrCopy(keyAt(k) + CTK_LO, kLo);
    addrCopy(keyAt(k) + CTK_HI, kHi);
    store<u32>(e, k, CT_LO4);
    store<u32>(e, 0, CT_HI4);
    f |= CTF_V6;
  }
  store<u16>(e, <u16>kLoPort, CT_LO_PORT);
  store<u16>(e, <u16>kHiPort, CT_HI_PORT);
  store<u8>(e, <u8>kProto, CT_PROTO);
  store<u8>(e, <u8>shard, CT_SHARD);
  let state = initialState(kFamily, kProto);
  if (kProto == 6) {
    if (tcpFlags & TCP_RST) state = ST_TCP_CLOSING;
    else if (tcpFlags & TCP_FIN) f |= CTF_FIN_ORIG;
  }
  store<u8>(e, <u8>state, CT_STATE);
  store<u8>(e, f, CT_FLAGS);
  store<i64>(e, now, CT_LAST_SEEN);
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
