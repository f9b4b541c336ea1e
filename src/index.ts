/**
 * sgfilter as a library.
 *
 *   import { loadTopologyFile, ReferenceEngine, parsePacketSpec } from 'sgfilter';
 *   const { topology } = loadTopologyFile('fixtures/aliyun-basic-3tier.json');
 *   const engine = new ReferenceEngine(topology);
 *   engine.judge(parsePacketSpec('tcp 203.0.113.7:40000 -> 10.0.1.10:443'));
 */
export * from './model/packet.js';
export * from './model/address.js';
export * from './model/topology.js';
export * from './model/decision.js';
export { parsePacketSpec, PacketSpecError } from './model/packet-spec.js';
export { parseNativeTopology, nativeTopologySchema } from './parse/native.js';
export type { NativeTopology, NativeRule, NativeGroup, NativeInterface, NativeAddressGroup, ParseOptions, ParseResult } from './parse/native.js';
export { loadTopology, loadTopologyFile, TOPOLOGY_FORMATS, MAX_TOPOLOGY_BYTES } from './parse/load.js';
export type { LoadOptions, LoadResult, TopologyFormat } from './parse/load.js';
export { TopologyError, formatIssue } from './parse/issues.js';
export type { Issue, Severity } from './parse/issues.js';
export { lintLimits } from './lint/limits.js';
export { ReferenceEngine, DEFAULT_CONNTRACK_CAPACITY } from './reference/engine.js';
export type { EngineOptions, EngineStats } from './reference/engine.js';
export { explainDecision, describePacket, describeRule } from './reference/explain.js';
export * from './pcap/index.js';
export * from './gen/index.js';
export { compileTopology } from './compile/compile.js';
export type { CompileOptions, CompiledTable, TableMeta, ClassifierStats } from './compile/compile.js';
export { Table, loadTable, saveTable } from './compile/table.js';
export { WasmTable, TupleBatch } from './compile/matcher.js';
export type { MatcherKind } from './compile/matcher.js';
export { TABLE_VERSION, TUPLE, NO_PORT, TableError, validateTable } from './compile/format.js';
export { parseClassBenchRules, parseClassBenchTrace, loadClassBenchRules, loadClassBenchTrace, importClassBench, ClassBenchError } from './parse/classbench.js';
export type { ClassBenchRules, ClassBenchTrace } from './parse/classbench.js';
export { createFilter, Filter, LINKTYPE } from './replay/filter.js';
export type { FilterOptions, JudgedFrame } from './replay/filter.js';
export { replay } from './replay/replay.js';
export { OutputError } from './replay/output.js';
export { WasmLoadError } from './wasm/loader.js';
export type { ReplayOptions, ReplayResult } from './replay/replay.js';
export type { ReplaySummary, RuleHits, InterfaceCounts } from './replay/summary.js';
export { DEFAULT_SHARDS, flowHash, shardOf } from './model/shard.js';
