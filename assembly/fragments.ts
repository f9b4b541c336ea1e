// Fragment memory (SEMANTICS §6): (interface, shard, family, src, dst,
// protocol, id) -> the first fragment's verdict and time, for 30 s. One
// open-addressed table (oa.ts) for every interface and shard of this worker;
// bounded per (interface, shard) (docs/SEMANTICS.md) in state.ts's counters.
//
// Entry: FR_* (layout: fragment entry; tag = interface index + 1,
// SLOT_EMPTY, SLOT_TOMB = deleted).

import { addrCopy, addrEq, addrHash, mix64 } from './hash';
import {
  CNT_FR_NEXT_FORGET,
  CNT_FR_STORED,
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
  SLOT_EMPTY,
  STAT_FRAG_NOT_REMEMBERED,
} from './layout';
import { oaDelete, oaFreeSlot, oaMask, oaMaybeGrow, oaNew, oaSize, oaSlots, oaTake } from './oa';
import { addSat, counter, frCapacity, statBump, within } from './state';

/** How long a first fragment's verdict is remembered (ns). */
const FRAGMENT_MEMORY_NS: i64 = 30_000_000_000;

/** Slots of a new table (it grows from there). */
const FR_INITIAL_SLOTS: u32 = 4096;

/** The table (an OA_* header). */
let fr: usize = 0;

/** A new, empty table (stateInit). */
export function frInit(): void {
  fr = oaNew(FR_INITIAL_SLOTS, <u32>FR_SIZE, <u32>FR_HASH, 1, 2);
}

function frHash(iface: u32, family: u32, proto: u32, src: usize, dst: usize, id: u32): u32 {
  let h: u64 = (<u64>iface << 40) | (<u64>family << 32) | (<u64>proto << 24) ^ <u64>id;
  h = addrHash(src, h);
  h = addrHash(dst, h);
  return <u32>mix64(h);
}

function frFind(iface: u32, shard: u32, family: u32, proto: u32, src: usize, dst: usize, id: u32, h: u32): usize {
  const slots = oaSlots(fr);
  const mask = oaMask(fr);
  let i = h & mask;
  while (true) {
    const e = slots + <usize>i * FR_SIZE;
    const t = load<u32>(e, FR_TAG);
    if (t == SLOT_EMPTY) return 0;
    if (t == iface + 1 && load<u32>(e, FR_SHARD) == shard && load<u32>(e, FR_HASH) == h && load<u8>(e, FR_FAMILY) == <u8>family && load<u8>(e, FR_PROTO) == <u8>proto &&
      load<u32>(e, FR_ID) == id && addrEq(e + FR_SRC, src) && addrEq(e + FR_DST, dst)) return e;
    i = (i + 1) & mask;
  }
}

/** The remembered verdict (1 allow, 0 deny) of a non-first fragment in `shard`, or -1. */
export function frRecall(iface: u32, shard: u32, family: u32, proto: u32, src: usize, dst: usize, id: u32, now: i64): i32 {
  const e = frFind(iface, shard, family, proto, src, dst, id, frHash(iface, family, proto, src, dst, id));
  if (e == 0 || !within(now, load<i64>(e, FR_FIRST_SEEN), FRAGMENT_MEMORY_NS)) return -1;
  return <i32>load<u8>(e, FR_VERDICT);
}

/** Forget the expired datagrams of (iface, shard); recompute its purge-skip bound. */
function frPurge(iface: u32, shard: u32, now: i64): void {
  const c = counter(iface, shard);
  if (now <= load<i64>(c, CNT_FR_NEXT_FORGET)) return; // nothing forgotten yet
  let next: i64 = i64.MAX_VALUE;
  const slots = oaSlots(fr);
  const size = oaSize(fr);
  for (let i: u32 = 0; i < size; i++) {
    const e = slots + <usize>i * FR_SIZE;
    if (load<u32>(e, FR_TAG) != iface + 1 || load<u32>(e, FR_SHARD) != shard) continue;
    const first = load<i64>(e, FR_FIRST_SEEN);
    if (!within(now, first, FRAGMENT_MEMORY_NS)) {
      oaDelete(e);
      store<u32>(c, load<u32>(c, CNT_FR_STORED) - 1, CNT_FR_STORED);
    } else if (addSat(first, FRAGMENT_MEMORY_NS) < next) next = addSat(first, FRAGMENT_MEMORY_NS);
  }
  store<i64>(c, next, CNT_FR_NEXT_FORGET);
}

/** Remember a first fragment's verdict (docs/SEMANTICS.md: bounded per interface shard). */
export function frRemember(iface: u32, family: u32, proto: u32, src: usize, dst: usize, id: u32, verdict: u32, now: i64, shard: u32): void {
  const h = frHash(iface, family, proto, src, dst, id);
  let e = frFind(iface, shard, family, proto, src, dst, id, h);
  const c = counter(iface, shard);
  if (e == 0) {
    if (load<u32>(c, CNT_FR_STORED) >= frCapacity) {
      frPurge(iface, shard, now);
      if (load<u32>(c, CNT_FR_STORED) >= frCapacity) {
        statBump(STAT_FRAG_NOT_REMEMBERED);
        return;
      }
    }
    oaMaybeGrow(fr);
    e = oaFreeSlot(fr, h);
    oaTake(fr, e, iface + 1);
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
  const forget = addSat(now, FRAGMENT_MEMORY_NS);
  if (forget < load<i64>(c, CNT_FR_NEXT_FORGET)) store<i64>(c, forget, CNT_FR_NEXT_FORGET);
}
