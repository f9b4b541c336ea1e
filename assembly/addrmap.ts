// The address map: (family, address) -> topology interface index, built once
// at setup by the host (addrMapInit, then addrMapAdd per address), read by the
// engine for both ends of every packet. Open addressing, linear probing, kept
// at most 1/4 full so that misses (unmanaged addresses) end fast.
//
// Slot: AM_* (layout: address map slot; tag = interface index + 1, SLOT_EMPTY empty).

import { arenaAlloc } from './arena';
import { addrCopy, addrEq, addrHi, addrLo } from './hash';
import { ADDR_W1, ADDR_W2, AM_ADDR, AM_FAMILY, AM_SIZE, AM_TAG, SLOT_EMPTY } from './layout';

let amSlots: usize = 0;
let amMask: u32 = 0;

/** The address map's slot hash: one multiply of the folded address. */
@inline function amHash(family: u32, a: usize): u32 {
  return <u32>(((addrLo(a) ^ (addrHi(a) * 0x9e3779b97f4a7c15) ^ <u64>family) * 0xff51afd7ed558ccd) >> 32);
}

/** Set up an empty address map with room for `n` addresses (host calls once, after stateInit). */
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
      if (family == 4) {
        // the record form of an IPv4 address: its other words zero (addrOwner4's compare relies on it)
        store<u32>(s + AM_ADDR, 0, ADDR_W1);
        store<u64>(s + AM_ADDR, 0, ADDR_W2);
      }
      return;
    }
    i = (i + 1) & amMask;
  }
}

// An IPv4 slot's u64 at AM_FAMILY: the family (4) and, above it, the
// address's word ADDR_W0 (AM_ADDR follows AM_FAMILY); its address's other
// words are zero (addrMapAdd stores them so). One compare is a hit.

/** The u64 at AM_FAMILY of the slot of the IPv4 address whose word ADDR_W0 is `w`. */
@inline function amWord4(w: u32): u64 {
  return (<u64>w << ((AM_ADDR - AM_FAMILY) << 3)) | 4;
}

/**
 * addrOwner of the IPv4 address `w` (the record form's word ADDR_W0, whose
 * other words are zero): the same slot hash (the high half's term is zero),
 * each slot's family and address by one u64 compare (amWord4), the first
 * slot tested before the probe loop (the engine's pre-pass, two a packet:
 * most end there, with no loop entered).
 */
@inline export function addrOwner4(w: u32): i32 {
  const key = amWord4(w);
  let i = <u32>(((<u64>w ^ 4) * 0xff51afd7ed558ccd) >> 32) & amMask;
  let s = amSlots + <usize>i * AM_SIZE;
  if (load<u64>(s, AM_FAMILY) == key) return load<i32>(s, AM_TAG) - 1;
  if (load<u32>(s, AM_TAG) == SLOT_EMPTY) return -1;
  while (true) {
    i = (i + 1) & amMask;
    s = amSlots + <usize>i * AM_SIZE;
    if (load<u64>(s, AM_FAMILY) == key) return load<i32>(s, AM_TAG) - 1;
    if (load<u32>(s, AM_TAG) == SLOT_EMPTY) return -1;
  }
}

/** Does slot `s` hold the address `a` of family `family`? */
@inline function amHolds(s: usize, family: u32, a: usize): bool {
  return load<u32>(s, AM_FAMILY) == family && addrEq(s + AM_ADDR, a);
}

/** The interface owning the address, or -1. */
export function addrOwner(family: u32, a: usize): i32 {
  return addrOwnerOf(family, a);
}

/** addrOwner inlined (the engine's pre-pass): the first slot tested before the probe loop, as addrOwner4. */
@inline export function addrOwnerOf(family: u32, a: usize): i32 {
  let i = amHash(family, a) & amMask;
  let s = amSlots + <usize>i * AM_SIZE;
  if (amHolds(s, family, a)) return load<i32>(s, AM_TAG) - 1;
  if (load<u32>(s, AM_TAG) == SLOT_EMPTY) return -1;
  while (true) {
    i = (i + 1) & amMask;
    s = amSlots + <usize>i * AM_SIZE;
    if (amHolds(s, family, a)) return load<i32>(s, AM_TAG) - 1;
    if (load<u32>(s, AM_TAG) == SLOT_EMPTY) return -1;
  }
}
