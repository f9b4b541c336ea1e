/**
 * Seeded traffic generator: a topology + options + seed -> a stream of
 * Ethernet frames with timestamps (and, on request, the PacketRecord each
 * frame is meant to decode to). Same topology, options and seed: the same
 * frames, bit for bit. Nothing reads a clock or Math.random.
 *
 * The flow model. Flows arrive one after another (exponential gaps, mean
 * `flowGapUs`); each flow is a small script (a generator function below) that
 * yields its packets with the delay before each. Active flows wait in a heap
 * ordered by (time of next packet, scheduling number), so concurrent flows
 * interleave and timestamps never go backwards (unless `backwardsShare` asks
 * for a few). Memory is bounded by the number of flows active at once, not by
 * the number of packets: the heap holds one pending frame per active flow.
 *
 * Kinds of flows (`FlowKind`):
 *   tcp         3-way handshake, data both ways, FIN or RST teardown (sometimes refused by RST, sometimes left open)
 *   udp         request / reply pairs
 *   echo        ICMP / ICMPv6 echo request / reply pairs
 *   icmp-error  a UDP request, TCP SYN or echo request, answered by an ICMP error quoting its header
 *               (port / host unreachable, time exceeded from a router, packet too big)
 *   gre         GRE both ways (judged on the outer header)
 *   other       another IP protocol (SCTP, ESP, IP-in-IP...) both ways
 *   fragment    UDP or echo datagrams split into IPv4 / IPv6 fragments, sometimes without the first fragment
 *   denied      SYNs (with retransmissions) or UDP to a closed port, from outside
 *   scan        one outside host SYN-scanning a run of ports on one interface address, a few RSTs back
 *   arp         an ARP request and reply (non-IP frames)
 * and where the endpoints are (`FlowPath`):
 *   rule        made to match one rule of one interface's groups (a port in its range, a remote in its CIDR/group/address group)
 *   internal    between two interfaces (two hops)
 *   intra-group between two interfaces that share a group
 *   inbound     from an outside address to an interface
 *   outbound    from an interface to an outside address
 *   unmanaged   between two outside addresses
 *   local       between two addresses of one interface
 * Idle flows (`idleShare` of TCP and UDP flows) pause once for longer than
 * the conntrack timeout of their state at their interfaces (SEMANTICS §5:
 * e.g. 911+ s for an established TCP flow on aliyun, 31+ s for UDP), unless
 * that is above `maxIdleSeconds` (then they do not pause).
 */
import { DEFAULT_TIMEOUTS, addressKey, indexTopology, type ConntrackTimeouts, type NetworkInterface, type Rule, type Topology, type TopologyIndex } from '../model/topology.js';
import type { Family, PacketRecord, QuotedHeader } from '../model/packet.js';
import { PROTO, TCP_FLAG } from '../model/packet.js';
import type { Cidr } from '../model/address.js';
import { familyBits } from '../model/address.js';
import { concat, ethernet, icmp, ipv4, udp } from '../pcap/build.js';
import { addressBytes, encodeFrame, type L4 } from './frames.js';
import { parseNativeTopology, type NativeTopology } from '../parse/native.js';
import { GEN_ERROR, GenError, checkInt, checkPositive, checkShare } from './errors.js';
import { OUTSIDE_V4, OUTSIDE_V6 } from './topology.js';
import { Prng } from './prng.js';

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

export function resolveTrafficOptions(o: TrafficGenOptions): ResolvedTrafficGenOptions {
  if (typeof o !== 'object' || o === null) throw new GenError(GEN_ERROR.BAD_OPTION, 'traffic options must be an object');
  if (typeof o.seed !== 'number' || !Number.isSafeInteger(o.seed)) {
    throw new GenError(GEN_ERROR.BAD_OPTION, `seed must be a safe integer, got ${JSON.stringify(o.seed)}`, 'seed');
  }
  const packets = o.packets === undefined ? Number.POSITIVE_INFINITY : checkInt('packets', o.packets, 0);
  const flows = o.flows === undefined ? (o.packets === undefined ? 1000 : Number.POSITIVE_INFINITY) : checkInt('flows', o.flows, 0);
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
    packetsPerFlow: checkPositive('packetsPerFlow', o.packetsPerFlow ?? 10),
    mix,
    ipv6Share: checkShare('ipv6Share', o.ipv6Share ?? 0.2),
    vlanShare: checkShare('vlanShare', o.vlanShare ?? 0.1),
    fragmentShare: checkShare('fragmentShare', o.fragmentShare ?? 0.03),
    deniedShare: checkShare('deniedShare', o.deniedShare ?? 0.05),
    scanShare: checkShare('scanShare', o.scanShare ?? 0.02),
    idleShare: checkShare('idleShare', o.idleShare ?? 0.02),
    arpShare: checkShare('arpShare', o.arpShare ?? 0.005),
    backwardsShare: checkShare('backwardsShare', o.backwardsShare ?? 0),
    flowGapUs: checkPositive('flowGapUs', o.flowGapUs ?? 1000),
    rttUs: checkPositive('rttUs', o.rttUs ?? 2000),
    maxIdleSeconds: checkPositive('maxIdleSeconds', o.maxIdleSeconds ?? 3600),
    payloadMax: checkInt('payloadMax', o.payloadMax ?? 256, 0, 9000),
    start: checkInt('start', o.start ?? 1_700_000_000, 0, 0xffffffff - 200 * 86400),
    nanos: o.nanos ?? false,
    intents: o.intents ?? false,
    routers: checkInt('routers', o.routers ?? 0, 0, 256),
  };
  if (typeof r.nanos !== 'boolean') throw new GenError(GEN_ERROR.BAD_OPTION, `nanos must be a boolean, got ${JSON.stringify(r.nanos)}`, 'nanos');
  const special = r.fragmentShare + r.deniedShare + r.scanShare + r.arpShare;
  if (special > 1) {
    throw new GenError(GEN_ERROR.BAD_OPTION, `fragmentShare + deniedShare + scanShare + arpShare must not exceed 1 (got ${Number(special.toFixed(6))})`, 'fragmentShare');
  }
  return r;
}

// ---------------------------------------------------------------------------
// Topology view

/** Accept a validated model or a native document (validated here). */
export function toModel(t: Topology | NativeTopology): Topology {
  const maybe = t as Topology;
  const isModel = Array.isArray(maybe.interfaces) && maybe.interfaces.every((i) => i.ips.every((a) => typeof a === 'object') && typeof i.conntrack === 'object') &&
    maybe.securityGroups.every((g) => g.rules.every((r) => typeof r.index === 'number'));
  if (isModel) return maybe;
  const r = parseNativeTopology(t);
  if (!r.topology) {
    const first = r.issues.find((i) => i.severity === 'error');
    throw new GenError(GEN_ERROR.BAD_TOPOLOGY, `the topology is not valid: ${first ? `${first.path}: ${first.message}` : 'unknown error'}`);
  }
  return r.topology;
}

interface IfaceAddrs {
  iface: NetworkInterface;
  v4: bigint[];
  v6: bigint[];
}

class View {
  readonly index: TopologyIndex;
  readonly ifaces: IfaceAddrs[];
  readonly withV4: IfaceAddrs[];
  readonly withV6: IfaceAddrs[];
  /** Groups with at least two member interfaces, per family. */
  readonly sharedGroups: { 4: IfaceAddrs[][]; 6: IfaceAddrs[][] };
  /** Interfaces with two addresses of one family. */
  readonly multi: { 4: IfaceAddrs[]; 6: IfaceAddrs[] };
  /** (interface, group, rule) triples to aim flows at. */
  readonly rules: { at: IfaceAddrs; rule: Rule }[];
  /** Port ranges the rules name, for flows not aimed at one rule. */
  readonly tcpPorts: { from: number; to: number }[];
  readonly udpPorts: { from: number; to: number }[];
  readonly defaults: ConntrackTimeouts;

  constructor(readonly topology: Topology) {
    this.index = indexTopology(topology);
    this.ifaces = topology.interfaces.map((iface) => ({
      iface,
      v4: iface.ips.filter((a) => a.family === 4).map((a) => a.value),
      v6: iface.ips.filter((a) => a.family === 6).map((a) => a.value),
    }));
    this.withV4 = this.ifaces.filter((i) => i.v4.length > 0);
    this.withV6 = this.ifaces.filter((i) => i.v6.length > 0);
    const byId = new Map(this.ifaces.map((i) => [i.iface.id, i] as const));
    this.sharedGroups = { 4: [], 6: [] };
    for (const g of topology.securityGroups) {
      const members = (this.index.members.get(g.id) ?? []).map((m) => byId.get(m.id)!);
      for (const fam of [4, 6] as const) {
        const have = members.filter((m) => (fam === 4 ? m.v4 : m.v6).length > 0);
        if (have.length >= 2) this.sharedGroups[fam].push(have);
      }
    }
    this.multi = { 4: this.ifaces.filter((i) => i.v4.length >= 2), 6: this.ifaces.filter((i) => i.v6.length >= 2) };
    this.rules = [];
    this.tcpPorts = [];
    this.udpPorts = [];
    for (const at of this.ifaces) {
      for (const gid of at.iface.groups) {
        for (const rule of this.index.groups.get(gid)?.rules ?? []) {
          this.rules.push({ at, rule });
        }
      }
    }
    for (const g of topology.securityGroups) {
      for (const rule of g.rules) {
        if (rule.ports && (rule.protocol === PROTO.TCP || rule.protocol === 'all')) this.tcpPorts.push(...rule.ports);
        if (rule.ports && (rule.protocol === PROTO.UDP || rule.protocol === 'all')) this.udpPorts.push(...rule.ports);
      }
    }
    this.defaults = DEFAULT_TIMEOUTS[topology.cloud];
  }

  owner(family: Family, a: bigint): NetworkInterface | undefined {
    return this.index.owner.get(addressKey(family, a));
  }

}

// ---------------------------------------------------------------------------
// Flows

interface Flow {
  id: number;
  kind: FlowKind;
  path: FlowPath;
  family: Family;
  /** Client (initiator) and server addresses. */
  c: bigint;
  s: bigint;
  /** The same, as bytes (set once the endpoints are chosen). */
  cb: Uint8Array;
  sb: Uint8Array;
  sport: number;
  dport: number;
  /** IP protocol for `other` flows. */
  proto: number;
  vlans?: [number, number][];
  /** IPv4 identification counter. */
  ipId: number;
  /** Pause once (ns) longer than the conntrack timeout, or 0. */
  idleNs: number;
  /** Packets the script aims for. */
  n: number;
}

/** One packet of a script: delay before it (ns, before rounding) and the frame. */
interface Step {
  dt: number;
  data: Uint8Array;
  intent?: PacketRecord;
  /** Counters for the summary. */
  frag?: boolean;
  orphan?: boolean;
  icmpError?: boolean;
  idle?: boolean;
}

const PAYLOAD = (() => {
  const b = new Uint8Array(65536);
  for (let i = 0; i < b.length; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
})();

const SERVICE_TCP = [22, 80, 443, 3306, 5432, 6379, 8080, 8443, 9100, 25, 3389, 27017];
const SERVICE_UDP = [53, 123, 161, 500, 514, 1194, 4500, 5353];
const OTHER_PROTOS_V4 = [132, 50, 4, 41];
const OTHER_PROTOS_V6 = [132, 50, 4, 41];
const EMPTY = new Uint8Array(0);
const BROADCAST = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ETHERTYPE_ARP = 0x0806;

function mac(a: bigint): Uint8Array {
  const v = Number(a & 0xffffffffn);
  return new Uint8Array([0x02, 0x00, (v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]);
}

export class TrafficGenerator {
  readonly options: ResolvedTrafficGenOptions;
  readonly topology: Topology;
  private readonly view: View;
  private readonly rng: Prng;
  private readonly res: number;
  private readonly summary: TrafficSummary;
  private started = false;
  private activeIdle = 0;
  private lastSec = 0;
  private lastNsec = 0;

  constructor(topology: Topology | NativeTopology, options: TrafficGenOptions) {
    this.options = resolveTrafficOptions(options);
    this.topology = toModel(topology);
    this.view = new View(this.topology);
    if (this.view.ifaces.length === 0) throw new GenError(GEN_ERROR.BAD_TOPOLOGY, 'the topology has no interfaces: there is nothing to send traffic to');
    if (this.view.withV4.length === 0 && this.view.withV6.length === 0) throw new GenError(GEN_ERROR.BAD_TOPOLOGY, 'the topology owns no address');
    this.rng = new Prng(this.options.seed).fork('traffic');
    this.res = this.options.nanos ? 1 : 1000;
    this.summary = {
      packets: 0, bytes: 0, flows: 0,
      flowsByKind: Object.fromEntries(FLOW_KINDS.map((k) => [k, 0])) as Record<FlowKind, number>,
      flowsByPath: Object.fromEntries(FLOW_PATHS.map((k) => [k, 0])) as Record<FlowPath, number>,
      packetsByKind: Object.fromEntries(FLOW_KINDS.map((k) => [k, 0])) as Record<FlowKind, number>,
      ipv6Packets: 0, vlanPackets: 0, qinqPackets: 0, fragmentPackets: 0, orphanFragments: 0, icmpErrorPackets: 0,
      nonIpPackets: 0, idleGaps: 0, idleSkipped: 0, backwardsTimestamps: 0, peakActiveFlows: 0,
    };
  }

  /** The summary so far (complete once `frames()` is exhausted). */
  stats(): TrafficSummary {
    const s = structuredClone(this.summary);
    if (s.packets > 0) s.lastTs = tsString(this.lastSec, this.lastNsec, this.options.nanos);
    return s;
  }

  /** The frames, in capture order. Can be iterated once. */
  *frames(): Generator<GenFrame> {
    if (this.started) throw new Error('TrafficGenerator: frames() can be iterated once');
    this.started = true;
    const o = this.options;
    const rng = this.rng;
    const heap = new FlowHeap();
    let nextArrival = 0;
    let flowsStarted = 0;
    let sched = 0;
    let lastWritten = 0;
    const summary = this.summary;
    const res = this.res;
    const round = (dt: number) => Math.max(0, Math.round(dt / res) * res);

    while (summary.packets < o.packets) {
      const haveMore = flowsStarted < o.flows;
      if (haveMore && (heap.size === 0 || nextArrival <= heap.peekTime())) {
        // Start a flow.
        flowsStarted++;
        const flow = this.newFlow(flowsStarted);
        const script = this.script(flow);
        const first = script.next();
        if (!first.done) heap.push({ t: nextArrival + round(first.value.dt), seq: sched++, flow, script, step: first.value });
        nextArrival += round(rng.exp(o.flowGapUs * 1000));
        if (heap.size > summary.peakActiveFlows) summary.peakActiveFlows = heap.size;
        continue;
      }
      if (heap.size === 0) break;
      const e = heap.pop()!;
      const step = e.step;
      // Emit.
      let t = e.t;
      if (o.backwardsShare > 0 && lastWritten > 0 && rng.chance(o.backwardsShare)) {
        t = Math.max(0, lastWritten - res * rng.range(1, 1000));
        summary.backwardsTimestamps++;
      }
      lastWritten = t;
      const sec = o.start + Math.floor(t / 1e9);
      const nsec = t % 1e9;
      const frame: GenFrame = { sec, nsec, data: step.data, kind: e.flow.kind, flow: e.flow.id };
      if (step.intent) {
        step.intent.ts = BigInt(sec) * 1_000_000_000n + BigInt(nsec);
        frame.intent = step.intent;
      }
      this.count(e.flow, step);
      if (summary.firstTs === undefined) summary.firstTs = tsString(sec, nsec, o.nanos);
      this.lastSec = sec;
      this.lastNsec = nsec;
      yield frame;
      // Next packet of that flow.
      const next = e.script.next();
      if (!next.done) {
        e.t += round(next.value.dt);
        e.step = next.value;
        e.seq = sched++;
        heap.push(e);
      } else if (e.flow.idleNs > 0) {
        this.activeIdle--;
      }
    }
  }

  private count(f: Flow, s: Step): void {
    const m = this.summary;
    m.packets++;
    m.bytes += s.data.byteLength;
    m.packetsByKind[f.kind]++;
    if (f.kind !== 'arp' && f.family === 6) m.ipv6Packets++;
    if (f.vlans) {
      m.vlanPackets++;
      if (f.vlans.length > 1) m.qinqPackets++;
    }
    if (f.kind === 'arp') m.nonIpPackets++;
    if (s.frag) m.fragmentPackets++;
    if (s.orphan) m.orphanFragments++;
    if (s.icmpError) m.icmpErrorPackets++;
    if (s.idle) m.idleGaps++;
  }

  // -------------------------------------------------------------------------
  // Choosing a flow

  private newFlow(id: number): Flow {
    const o = this.options;
    const rng = this.rng;
    const v = this.view;
    const r = rng.float();
    let kind: FlowKind | undefined;
    let acc = o.scanShare;
    if (r < acc) kind = 'scan';
    else if (r < (acc += o.deniedShare)) kind = 'denied';
    else if (r < (acc += o.fragmentShare)) kind = 'fragment';
    else if (r < (acc += o.arpShare)) kind = 'arp';
    let family: Family = v.withV6.length > 0 && (v.withV4.length === 0 || rng.chance(o.ipv6Share)) ? 6 : 4;
    if (kind === 'arp' && v.withV4.length > 0) family = 4;
    const f: Flow = {
      id, kind: kind ?? 'tcp', path: 'inbound', family, c: 0n, s: 0n, cb: EMPTY, sb: EMPTY, sport: this.ephemeral(), dport: 0, proto: 0,
      ipId: rng.int(65536), idleNs: 0, n: 0,
    };
    // Mean packets per flow, drawn around the mean (at least 1).
    const mean = o.packetsPerFlow;
    f.n = Math.max(1, Math.min(Math.round(4 * mean) + 4, 1 + Math.round(rng.exp(Math.max(0, mean - 1)))));

    if (kind === 'scan' || kind === 'denied') {
      const target = this.pickIface(family);
      f.s = rng.pick(family === 4 ? target.v4 : target.v6);
      f.c = this.outside(family);
      f.path = 'inbound';
      f.dport = kind === 'scan' ? rng.range(1, 60000) : rng.range(1024, 65535);
    } else if (kind === 'arp') {
      this.internal(f, false);
      f.path = 'internal';
    } else {
      const pw = rng.weighted([45, 25, 15, 12, 2, 1]);
      let aimed = false;
      if (pw === 0) aimed = this.aim(f, kind === 'fragment');
      if (!aimed) {
        if (pw === 0 || pw === 1) this.internal(f, rng.chance(0.5));
        else if (pw === 2 || pw === 3) this.oneSide(f, pw === 2);
        else if (pw === 4) {
          f.path = 'unmanaged';
          f.c = this.outside(f.family);
          f.s = this.outside(f.family);
        } else if (!this.local(f)) this.internal(f, false);
      }
      if (kind === undefined) {
        kind = aimed ? f.kind : MIX_KINDS[rng.weighted(MIX_KINDS.map((k) => o.mix[k]))]!;
        f.kind = kind;
      }
      if (kind === 'fragment' && !aimed) f.proto = rng.chance(0.5) ? PROTO.UDP : 0;
      if (!aimed || f.dport === 0) this.choosePorts(f);
    }
    if (f.kind === 'other' && f.proto === 0) f.proto = rng.pick(f.family === 4 ? OTHER_PROTOS_V4 : OTHER_PROTOS_V6);
    if (rng.chance(o.vlanShare)) {
      const vid = rng.range(1, 4094);
      f.vlans = rng.chance(1 / 3) ? [[0x88a8, rng.range(1, 4094)], [0x8100, vid]] : [[0x8100, vid]];
    }
    if ((f.kind === 'tcp' || f.kind === 'udp') && rng.chance(o.idleShare)) this.makeIdle(f);
    f.cb = addressBytes(f.family, f.c);
    f.sb = addressBytes(f.family, f.s);
    this.summary.flows++;
    this.summary.flowsByKind[f.kind]++;
    this.summary.flowsByPath[f.path]++;
    return f;
  }

  private ephemeral(): number {
    return this.rng.range(32768, 60999);
  }

  private pickIface(family: Family): IfaceAddrs {
    const pool = family === 4 ? this.view.withV4 : this.view.withV6;
    return this.rng.pick(pool.length > 0 ? pool : family === 4 ? this.view.withV6 : this.view.withV4);
  }

  private addrOf(i: IfaceAddrs, family: Family): bigint {
    return this.rng.pick(family === 4 ? i.v4 : i.v6);
  }

  /** An address no interface owns: from the outside pools. */
  private outside(family: Family): bigint {
    const pools = family === 4 ? OUTSIDE_V4 : OUTSIDE_V6;
    for (let k = 0; k < 8; k++) {
      const [net, len] = this.rng.pick(pools);
      const a = net | this.host(familyBits(family) - len);
      if (!this.view.owner(family, a)) return a;
    }
    return family === 4 ? 0xc6336401n : 0x20010db8ffff00000000000000000001n; // 198.51.100.1 / 2001:db8:ffff::1
  }

  /** Random host bits (never all zero). */
  private host(bits: number): bigint {
    if (bits <= 0) return 0n;
    const h = this.rng.bits(Math.min(bits, 64));
    return h === 0n ? 1n : h;
  }

  /** An address inside a CIDR block (an outside one for /0-ish blocks). */
  private inCidr(c: Cidr): bigint {
    const bits = familyBits(c.family);
    if (c.prefix < (c.family === 4 ? 8 : 32)) return this.rng.chance(0.5) ? this.outside(c.family) : this.addrOf(this.pickIface(c.family), c.family);
    return c.network | this.host(bits - c.prefix);
  }

  private internal(f: Flow, intraGroup: boolean): void {
    const rng = this.rng;
    const fam = f.family;
    const shared = this.view.sharedGroups[fam];
    if (intraGroup && shared.length > 0) {
      const members = rng.pick(shared);
      const a = rng.int(members.length);
      let b = rng.int(members.length - 1);
      if (b >= a) b++;
      f.c = this.addrOf(members[a]!, fam);
      f.s = this.addrOf(members[b]!, fam);
      f.path = 'intra-group';
      return;
    }
    const pool = fam === 4 ? this.view.withV4 : this.view.withV6;
    if (pool.length < 2) return this.oneSide(f, rng.chance(0.5));
    const a = rng.int(pool.length);
    let b = rng.int(pool.length - 1);
    if (b >= a) b++;
    f.c = this.addrOf(pool[a]!, fam);
    f.s = this.addrOf(pool[b]!, fam);
    f.path = 'internal';
  }

  private oneSide(f: Flow, inbound: boolean): void {
    const fam = f.family;
    const i = this.pickIface(fam);
    if ((fam === 4 ? i.v4 : i.v6).length === 0) f.family = fam === 4 ? 6 : 4;
    const mine = this.addrOf(i, f.family);
    const other = this.outside(f.family);
    if (inbound) {
      f.c = other;
      f.s = mine;
      f.path = 'inbound';
    } else {
      f.c = mine;
      f.s = other;
      f.path = 'outbound';
    }
  }

  private local(f: Flow): boolean {
    const pool = this.view.multi[f.family];
    if (pool.length === 0) return false;
    const i = this.rng.pick(pool);
    const addrs = f.family === 4 ? i.v4 : i.v6;
    f.c = addrs[0]!;
    f.s = addrs[1]!;
    f.path = 'local';
    return true;
  }

  /**
   * Aim the flow at one rule of one interface: the interface-side address,
   * a remote address the rule names, the protocol and a port it allows.
   * False when the drawn rule cannot be met (then the caller picks another path).
   */
  private aim(f: Flow, fragment: boolean): boolean {
    const rng = this.rng;
    const v = this.view;
    if (v.rules.length === 0) return false;
    for (let attempt = 0; attempt < 8; attempt++) {
      const { at, rule } = rng.pick(v.rules);
      const fam: Family = rule.ethertype === 'any' ? f.family : rule.ethertype;
      const mine = fam === 4 ? at.v4 : at.v6;
      if (mine.length === 0) continue;
      let local = rng.pick(mine);
      if (rule.local) {
        const inside = mine.filter((a) => (a & ~((1n << BigInt(familyBits(fam) - rule.local!.prefix)) - 1n)) === rule.local!.network);
        if (inside.length > 0) local = rng.pick(inside);
      }
      let remote: bigint;
      const rm = rule.remote;
      if (rm.kind === 'any') remote = rng.chance(0.7) ? this.outside(fam) : this.addrOf(this.pickIface(fam), fam);
      else if (rm.kind === 'cidr') {
        if (rm.cidr.family !== fam) continue;
        remote = this.inCidr(rm.cidr);
      } else if (rm.kind === 'group') {
        const members = (v.index.members.get(rm.group) ?? []).filter((m) => m.ips.some((a) => a.family === fam) && m !== at.iface);
        if (members.length === 0) continue;
        const m = rng.pick(members);
        remote = rng.pick(m.ips.filter((a) => a.family === fam)).value;
      } else {
        const cidrs = (v.index.addressGroups.get(rm.addressGroup)?.cidrs ?? []).filter((c) => c.family === fam);
        if (cidrs.length === 0) continue;
        remote = this.inCidr(rng.pick(cidrs));
      }
      if (remote === local) continue;
      // Protocol -> kind.
      const p = rule.protocol;
      let kind: FlowKind;
      if (fragment) {
        if (p !== 'all' && p !== PROTO.UDP && p !== PROTO.ICMP && p !== PROTO.ICMPV6) continue;
        kind = 'fragment';
        f.proto = p === 'all' ? (rng.chance(0.5) ? PROTO.UDP : 0) : p === PROTO.UDP ? PROTO.UDP : 0;
      } else if (p === 'all') kind = MIX_KINDS[rng.weighted(MIX_KINDS.map((k) => this.options.mix[k]))]!;
      else if (p === PROTO.TCP) kind = 'tcp';
      else if (p === PROTO.UDP) kind = 'udp';
      else if (p === PROTO.ICMP || p === PROTO.ICMPV6) kind = 'echo';
      else if (p === PROTO.GRE) kind = 'gre';
      else {
        kind = 'other';
      }
      // The mix weights hold for aimed flows too: a rule of a kind weighted 0 is not aimed at.
      if (!fragment && (MIX_KINDS as readonly string[]).includes(kind) && this.options.mix[kind as MixKind] === 0) continue;
      if (kind === 'other' && p !== 'all') f.proto = p;
      f.family = fam;
      f.kind = kind;
      f.path = 'rule';
      if (rule.direction === 'ingress') {
        f.c = remote;
        f.s = local;
      } else {
        f.c = local;
        f.s = remote;
      }
      f.dport = 0;
      if ((kind === 'tcp' || kind === 'udp' || (kind === 'fragment' && f.proto === PROTO.UDP)) && rule.ports) {
        const pr = rng.pick(rule.ports);
        f.dport = rng.range(Math.max(1, pr.from), pr.to);
      }
      if (rule.sourcePorts) {
        const pr = rng.pick(rule.sourcePorts);
        f.sport = rng.range(Math.max(1, pr.from), pr.to);
      }
      return true;
    }
    return false;
  }

  private choosePorts(f: Flow): void {
    const rng = this.rng;
    const udpish = f.kind === 'udp' || (f.kind === 'fragment' && f.proto === PROTO.UDP) || f.kind === 'icmp-error';
    const ranges = udpish ? this.view.udpPorts : this.view.tcpPorts;
    if (ranges.length > 0 && rng.chance(0.4)) {
      const pr = rng.pick(ranges);
      f.dport = rng.range(Math.max(1, pr.from), pr.to);
    } else {
      f.dport = rng.pick(udpish ? SERVICE_UDP : SERVICE_TCP);
    }
  }

  private makeIdle(f: Flow): void {
    const o = this.options;
    if (this.activeIdle >= 4096) return; // bound the flows parked in the heap
    // The longest timeout of the state at the interfaces on the path (the cloud's default off the topology).
    const ends = [f.c, f.s].map((a) => this.view.owner(f.family, a)?.conntrack).filter((t): t is ConntrackTimeouts => t !== undefined);
    if (ends.length === 0) ends.push(this.view.defaults);
    const timeout = Math.max(...ends.map((t) => (f.kind === 'tcp' ? t.tcpEstablished : Math.max(t.udp, t.udpReplied))));
    const gap = timeout + 1 + this.rng.float() * 10;
    if (gap > o.maxIdleSeconds) {
      this.summary.idleSkipped++;
      return;
    }
    f.idleNs = gap * 1e9;
    f.n = Math.max(f.n, f.kind === 'tcp' ? 6 : 4);
    this.activeIdle++;
  }

  // -------------------------------------------------------------------------
  // Packets

  private rtt(): number {
    return this.rng.exp(this.options.rttUs * 1000) + 20_000;
  }

  private payloadLen(): number {
    return this.options.payloadMax === 0 ? 0 : this.rng.range(1, this.options.payloadMax);
  }

  private base(f: Flow, fromClient: boolean, proto: number): PacketRecord | undefined {
    if (!this.options.intents) return undefined;
    return { ts: 0n, family: f.family, src: fromClient ? f.c : f.s, dst: fromClient ? f.s : f.c, proto };
  }

  /** The IP packet (no link layer) from one side of the flow. */
  /** The Ethernet frame of one IP packet from one side of the flow (or from `src` to `dst`). */
  private enc(f: Flow, fromClient: boolean, proto: number, l4: L4, frag?: { offset: number; more: boolean; id: number }, src?: Uint8Array, dst?: Uint8Array): Uint8Array {
    if (f.family === 4) f.ipId = (f.ipId + 1) & 0xffff;
    const l3 = { family: f.family, src: src ?? (fromClient ? f.cb : f.sb), dst: dst ?? (fromClient ? f.sb : f.cb), proto, id: f.ipId, ...(frag ? { frag } : {}), ...(f.vlans ? { vlans: f.vlans } : {}) };
    return encodeFrame(l3, l4);
  }

  private tcpStep(f: Flow, fromClient: boolean, flags: number, len: number, dt: number, seq: number, ack: number): Step {
    const sport = fromClient ? f.sport : f.dport;
    const dport = fromClient ? f.dport : f.sport;
    const data = this.enc(f, fromClient, PROTO.TCP, { kind: 'tcp', sport, dport, flags, seq, ack, payload: PAYLOAD.subarray(0, len) });
    const intent = this.base(f, fromClient, PROTO.TCP);
    if (intent) Object.assign(intent, { sport, dport, tcpFlags: flags });
    return intent ? { dt, data, intent } : { dt, data };
  }

  private udpStep(f: Flow, fromClient: boolean, len: number, dt: number): Step {
    const sport = fromClient ? f.sport : f.dport;
    const dport = fromClient ? f.dport : f.sport;
    const data = this.enc(f, fromClient, PROTO.UDP, { kind: 'udp', sport, dport, payload: PAYLOAD.subarray(0, len) });
    const intent = this.base(f, fromClient, PROTO.UDP);
    if (intent) Object.assign(intent, { sport, dport });
    return intent ? { dt, data, intent } : { dt, data };
  }

  private icmpProto(f: Flow): number {
    return f.family === 4 ? PROTO.ICMP : PROTO.ICMPV6;
  }

  private echoStep(f: Flow, request: boolean, id: number, seq: number, len: number, dt: number): Step {
    const type = f.family === 4 ? (request ? 8 : 0) : request ? 128 : 129;
    const proto = this.icmpProto(f);
    const data = this.enc(f, request, proto, { kind: 'icmp', type, code: 0, id, seq, payload: PAYLOAD.subarray(0, len) });
    const intent = this.base(f, request, proto);
    if (intent) Object.assign(intent, { icmpType: type, icmpCode: 0, icmpId: id });
    return intent ? { dt, data, intent } : { dt, data };
  }

  /**
   * An ICMP error sent by `from` to the sender of `offending` (an IP packet
   * from this flow), quoting its IP header and first 8 transport bytes.
   */
  private errorStep(f: Flow, offending: Uint8Array, from: bigint, to: bigint, type: number, code: number, dt: number, quoted: QuotedHeader | undefined): Step {
    const hlen = f.family === 4 ? (offending[0]! & 0x0f) * 4 : 40;
    const quote = offending.subarray(0, Math.min(offending.byteLength, hlen + 8));
    const proto = this.icmpProto(f);
    const l4: L4 = { kind: 'icmp', type, code, id: 0, seq: type === 2 && f.family === 6 ? 1280 : 0, payload: quote };
    const data = this.enc(f, false, proto, l4, undefined, addressBytes(f.family, from), addressBytes(f.family, to));
    let intent: PacketRecord | undefined;
    if (this.options.intents) {
      intent = { ts: 0n, family: f.family, src: from, dst: to, proto, icmpType: type, icmpCode: code };
      if (quoted) intent.quoted = quoted;
    }
    return intent ? { dt, data, intent, icmpError: true } : { dt, data, icmpError: true };
  }

  private script(f: Flow): Generator<Step> {
    switch (f.kind) {
      case 'tcp': return this.tcpScript(f);
      case 'udp': return this.udpScript(f);
      case 'echo': return this.echoScript(f);
      case 'icmp-error': return this.icmpErrorScript(f);
      case 'gre': return this.greScript(f);
      case 'other': return this.otherScript(f);
      case 'fragment': return this.fragmentScript(f);
      case 'denied': return this.deniedScript(f);
      case 'scan': return this.scanScript(f);
      case 'arp': return this.arpScript(f);
    }
  }

  private *tcpScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    const { SYN, ACK, RST, PSH } = TCP_FLAG;
    let cs = rng.u32();
    let ss = rng.u32();
    yield this.tcpStep(f, true, SYN, 0, 0, cs, 0);
    cs = (cs + 1) >>> 0;
    if (rng.chance(0.04)) {
      // Refused: the server answers RST.
      yield this.tcpStep(f, false, RST | ACK, 0, this.rtt(), 0, cs);
      return;
    }
    yield this.tcpStep(f, false, SYN | ACK, 0, this.rtt(), ss, cs);
    ss = (ss + 1) >>> 0;
    yield this.tcpStep(f, true, ACK, 0, this.rtt() / 4, cs, ss);
    const teardown = rng.weighted([70, 20, 10]); // FIN, RST, none
    const tail = teardown === 0 ? 4 : teardown === 1 ? 1 : 0;
    const data = Math.max(0, f.n - 3 - tail);
    const idleAt = f.idleNs > 0 ? rng.int(data + 1) : -1;
    for (let j = 0; j <= data; j++) {
      let dt = rng.exp(this.options.rttUs * 250) + 10_000;
      const idle = j === idleAt;
      if (idle) dt += f.idleNs;
      if (j === data) {
        if (idle) {
          // The pause falls before the teardown: a keepalive-less pause, then the close.
          yield* this.tcpTeardown(f, teardown, dt, cs, ss, true);
          return;
        }
        break;
      }
      const fromClient = rng.chance(0.55);
      const len = rng.chance(0.3) ? 0 : this.payloadLen();
      const step = this.tcpStep(f, fromClient, len > 0 ? PSH | ACK : ACK, len, dt, fromClient ? cs : ss, fromClient ? ss : cs);
      if (idle) step.idle = true;
      yield step;
      if (fromClient) cs = (cs + len) >>> 0;
      else ss = (ss + len) >>> 0;
    }
    yield* this.tcpTeardown(f, teardown, this.rtt(), cs, ss, false);
  }

  private *tcpTeardown(f: Flow, teardown: number, dt: number, cs: number, ss: number, idle: boolean): Generator<Step> {
    const { ACK, FIN, RST } = TCP_FLAG;
    const rng = this.rng;
    if (teardown === 2) {
      // Left open; a pause asked for here ends with a bare ACK.
      if (idle) {
        const s = this.tcpStep(f, true, ACK, 0, dt, cs, ss);
        s.idle = true;
        yield s;
      }
      return;
    }
    const x = rng.chance(0.6); // who closes: true = client
    if (teardown === 1) {
      const s = this.tcpStep(f, x, RST | ACK, 0, dt, x ? cs : ss, x ? ss : cs);
      if (idle) s.idle = true;
      yield s;
      return;
    }
    const first = this.tcpStep(f, x, FIN | ACK, 0, dt, x ? cs : ss, x ? ss : cs);
    if (idle) first.idle = true;
    yield first;
    yield this.tcpStep(f, !x, ACK, 0, this.rtt() / 2, x ? ss : cs, x ? cs + 1 : ss + 1);
    yield this.tcpStep(f, !x, FIN | ACK, 0, rng.exp(1_000_000), x ? ss : cs, x ? cs + 1 : ss + 1);
    yield this.tcpStep(f, x, ACK, 0, this.rtt() / 2, x ? cs + 1 : ss + 1, x ? ss + 1 : cs + 1);
  }

  private *udpScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    const pairs = Math.max(1, Math.ceil(f.n / 2));
    let emitted = 0;
    const idleAt = f.idleNs > 0 ? rng.range(1, Math.max(1, pairs - 1)) : -1;
    for (let k = 0; k < pairs && emitted < f.n; k++) {
      let dt = k === 0 ? 0 : rng.exp(this.options.rttUs * 2000);
      const idle = k === idleAt;
      if (idle) dt += f.idleNs;
      const req = this.udpStep(f, true, this.payloadLen(), dt);
      if (idle) req.idle = true;
      yield req;
      emitted++;
      if (emitted < f.n && rng.chance(0.9)) {
        yield this.udpStep(f, false, this.payloadLen(), this.rtt());
        emitted++;
      }
    }
    if (idleAt >= pairs) {
      // Too short to pause between pairs: pause, then one more request.
      const req = this.udpStep(f, true, this.payloadLen(), f.idleNs);
      req.idle = true;
      yield req;
    }
  }

  private *echoScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    const id = rng.int(65536);
    const pairs = Math.max(1, Math.ceil(f.n / 2));
    let emitted = 0;
    for (let k = 0; k < pairs && emitted < f.n; k++) {
      const len = rng.range(8, 56);
      yield this.echoStep(f, true, id, k + 1, len, k === 0 ? 0 : 1e9 * (0.5 + rng.float()));
      emitted++;
      if (emitted < f.n && rng.chance(0.9)) {
        yield this.echoStep(f, false, id, k + 1, len, this.rtt());
        emitted++;
      }
    }
  }

  private *icmpErrorScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    const v6 = f.family === 6;
    const rounds = Math.max(1, Math.floor(f.n / 2));
    const variant = rng.weighted([50, 30, 20]); // UDP -> unreachable, TCP SYN -> time exceeded, echo -> unreachable
    const router = this.options.routers > 0 ? routerAddress(f.family, rng.int(this.options.routers)) : this.outside(f.family);
    const echoId = rng.int(65536);
    for (let k = 0; k < rounds; k++) {
      const dt = k === 0 ? 0 : 1e9 * (0.2 + rng.float());
      let req: Step;
      let proto: number;
      let q: QuotedHeader | undefined;
      if (variant === 0) {
        req = this.udpStep(f, true, this.payloadLen(), dt);
        proto = PROTO.UDP;
        if (this.options.intents) q = { family: f.family, src: f.c, dst: f.s, proto, sport: f.sport, dport: f.dport };
      } else if (variant === 1) {
        req = this.tcpStep(f, true, TCP_FLAG.SYN, 0, dt, rng.u32(), 0);
        proto = PROTO.TCP;
        if (this.options.intents) q = { family: f.family, src: f.c, dst: f.s, proto, sport: f.sport, dport: f.dport };
      } else {
        req = this.echoStep(f, true, echoId, k + 1, 32, dt);
        proto = this.icmpProto(f);
        if (this.options.intents) q = { family: f.family, src: f.c, dst: f.s, proto, icmpType: v6 ? 128 : 8, icmpId: echoId };
      }
      // With a router pool, a quarter of the errors quote a request the capture
      // does not hold (sent by another path): not related, judged by the rules.
      if (this.options.routers === 0 || !rng.chance(0.25)) yield req;
      const ip = req.data.subarray(14 + 4 * (f.vlans?.length ?? 0));
      let type: number, code: number, from: bigint;
      if (variant === 1) {
        [type, code, from] = v6 ? [3, 0, router] : [11, 0, router];
      } else if (variant === 0) {
        // Port unreachable from the server, or now and then "packet too big" / "fragmentation needed" from a router.
        if (rng.chance(0.8)) [type, code, from] = v6 ? [1, 4, f.s] : [3, 3, f.s];
        else [type, code, from] = v6 ? [2, 0, router] : [3, 4, router];
      } else {
        [type, code, from] = v6 ? [1, 3, router] : [3, 1, router];
      }
      yield this.errorStep(f, ip, from, f.c, type, code, this.rtt(), q);
    }
  }

  private *greScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    for (let k = 0; k < f.n; k++) {
      const fromClient = k === 0 || rng.chance(0.5);
      const inner = ipv4({ src: 0xc0a80001n + BigInt(rng.int(200)), dst: 0xc0a80101n, proto: PROTO.UDP, id: k }, udp({ sport: 4789, dport: 4789 }, PAYLOAD.subarray(0, rng.range(0, 64))));
      const l4 = concat(new Uint8Array([0, 0, 0x08, 0x00]), inner);
      const data = this.enc(f, fromClient, PROTO.GRE, { kind: 'raw', payload: l4 });
      const intent = this.base(f, fromClient, PROTO.GRE);
      const dt = k === 0 ? 0 : rng.exp(this.options.rttUs * 500);
      yield intent ? { dt, data, intent } : { dt, data };
    }
  }

  private *otherScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    for (let k = 0; k < f.n; k++) {
      const fromClient = k === 0 || rng.chance(0.5);
      const data = this.enc(f, fromClient, f.proto, { kind: 'raw', payload: PAYLOAD.subarray(0, rng.range(20, 120)) });
      const intent = this.base(f, fromClient, f.proto);
      const dt = k === 0 ? 0 : rng.exp(this.options.rttUs * 500);
      yield intent ? { dt, data, intent } : { dt, data };
    }
  }

  /** Fragmented UDP (f.proto 17) or echo (f.proto 0) datagrams. */
  private *fragmentScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    const udpFlow = f.proto === PROTO.UDP;
    const proto = udpFlow ? PROTO.UDP : this.icmpProto(f);
    const echoId = rng.int(65536);
    const datagrams = Math.max(1, Math.floor(f.n / 3));
    let fragId = rng.u32();
    for (let k = 0; k < datagrams; k++) {
      const chunk = 8 * rng.range(32, 96); // 256-768 bytes per fragment
      const size = rng.range(chunk + 16, 3 * chunk);
      const body = PAYLOAD.subarray(0, size - 8);
      const l4 = udpFlow ? udp({ sport: f.sport, dport: f.dport }, body) : icmp({ type: f.family === 4 ? 8 : 128, code: 0, id: echoId, seq: k + 1 }, body);
      const id = f.family === 4 ? (f.ipId = (f.ipId + 1) & 0xffff) : (fragId = (fragId + 1) >>> 0);
      const orphan = rng.chance(0.2); // later fragments without the first
      let first = true;
      for (let off = 0; off < l4.byteLength; off += chunk) {
        const more = off + chunk < l4.byteLength;
        const piece = l4.subarray(off, Math.min(l4.byteLength, off + chunk));
        const dt = first && k > 0 ? 1e9 * (0.2 + rng.float()) : 20_000 + rng.int(200_000);
        if (off === 0 && orphan) {
          first = false;
          continue;
        }
        const data = this.enc(f, true, proto, { kind: 'raw', payload: piece }, { offset: off, more, id });
        const intent = this.base(f, true, proto);
        if (intent) {
          if (off === 0) {
            if (udpFlow) Object.assign(intent, { sport: f.sport, dport: f.dport });
            else Object.assign(intent, { icmpType: f.family === 4 ? 8 : 128, icmpCode: 0, icmpId: echoId });
          }
          Object.assign(intent, { fragOffset: off, moreFragments: more, fragId: id });
        }
        const step: Step = { dt, data, frag: true };
        if (intent) step.intent = intent;
        if (orphan) step.orphan = true;
        first = false;
        yield step;
      }
      if (rng.chance(0.7)) {
        yield udpFlow ? this.udpStep(f, false, this.payloadLen(), this.rtt()) : this.echoStep(f, false, echoId, k + 1, 32, this.rtt());
      }
    }
  }

  private *deniedScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    if (rng.chance(0.75)) {
      const tries = Math.min(f.n, 3);
      const isn = rng.u32();
      for (let k = 0; k < tries; k++) yield this.tcpStep(f, true, TCP_FLAG.SYN, 0, k === 0 ? 0 : 1e9 * 2 ** (k - 1), isn, 0);
    } else {
      const tries = Math.min(f.n, 2);
      for (let k = 0; k < tries; k++) yield this.udpStep(f, true, this.payloadLen(), k === 0 ? 0 : 1e9);
    }
  }

  private *scanScript(f: Flow): Generator<Step> {
    const rng = this.rng;
    const count = Math.max(1, f.n);
    const sequential = rng.chance(0.6);
    const isn = rng.u32();
    for (let k = 0; k < count; k++) {
      const port = sequential ? ((f.dport + k - 1) % 65535) + 1 : rng.range(1, 65535);
      f.dport = port;
      yield this.tcpStep(f, true, TCP_FLAG.SYN, 0, k === 0 ? 0 : 100_000 + rng.int(2_000_000), isn, 0);
      if (rng.chance(0.2)) yield this.tcpStep(f, false, TCP_FLAG.RST | TCP_FLAG.ACK, 0, this.rtt(), 0, (isn + 1) >>> 0);
    }
  }

  private *arpScript(f: Flow): Generator<Step> {
    const arp = (op: number, sha: Uint8Array, spa: bigint, tha: Uint8Array, tpa: bigint): Uint8Array => {
      const b = new Uint8Array(28);
      const dv = new DataView(b.buffer);
      dv.setUint16(0, 1); // Ethernet
      dv.setUint16(2, 0x0800);
      b[4] = 6;
      b[5] = 4;
      dv.setUint16(6, op);
      b.set(sha, 8);
      dv.setUint32(14, Number(spa & 0xffffffffn));
      b.set(tha, 18);
      dv.setUint32(24, Number(tpa & 0xffffffffn));
      return b;
    };
    const cm = mac(f.c);
    const sm = mac(f.s);
    const mk = (dt: number, dst: Uint8Array, src: Uint8Array, body: Uint8Array): Step => {
      const data = ethernet(f.vlans ? { type: ETHERTYPE_ARP, dst, src, vlans: f.vlans } : { type: ETHERTYPE_ARP, dst, src }, body);
      return this.options.intents ? { dt, data, intent: { ts: 0n, reason: 'non-ip' } } : { dt, data };
    };
    yield mk(0, BROADCAST, cm, arp(1, cm, f.c, new Uint8Array(6), f.s));
    yield mk(this.rtt() / 4, cm, sm, arp(2, sm, f.s, cm, f.c));
  }
}

function tsString(sec: number, nsec: number, nanos: boolean): string {
  return nanos ? `${sec}.${String(nsec).padStart(9, '0')}` : `${sec}.${String(Math.floor(nsec / 1000)).padStart(6, '0')}`;
}

interface HeapEntry {
  t: number;
  seq: number;
  flow: Flow;
  script: Generator<Step>;
  step: Step;
}

/** Binary min-heap on (t, seq). */
class FlowHeap {
  private readonly a: HeapEntry[] = [];
  get size(): number {
    return this.a.length;
  }
  peekTime(): number {
    return this.a[0]!.t;
  }
  private less(x: HeapEntry, y: HeapEntry): boolean {
    return x.t < y.t || (x.t === y.t && x.seq < y.seq);
  }
  push(e: HeapEntry): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): HeapEntry | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

/** Convenience: the frames for a topology (a generator; see TrafficGenerator for the summary). */
export function generateTraffic(topology: Topology | NativeTopology, options: TrafficGenOptions): Generator<GenFrame> {
  return new TrafficGenerator(topology, options).frames();
}

/** Router `k` of the `routers` pool: 203.0.113.(1 + k) / 2001:db8:eeee::ff:(1 + k) (documentation ranges, outside every generated topology). */
function routerAddress(family: Family, k: number): bigint {
  return family === 4 ? 0xcb007101n + BigInt(k) : 0x20010db8eeee00000000000000ff0001n + BigInt(k);
}
