// Hashing and the address helpers shared by the address map, the conntrack
// table, the fragment memory and the engine's shard function.
//
// Addresses are the decoded record's form (layout: address, ADDR_*): a
// 128-bit little-endian integer, low u64 half at ADDR_W0, high half at
// ADDR_W2 (IPv4: the address as a u32 at ADDR_W0, the rest zero).

import { ADDR_W0, ADDR_W1, ADDR_W2, ADDR_W3, F_ICMP, F_ICMP_ID, F_PORTS, REC_ICMP_ID, REC_ICMP_TYPE, REC_SPORT } from './layout';

/** A 64-bit mix (splitmix64 finalizer). */
@inline export function mix64(x: u64): u64 {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9;
  x ^= x >> 27;
  x *= 0x94d049bb133111eb;
  x ^= x >> 31;
  return x;
}

/** The address's low u64 half (bits 0-63). */
@inline export function addrLo(a: usize): u64 {
  return load<u64>(a, ADDR_W0);
}

/** The address's high u64 half (bits 64-127). */
@inline export function addrHi(a: usize): u64 {
  return load<u64>(a, ADDR_W2);
}

/** Fold an address into a running 64-bit hash (one multiply; finish with mix64). */
@inline export function addrHash(a: usize, h: u64): u64 {
  return (h ^ addrLo(a) ^ (addrHi(a) * 0x9e3779b97f4a7c15)) * 0xff51afd7ed558ccd;
}

@inline export function addrEq(a: usize, b: usize): bool {
  return addrLo(a) == addrLo(b) && addrHi(a) == addrHi(b);
}

/** Unsigned 128-bit compare of two addresses: -1, 0, 1. */
@inline export function addrCmp(a: usize, b: usize): i32 {
  const ah = addrHi(a);
  const bh = addrHi(b);
  if (ah != bh) return ah < bh ? -1 : 1;
  const al = addrLo(a);
  const bl = addrLo(b);
  if (al != bl) return al < bl ? -1 : 1;
  return 0;
}

@inline export function addrCopy(dst: usize, src: usize): void {
  store<u64>(dst, addrLo(src), ADDR_W0);
  store<u64>(dst, addrHi(src), ADDR_W2);
}

const FNV_OFFSET: u32 = 0x811c9dc5;
const FNV_PRIME: u32 = 0x01000193;

@inline function fnvWord(h: u32, w: u32): u32 {
  return (h ^ w) * FNV_PRIME;
}

/** Fold an address into an FNV hash: IPv4 one word, IPv6 four, most significant first. */
@inline function fnvAddr(h: u32, family: u32, a: usize): u32 {
  if (family == 4) return fnvWord(h, load<u32>(a, ADDR_W0));
  h = fnvWord(h, load<u32>(a, ADDR_W3));
  h = fnvWord(h, load<u32>(a, ADDR_W2));
  h = fnvWord(h, load<u32>(a, ADDR_W1));
  return fnvWord(h, load<u32>(a, ADDR_W0));
}

/**
 * The symmetric flow hash of src/model/shard.ts: FNV-1a over 32-bit words
 * (family, protocol, the smaller then the larger address, most significant
 * word first; IPv4 one word, IPv6 four), then the murmur3 finalizer.
 */
export function flowHash(family: u32, proto: u32, a: usize, b: usize): u32 {
  return flowHashOf(family, proto, a, b);
}

/** FNV-1a of the family word 4 and of 6 (the first step of every flow hash). */
const FNV_FAMILY4: u32 = (FNV_OFFSET ^ 4) * FNV_PRIME;
const FNV_FAMILY6: u32 = (FNV_OFFSET ^ 6) * FNV_PRIME;

/**
 * flowHash inlined (the engine's pre-pass): the same words. An IPv4 address
 * is its word ADDR_W0 (the rest of the record form is zero), so two IPv4
 * addresses are ordered by that word alone.
 */
@inline export function flowHashOf(family: u32, proto: u32, a: usize, b: usize): u32 {
  if (family == 4) return flowHash4(proto, load<u32>(a, ADDR_W0), load<u32>(b, ADDR_W0));
  let lo = a;
  let hi = b;
  if (addrCmp(a, b) > 0) {
    lo = b;
    hi = a;
  }
  let h = fnvWord(family == 6 ? FNV_FAMILY6 : fnvWord(FNV_OFFSET, family), proto);
  h = fnvAddr(h, family, lo);
  h = fnvAddr(h, family, hi);
  return fmix32(h);
}

/** flowHashOf of an IPv4 flow, its addresses' words `x`, `y` (either order). */
@inline export function flowHash4(proto: u32, x: u32, y: u32): u32 {
  const lo = min(x, y);
  const hi = max(x, y);
  return fmix32(fnvWord(fnvWord(fnvWord(FNV_FAMILY4, proto), lo), hi));
}

/**
 * The conntrack slot hash of a flow (the table's own, the same at every
 * interface, even: conntrack.ts): the flow's shard hash `h` (flowHashOf of
 * its family, protocol and addresses, already mixed) with its ports word
 * `ports` (lo port | hi port << 16, the canonical order) folded in and mixed
 * again by the murmur3 finalizer (a bijection: the flows of one address pair
 * spread as their ports differ). The pre-pass has `h` from the shard, so
 * the slot costs the finalizer only.
 */
@inline export function flowSlotHash(h: u32, ports: u32): u32 {
  return fmix32(h ^ ports) & ~1;
}

/** floor(hash × shards / 2^32): the shard of flow hash `h` among `shards` (src/model/shard.ts shardOfHash). */
@inline export function shardOfHashIn(h: u32, shards: u32): u32 {
  return <u32>((<u64>h * <u64>shards) >> 32);
}

/** Is the packet an echo request/reply (its id is the conntrack "port")? */
@inline export function isEcho(family: u32, proto: u32, type: u32): bool {
  if (family == 4 && proto == 1) return type == 8 || type == 0;
  if (family == 6 && proto == 58) return type == 128 || type == 129;
  return false;
}

/**
 * The decoded record `r`'s own flow's ports as the conntrack key takes them,
 * as one u32: source port | destination port << 16 (TCP/UDP: the record's
 * u32 at REC_SPORT), an echo's identifier on both sides (an echo and its
 * reply share it), else 0; `flags` the record's REC_FLAGS.
 */
@inline export function flowPortsWord(r: usize, family: u32, proto: u32, flags: u32): u32 {
  if (proto == 6 || proto == 17) return flags & F_PORTS ? load<u32>(r, REC_SPORT) : 0;
  if ((flags & F_ICMP) != 0 && isEcho(family, proto, <u32>load<u8>(r, REC_ICMP_TYPE))) {
    const id: u32 = flags & F_ICMP_ID ? <u32>load<u16>(r, REC_ICMP_ID) : 0;
    return (id << 16) | id;
  }
  return 0;
}

/** The murmur3 finalizer. */
@inline function fmix32(h: u32): u32 {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}
