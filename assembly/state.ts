// The state every table of the replay engine shares (SEMANTICS §5, §6 and
// docs/SEMANTICS.md "sgfilter's own decisions": shards and bounds): the
// interface records the host wrote (their conntrack timeouts), the per
// (interface, shard) counters that bound each table, the stats block, and
// the time arithmetic of both tables. init.ts (stateInit) sets them up.
//
// The rooms around it: init.ts (stateInit), arena.ts (the WASM-side allocator), hash.ts (hashes
// and address helpers), addrmap.ts (address -> interface), oa.ts (the open
// addressing both tables use), conntrack.ts, fragments.ts.
//
// Time is the packet's timestamp (i64 ns), passed in; nothing reads a clock.
//
// Layouts (assembly/layout.ts, generated from layout/layouts.json, where they
// are drawn): interface record IF_*, per-shard counters CNT_*, the stats
// block STAT_*.

import { arenaAlloc } from './arena';
import { CNT_CT_NEXT_EXPIRY, CNT_FR_NEXT_FORGET, CNT_SIZE, IF_SIZE, IF_TIMEOUTS, STAT_SIZE } from './layout';

// ---------------------------------------------------------------------------
// Interfaces: per interface, its record (host-written region: timeouts by
// flow state ST_*, defaults, lists, accepting groups).

let ifaces: usize = 0;
let nShards: u32 = 1;

@inline export function ifaceRecord(i: u32): usize {
  return ifaces + <usize>i * IF_SIZE;
}

/** The conntrack timeout (ns) of flow state `state` at interface `iface`. */
@inline export function timeoutOf(iface: u32, state: u32): i64 {
  return load<i64>(ifaceRecord(iface) + IF_TIMEOUTS + (<usize>state << 3));
}

// ---------------------------------------------------------------------------
// Per (interface, shard) counters: CNT_* (entries stored, peak, purge-skip bounds).

let counters: usize = 0;

@inline export function counter(iface: u32, shard: u32): usize {
  return counters + (<usize>iface * <usize>nShards + <usize>shard) * CNT_SIZE;
}

/** Conntrack entries per (interface, shard) at most. */
export let ctCapacity: u32 = 0;
/** Fragment datagrams remembered per (interface, shard) at most. */
export let frCapacity: u32 = 0;

// ---------------------------------------------------------------------------
// Statistics since stateInit (STAT_*; the host reads them through statsPtr).

let stats: usize = 0;

export function statsPtr(): usize {
  return stats;
}

/** Count one event in the u64 statistic at `at` (a STAT_* offset). */
@inline export function statBump(at: usize): void {
  store<u64>(stats + at, load<u64>(stats + at) + 1);
}

// ---------------------------------------------------------------------------
// Time (the packets' timestamps, i64 ns).

/**
 * `now - then <= limit` exactly, for any two i64 timestamps (`limit` ≥ 0): an
 * earlier `now` counts as equal (§5); a later one is compared as the exact
 * unsigned difference, which no i64 subtraction overflow can turn negative.
 */
@inline export function within(now: i64, then: i64, limit: i64): bool {
  return now <= then || <u64>(now - then) <= <u64>limit;
}

/** `t + d` (d ≥ 0), saturating at i64.MAX_VALUE: an expiry past the end of time never comes. */
@inline export function addSat(t: i64, d: i64): i64 {
  const s = t + d;
  return s < t ? i64.MAX_VALUE : s;
}

// ---------------------------------------------------------------------------

/** Set up the shared state (stateInit, after the arena's base is set). */
export function sharedInit(ifacePtr: usize, nIface: u32, shards: u32, ctCapPerShard: u32, frCapPerShard: u32): void {
  ifaces = ifacePtr;
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
}
