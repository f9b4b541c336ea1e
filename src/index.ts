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
export { loadTopology, loadTopologyFile, TOPOLOGY_FORMATS } from './parse/load.js';
export type { LoadOptions, LoadResult, TopologyFormat } from './parse/load.js';
export { TopologyError, formatIssue } from './parse/issues.js';
export type { Issue, Severity } from './parse/issues.js';
export { lintLimits } from './lint/limits.js';
export { ReferenceEngine, DEFAULT_CONNTRACK_CAPACITY } from './reference/engine.js';
export type { EngineOptions, EngineStats } from './reference/engine.js';
export { explainDecision, describePacket, describeRule } from './reference/explain.js';
