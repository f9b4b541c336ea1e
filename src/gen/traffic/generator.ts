/**
 * Seeded traffic generator (the schedule; the rest of the room is options.ts,
 * view.ts, endpoints.ts, scripts.ts, flow.ts and heap.ts beside it): a topology + options + seed -> a stream of
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
import type { Topology } from '../../model/topology.js';
import type { NativeTopology } from '../../parse/native.js';
import { ApiUsageError } from '../../model/errors.js';
import { GEN_ERROR, GenError } from '../errors.js';
import { Prng } from '../prng.js';
import { FlowChooser } from './endpoints.js';
import type { Flow, Step } from './flow.js';
import { FlowHeap } from './heap.js';
import { FLOW_KINDS, FLOW_PATHS, resolveTrafficOptions, type FlowKind, type FlowPath, type GenFrame, type ResolvedTrafficGenOptions, type TrafficGenOptions, type TrafficSummary } from './options.js';
import { FlowScripts } from './scripts.js';
import { toModel, View } from './view.js';

export class TrafficGenerator {
  readonly options: ResolvedTrafficGenOptions;
  readonly topology: Topology;
  private readonly view: View;
  private readonly rng: Prng;
  private readonly chooser: FlowChooser;
  private readonly scripts: FlowScripts;
  private readonly res: number;
  private readonly summary: TrafficSummary;
  private started = false;
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
    this.chooser = new FlowChooser(this.options, this.view, this.rng, this.summary);
    this.scripts = new FlowScripts(this.options, this.rng, this.chooser);
  }

  /** The summary so far (complete once `frames()` is exhausted). */
  stats(): TrafficSummary {
    const s = structuredClone(this.summary);
    if (s.packets > 0) s.lastTs = tsString(this.lastSec, this.lastNsec, this.options.nanos);
    return s;
  }

  /** The frames, in capture order. Can be iterated once. */
  *frames(): Generator<GenFrame> {
    if (this.started) throw new ApiUsageError('TrafficGenerator: frames() can be iterated once');
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
        const flow = this.chooser.newFlow(flowsStarted);
        const script = this.scripts.script(flow);
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
        this.chooser.activeIdle--;
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
}

function tsString(sec: number, nsec: number, nanos: boolean): string {
  return nanos ? `${sec}.${String(nsec).padStart(9, '0')}` : `${sec}.${String(Math.floor(nsec / 1000)).padStart(6, '0')}`;
}

export function generateTraffic(topology: Topology | NativeTopology, options: TrafficGenOptions): Generator<GenFrame> {
  return new TrafficGenerator(topology, options).frames();
}

