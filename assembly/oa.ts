// Open addressing, shared by the conntrack table (conntrack.ts) and the
// fragment memory (fragments.ts): linear probing over a power-of-two array of
// fixed-size entries whose first u32 is the tag (SLOT_EMPTY, SLOT_TOMB, or
// live) and which keep their key's u32 hash at a fixed offset. A table is a
// header (layout: open-addressing table, OA_*) in the arena; it grows by
// rehashing into a new slot array (tombstones dropped) when more than
// GROW_NUM/GROW_DEN of its slots are used, to a size at which the live
// entries fill at most half that: in place when the array is the arena's
// last block (oaGrowInPlace), else into a new array, the old one going back
// to the arena (arenaFree) for a later allocation.
//
// Lookups stay with each table (their key compare is the table's own); this
// file owns the slot discipline: free slots, taking one, deleting, growing.

import { arenaAlloc, arenaExtend, arenaFree, arenaRelease } from './arena';
import { OA_ENTRY, OA_GROW_DEN, OA_GROW_NUM, OA_HASH_AT, OA_MASK, OA_SIZE, OA_SLOTS, OA_USED, SLOT_EMPTY, SLOT_TOMB } from './layout';

/** Alignment of every slot array: a cache line, so that an entry of 64 bytes (or a divisor of 64) never straddles two. */
const SLOT_ALIGN: usize = 64;

/** A new table header with `size` (a power of two) empty slots of `entry` bytes. */
export function oaNew(size: u32, entry: u32, hashAt: u32, growNum: u32, growDen: u32): usize {
  const t = arenaAlloc(OA_SIZE);
  store<u32>(t, entry, OA_ENTRY);
  store<u32>(t, hashAt, OA_HASH_AT);
  store<u32>(t, growNum, OA_GROW_NUM);
  store<u32>(t, growDen, OA_GROW_DEN);
  oaSetSlots(t, size, false);
  return t;
}

/** A new slot array of `size` slots; `touch`: its pages written now (arenaAlloc). */
function oaSetSlots(t: usize, size: u32, touch: bool): void {
  store<u32>(t, <u32>arenaAlloc(<usize>size * <usize>load<u32>(t, OA_ENTRY), SLOT_ALIGN, touch), OA_SLOTS);
  store<u32>(t, size - 1, OA_MASK);
  store<u32>(t, 0, OA_USED);
}

@inline export function oaSlots(t: usize): usize {
  return <usize>load<u32>(t, OA_SLOTS);
}

@inline export function oaMask(t: usize): u32 {
  return load<u32>(t, OA_MASK);
}

/** Slots in the table. */
@inline export function oaSize(t: usize): u32 {
  return load<u32>(t, OA_MASK) + 1;
}

@inline export function oaEntry(t: usize): usize {
  return <usize>load<u32>(t, OA_ENTRY);
}

/** Is the tag a live entry's (not empty, not deleted)? */
@inline export function oaIsLive(tag: u32): bool {
  return tag != SLOT_EMPTY && tag != SLOT_TOMB;
}

/** The first free (empty or deleted) slot on the probe path of hash `h`. */
export function oaFreeSlot(t: usize, h: u32): usize {
  const slots = oaSlots(t);
  const mask = oaMask(t);
  const entry = oaEntry(t);
  let i = h & mask;
  while (true) {
    const e = slots + <usize>i * entry;
    if (!oaIsLive(load<u32>(e))) return e;
    i = (i + 1) & mask;
  }
}

/** Mark the free slot `e` taken by a live entry tagged `tag` (counts an empty slot as used). */
@inline export function oaTake(t: usize, e: usize, tag: u32): void {
  if (load<u32>(e) == SLOT_EMPTY) store<u32>(t, load<u32>(t, OA_USED) + 1, OA_USED);
  store<u32>(e, tag);
}

/** Delete the live entry in slot `e` (a tombstone; the slot stays used until the next growth). */
@inline export function oaDelete(e: usize): void {
  store<u32>(e, SLOT_TOMB);
}

/** How many live entries the table holds (a pass over the slots; only when growing). */
function oaLive(t: usize): u32 {
  const slots = oaSlots(t);
  const size = oaSize(t);
  const entry = oaEntry(t);
  let live: u32 = 0;
  for (let i: u32 = 0; i < size; i++) if (oaIsLive(load<u32>(slots + <usize>i * entry))) live++;
  return live;
}

/**
 * Make room for one more entry: when more than GROW_NUM/GROW_DEN of the
 * slots would be used, rehash the live entries into a new array doubled
 * until they, with the entry about to be added, fill at most half of
 * GROW_NUM/GROW_DEN of it (without tombstones: four times the old size, at
 * an eighth of load; doubling instead, at a quarter, saved a quarter of the
 * page faults but cost 5-10% more time per packet with 200,000 flows at
 * once, from the longer probes). The array grows in place when it is the
 * arena's last block (oaGrowInPlace: no fresh copy, so its pages are faulted
 * in once over all its growths), else into a new array. Returns true when it
 * grew (free slots found before are then stale).
 */
export function oaMaybeGrow(t: usize): bool {
  const num = load<u32>(t, OA_GROW_NUM);
  const den = load<u32>(t, OA_GROW_DEN);
  const oldSize = oaSize(t);
  if (<u64>(load<u32>(t, OA_USED) + 1) * den <= <u64>oldSize * num) return false;
  const oldSlots = oaSlots(t);
  const entry = oaEntry(t);
  const hashAt = <usize>load<u32>(t, OA_HASH_AT);
  const live = oaLive(t);
  let size = oldSize;
  while (<u64>(live + 1) * 2 * den > <u64>size * num) size <<= 1;
  if (arenaExtend(oldSlots, <usize>oldSize * entry, <usize>size * entry)) {
    store<u32>(t, size - 1, OA_MASK);
    store<u32>(t, oaGrowInPlace(oldSlots, oldSize, size, entry, hashAt), OA_USED);
    return true;
  }
  // Touched now: the live entries fill an eighth of it when they made it grow
  // (an eighth of every page's slots), so that every page is used at once.
  oaSetSlots(t, size, true);
  const to = oaSlots(t);
  const mask = size - 1;
  let n: u32 = 0;
  for (let i: u32 = 0; i < oldSize; i++) {
    const e = oldSlots + <usize>i * entry;
    if (!oaIsLive(load<u32>(e))) continue;
    let j = load<u32>(e + hashAt) & mask;
    while (load<u32>(to + <usize>j * entry) != SLOT_EMPTY) j = (j + 1) & mask;
    memory.copy(to + <usize>j * entry, e, entry);
    n++;
  }
  arenaFree(oldSlots, <usize>oldSize * entry);
  store<u32>(t, n, OA_USED);
  return true;
}

/**
 * Rehash the `oldSize` slots at `slots` into the `size` slots (a larger
 * power of two) that now start there, slots [oldSize, size) empty; returns
 * the live entries. An entry's new home is its old home plus a multiple of
 * oldSize, so one sweep moves each entry to the upper part or to its own
 * place or lower (never onto a slot not yet swept): the sweep starts after
 * an empty slot `e0` (each old probe path then swept from its start), and
 * the run of slots [0, e0) — a path that may have wrapped around the old
 * array's end — is first set aside (copied out and emptied) and inserted
 * last. Every probe of the sweep then meets swept or empty slots only.
 * Tombstones are dropped.
 */
function oaGrowInPlace(slots: usize, oldSize: u32, size: u32, entry: usize, hashAt: usize): u32 {
  const mask = size - 1;
  let e0: u32 = 0;
  while (load<u32>(slots + <usize>e0 * entry) != SLOT_EMPTY) e0++;
  // The run [0, e0) set aside, live entries only, off the arena's top.
  let held: u32 = 0;
  for (let i: u32 = 0; i < e0; i++) if (oaIsLive(load<u32>(slots + <usize>i * entry))) held++;
  const aside = held != 0 ? arenaAlloc(<usize>held * entry) : 0;
  let k: u32 = 0;
  for (let i: u32 = 0; i < e0; i++) {
    const e = slots + <usize>i * entry;
    if (oaIsLive(load<u32>(e))) {
      memory.copy(aside + <usize>k * entry, e, entry);
      k++;
    }
    memory.fill(e, 0, entry);
  }
  let n: u32 = 0;
  for (let i: u32 = e0 + 1; i < oldSize; i++) {
    const e = slots + <usize>i * entry;
    const tag = load<u32>(e);
    if (tag == SLOT_EMPTY) continue;
    if (tag == SLOT_TOMB) {
      store<u32>(e, SLOT_EMPTY);
      continue;
    }
    n++;
    let j = load<u32>(e + hashAt) & mask;
    while (j != i && load<u32>(slots + <usize>j * entry) != SLOT_EMPTY) j = (j + 1) & mask;
    if (j == i) continue; // its place
    memory.copy(slots + <usize>j * entry, e, entry);
    memory.fill(e, 0, entry);
  }
  for (let q: u32 = 0; q < held; q++) {
    const e = aside + <usize>q * entry;
    let j = load<u32>(e + hashAt) & mask;
    while (load<u32>(slots + <usize>j * entry) != SLOT_EMPTY) j = (j + 1) & mask;
    memory.copy(slots + <usize>j * entry, e, entry);
    n++;
  }
  if (aside != 0) arenaRelease(aside, <usize>held * entry);
  return n;
}
