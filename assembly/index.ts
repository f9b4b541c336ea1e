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

/** Version of the host <-> WASM calling convention; src/wasm/ refuses a mismatch. */
export const ABI_VERSION: u32 = 1;

/** First byte the host may use for its own regions (after static data). */
export function heapBase(): usize {
  return __heap_base;
}

/** The ABI version, as a function (globals are awkward across some loaders). */
export function abiVersion(): u32 {
  return ABI_VERSION;
}
export * from "./classify";
export * from "./decode";
export * from "./state";
export * from "./engine";
