// sgfilter's WebAssembly module: the hot path.
//
// Contract: every export works on flat memory through pointers that the host
// (src/wasm/) allocated; nothing here allocates per packet. The memory is
// imported (asconfig.json: importMemory), the runtime is the stub runtime, and
// this module imports nothing from src/.
//
// Sub-modules re-exported here each own one concern:
//   decode.ts     captured frame bytes -> flat packet records
//   classify*.ts  compiled rule tables -> first matching rule
//   the replay engine's state, in rooms:
//     init.ts       stateInit: the arena, the shared state, both tables
//     arena.ts      the WASM-side allocator above the host's regions
//     hash.ts       hashes and address helpers (flowHash: the shard hash)
//     addrmap.ts    address -> interface
//     state.ts      interface records, per-shard counters, stats
//     oa.ts         the open addressing both tables use
//     conntrack.ts  the conntrack table (SEMANTICS §5)
//     fragments.ts  the fragment memory (SEMANTICS §6)
//   engine.ts     decoded records -> decisions (SEMANTICS §2-§6)
//   library.ts    the library's calls: a batch of frames or records in one entry
//   decisions.ts  the decisions writer: 56-byte decision records from the
//                 engine's, and those records as SEMANTICS §9 JSON lines
//   layout.ts     every binary layout shared with the host (generated from
//                 layout/layouts.json; exported, so the host can check them)

import { LAYOUT_HASH } from "./layout";

/** First byte the host may use for its own regions (after static data). */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * The hash of the binary layouts this module was built with (assembly/layout.ts,
 * generated from layout/layouts.json); src/wasm/loader.ts refuses a module
 * whose hash is not its own. A function: globals are awkward across some loaders.
 */
export function layoutHash(): u32 {
  return LAYOUT_HASH;
}
export * from "./classify";
export * from "./decode";
export { stateInit } from "./init";
export { arenaAllocate, arenaShare, arenaEnd } from "./arena";
export { flowHash } from "./hash";
export { addrMapInit, addrMapAdd, addrOwner } from "./addrmap";
export { ifaceRecord, statsPtr } from "./state";
export { ctFlow, ctFlowSave, ctFlowLoad, ctAt, ctKey, ctLookup, ctHit, ctCreate, ctPeak, ctProbeMean } from "./conntrack";
export { frRecall, frRemember } from "./fragments";
export * from "./engine";
export * from "./library";
export * from "./decisions";
export * from "./layout";
