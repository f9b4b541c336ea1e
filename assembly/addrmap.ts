// The address map: (family, address) -> topology interface index, built once
// at setup by the host (addrMapInit, then addrMapAdd per address), read by the
// engine for both ends of every packet. Open addressing, linear probing, kept
// at most 1/4 full so that misses (unmanaged addresses) end fast.
//
// Slot: AM_* (layout: address map slot; tag = interface index + 1, SLOT_EMPTY empty).

import { arenaAlloc } from './arena';
import { addrCopy, addrEq, addrHi, addrLo } from './hash';
import { AM_ADDR, AM_FAMILY, AM_SIZE, AM_TAG, SLOT_EMPTY } from './layout';

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
      return;
    }
    i = (i + 1) & amMask;
  }
}

/**
 * addrOwner of the IPv4 address `w` (the record form's word ADDR_W0, whose
 * other words are zero): the same slot hash (the high half's term is zero)
 * and the same compare, without loading the address's zero words (the
 * engine's pre-pass, two a packet).
 */
@inline export function addrOwner4(w: u32): i32 {
  let i = <u32>(((<u64>w ^ 4) * 0xff51afd7ed558ccd) >> 32) & amMask;
  while (true) {
    const s = amSlots + <usize>i * AM_SIZE;
    const tag = load<u32>(s, AM_TAG);
    if (tag == SLOT_EMPTY) return -1;
    if (load<u32>(s, AM_FAMILY) == 4 && load<u64>(s, AM_ADDR) == <u64>w && load<u64>(s, AM_ADDR + 8) == 0) return <i32>tag - 1;
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
