/**
 * The seeded traffic generator (see generator.ts for the flow model).
 */
export { FLOW_KINDS, FLOW_PATHS, MIX_KINDS, DEFAULT_MIX, TRAFFIC_DEFAULTS, resolveTrafficOptions } from './options.js';
export type { FlowKind, FlowPath, MixKind, TrafficGenOptions, ResolvedTrafficGenOptions, GenFrame, TrafficSummary } from './options.js';
export { toModel } from './view.js';
export { TrafficGenerator, generateTraffic } from './generator.js';
