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
//   state.ts      address map, conntrack and fragment memory (the replay engine)
//   engine.ts     decoded records -> decisions (SEMANTICS §2-§6)
//   library.ts    the library's calls: a batch of frames or records in one entry
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
export * from "./state";
export * from "./engine";
export * from "./library";
export * from "./layout";
