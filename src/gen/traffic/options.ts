/**
 * The traffic generator's knobs: flow kinds and paths, the options with their
 * defaults (TRAFFIC_DEFAULTS, also the CLI's help), their validation, and the
 * summary a run reports.
 */
import { GEN_ERROR, GenError, checkInt, checkPositive, checkShare } from '../errors.js';
import type { PacketRecord } from '../../model/packet.js';

export const FLOW_KINDS = ['tcp', 'udp', 'echo', 'icmp-error', 'gre', 'other', 'fragment', 'denied', 'scan', 'arp'] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];
export const FLOW_PATHS = ['rule', 'internal', 'intra-group', 'inbound', 'outbound', 'unmanaged', 'local'] as const;
export type FlowPath = (typeof FLOW_PATHS)[number];

/** Kinds the `mix` weights choose among (the others have their own shares). */
export const MIX_KINDS = ['tcp', 'udp', 'echo', 'icmp-error', 'gre', 'other'] as const;
export type MixKind = (typeof MIX_KINDS)[number];
export const DEFAULT_MIX: Record<MixKind, number> = { tcp: 60, udp: 20, echo: 8, 'icmp-error': 6, gre: 3, other: 3 };

export interface TrafficGenOptions {
  seed: number;
  /** Flows to start (default 1000; unlimited when only `packets` is given). */
  flows?: number;
  /** Stop after exactly this many packets (default: when every flow has ended). */
  packets?: number;
  /** Mean packets per flow (default 10); each flow draws its own count around it. */
  packetsPerFlow?: number;
  /** Relative weights of the ordinary flow kinds (default tcp 60, udp 20, echo 8, icmp-error 6, gre 3, other 3). */
  mix?: Partial<Record<MixKind, number>>;
  /** Share of flows over IPv6 (default 0.2; 0 when the topology owns no IPv6 address). */
  ipv6Share?: number;
  /** Share of flows with VLAN tags (default 0.1); a third of them are QinQ (802.1ad + 802.1Q). */
  vlanShare?: number;
  /** Share of flows that are fragmented UDP or echo exchanges (default 0.03). */
  fragmentShare?: number;
  /** Share of flows that are denied-looking: SYNs or UDP to closed ports from outside (default 0.05). */
  deniedShare?: number;
  /** Share of flows that are port scans from outside (default 0.02). */
  scanShare?: number;
  /** Share of TCP and UDP flows that pause longer than their conntrack timeout (default 0.02). */
  idleShare?: number;
  /** Share of flows that are ARP exchanges (non-IP frames; default 0.005). */
  arpShare?: number;
  /** Share of packets written with a timestamp slightly before the previous one (default 0). */
  backwardsShare?: number;
  /** Mean gap between flow starts, microseconds (default 1000). */
  flowGapUs?: number;
  /** Mean round-trip time, microseconds (default 2000). */
  rttUs?: number;
  /** Largest idle pause, seconds (default 3600): longer timeouts (Huawei's 5 days) are not waited out. */
  maxIdleSeconds?: number;
  /** Largest TCP/UDP data payload in bytes (default 256). */
  payloadMax?: number;
  /** Capture start, Unix seconds (default 1700000000). */
  start?: number;
  /** Nanosecond timestamps (default microseconds: every timestamp is a whole microsecond). */
  nanos?: boolean;
  /** Attach to each frame the PacketRecord it should decode to (tests; costs bigints). */
  intents?: boolean;
  /**
   * ICMP errors from routers come from this many router addresses per family
   * (default 0: a fresh outside address per flow). A small pool makes one
   * router send errors to one host about many flows, whose quoted addresses
   * hash to other state shards than the error's own (a stress of sharding).
   */
  routers?: number;
}

export type ResolvedTrafficGenOptions = Required<Omit<TrafficGenOptions, 'mix'>> & { mix: Record<MixKind, number> };

export interface GenFrame {
  /** Timestamp: Unix seconds and nanoseconds (a whole microsecond unless `nanos`). */
  sec: number;
  nsec: number;
  /** The Ethernet frame. A fresh array per frame. */
  data: Uint8Array;
  kind: FlowKind;
  /** Flow number, 1-based in order of start. */
  flow: number;
  /** The decoded record this frame is made to produce (with `intents`). */
  intent?: PacketRecord;
}

export interface TrafficSummary {
  packets: number;
  /** Sum of frame lengths. */
  bytes: number;
  flows: number;
  flowsByKind: Record<FlowKind, number>;
  flowsByPath: Record<FlowPath, number>;
  packetsByKind: Record<FlowKind, number>;
  ipv6Packets: number;
  vlanPackets: number;
  qinqPackets: number;
  fragmentPackets: number;
  /** Later fragments whose first fragment was left out on purpose. */
  orphanFragments: number;
  icmpErrorPackets: number;
  nonIpPackets: number;
  /** Pauses longer than a conntrack timeout. */
  idleGaps: number;
  /** Idle flows that did not pause because the timeout was above maxIdleSeconds. */
  idleSkipped: number;
  backwardsTimestamps: number;
  /** Most flows active at once. */
  peakActiveFlows: number;
  firstTs?: string;
  lastTs?: string;
}

// ---------------------------------------------------------------------------
// Options

/** The defaults of the numeric knobs: the one place they are written (the CLI's help reads them). */
export const TRAFFIC_DEFAULTS = {
  flows: 1000,
  packetsPerFlow: 10,
  ipv6Share: 0.2,
  vlanShare: 0.1,
  fragmentShare: 0.03,
  deniedShare: 0.05,
  scanShare: 0.02,
  idleShare: 0.02,
  arpShare: 0.005,
  backwardsShare: 0,
  flowGapUs: 1000,
  rttUs: 2000,
  maxIdleSeconds: 3600,
  payloadMax: 256,
  start: 1_700_000_000,
  routers: 0,
} as const;

export function resolveTrafficOptions(o: TrafficGenOptions): ResolvedTrafficGenOptions {
  if (typeof o !== 'object' || o === null) throw new GenError(GEN_ERROR.BAD_OPTION, 'traffic options must be an object');
  if (typeof o.seed !== 'number' || !Number.isSafeInteger(o.seed)) {
    throw new GenError(GEN_ERROR.BAD_OPTION, `seed must be a safe integer, got ${JSON.stringify(o.seed)}`, 'seed');
  }
  const packets = o.packets === undefined ? Number.POSITIVE_INFINITY : checkInt('packets', o.packets, 0);
  const flows = o.flows === undefined ? (o.packets === undefined ? TRAFFIC_DEFAULTS.flows : Number.POSITIVE_INFINITY) : checkInt('flows', o.flows, 0);
  const mix = { ...DEFAULT_MIX };
  if (o.mix !== undefined) {
    if (typeof o.mix !== 'object' || o.mix === null) throw new GenError(GEN_ERROR.BAD_OPTION, 'mix must be an object of weights', 'mix');
    for (const [k, v] of Object.entries(o.mix)) {
      if (!(MIX_KINDS as readonly string[]).includes(k)) {
        throw new GenError(GEN_ERROR.BAD_OPTION, `mix: unknown kind ${JSON.stringify(k)} (expected ${MIX_KINDS.join(', ')})`, 'mix');
      }
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new GenError(GEN_ERROR.BAD_OPTION, `mix: weight of ${k} must be a number ≥ 0, got ${JSON.stringify(v)}`, 'mix');
      mix[k as MixKind] = v;
    }
    if (Object.values(mix).every((v) => v === 0)) throw new GenError(GEN_ERROR.BAD_OPTION, 'mix: at least one weight must be above 0', 'mix');
  }
  const r: ResolvedTrafficGenOptions = {
    seed: o.seed,
    flows,
    packets,
    packetsPerFlow: checkPositive('packetsPerFlow', o.packetsPerFlow ?? TRAFFIC_DEFAULTS.packetsPerFlow),
    mix,
    ipv6Share: checkShare('ipv6Share', o.ipv6Share ?? TRAFFIC_DEFAULTS.ipv6Share),
    vlanShare: checkShare('vlanShare', o.vlanShare ?? TRAFFIC_DEFAULTS.vlanShare),
    fragmentShare: checkShare('fragmentShare', o.fragmentShare ?? TRAFFIC_DEFAULTS.fragmentShare),
    deniedShare: checkShare('deniedShare', o.deniedShare ?? TRAFFIC_DEFAULTS.deniedShare),
    scanShare: checkShare('scanShare', o.scanShare ?? TRAFFIC_DEFAULTS.scanShare),
    idleShare: checkShare('idleShare', o.idleShare ?? TRAFFIC_DEFAULTS.idleShare),
    arpShare: checkShare('arpShare', o.arpShare ?? TRAFFIC_DEFAULTS.arpShare),
    backwardsShare: checkShare('backwardsShare', o.backwardsShare ?? TRAFFIC_DEFAULTS.backwardsShare),
    flowGapUs: checkPositive('flowGapUs', o.flowGapUs ?? TRAFFIC_DEFAULTS.flowGapUs),
    rttUs: checkPositive('rttUs', o.rttUs ?? TRAFFIC_DEFAULTS.rttUs),
    maxIdleSeconds: checkPositive('maxIdleSeconds', o.maxIdleSeconds ?? TRAFFIC_DEFAULTS.maxIdleSeconds),
    payloadMax: checkInt('payloadMax', o.payloadMax ?? TRAFFIC_DEFAULTS.payloadMax, 0, 9000),
    start: checkInt('start', o.start ?? TRAFFIC_DEFAULTS.start, 0, 0xffffffff - 200 * 86400),
    nanos: o.nanos ?? false,
    intents: o.intents ?? false,
    routers: checkInt('routers', o.routers ?? TRAFFIC_DEFAULTS.routers, 0, 256),
  };
  if (typeof r.nanos !== 'boolean') throw new GenError(GEN_ERROR.BAD_OPTION, `nanos must be a boolean, got ${JSON.stringify(r.nanos)}`, 'nanos');
  const special = r.fragmentShare + r.deniedShare + r.scanShare + r.arpShare;
  if (special > 1) {
    throw new GenError(GEN_ERROR.BAD_OPTION, `fragmentShare + deniedShare + scanShare + arpShare must not exceed 1 (got ${Number(special.toFixed(6))})`, 'fragmentShare');
  }
  return r;
}
