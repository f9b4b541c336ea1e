/** Capture I/O: readers, writers, decoders (TS reference and WASM), frame builders. */
export * from './errors.js';
export * from './format.js';
export { CaptureScanner, FrameBatch, DESC, SCAN, type CaptureInterface, type CaptureFormat, type PcapWalk } from './scanner.js';
export * from './reader.js';
export * from './timestamp.js';
export { decodeFrame, ETHERTYPE } from './decode.js';
export * from './packets.js';
export * from './writer.js';
export * from './record-layout.js';
export { WasmDecoder, type RecordBatchHandler } from './wasm.js';
export { packetJson, packetText, type PacketJson } from './json.js';
export * as build from './build.js';
