/** The traffic and topology generator (`sgfilter gen`): library entry. */
export { Prng } from './prng.js';
export { GenError, GEN_ERROR } from './errors.js';
export type { GenErrorCode } from './errors.js';
export { generateTopology, resolveTopologyOptions, TOPOLOGY_DEFAULTS, GEN_CLOUDS, OUTSIDE_V4, OUTSIDE_V6 } from './topology.js';
export type { GenCloud, TopologyGenOptions, ResolvedTopologyGenOptions } from './topology.js';
export { TrafficGenerator, generateTraffic, resolveTrafficOptions, TRAFFIC_DEFAULTS, FLOW_KINDS, FLOW_PATHS, MIX_KINDS, DEFAULT_MIX } from './traffic/index.js';
export type { FlowKind, FlowPath, MixKind, GenFrame, TrafficGenOptions, TrafficSummary } from './traffic/index.js';
export { writeTraffic, ensureGenerated, formatTopologyJson, defaultCacheDir, specKey, GENERATOR_VERSION, CAPTURE_FORMATS as GEN_CAPTURE_FORMATS } from './write.js';
export type { GenSpec, GeneratedSet, GenCaptureFormat, WrittenCapture, WriteTrafficOptions } from './write.js';
