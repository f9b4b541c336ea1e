/**
 * Reference connection tracking: SEMANTICS.md §5 in code. One table per
 * interface. Time is the packet's timestamp, passed in; nothing reads a clock.
 *
 * Flow key: family, protocol, and the two (address, port) endpoints in
 * canonical order. Ports: TCP/UDP ports; ICMP/ICMPv6 echo: the identifier on
 * both sides; everything else 0.
 */
import { PROTO, TCP_FLAG, isEcho, secondsToNs, type Family } from '../model/packet.js';
import type { ConntrackTimeouts } from '../model/topology.js';

export type FlowState =
  | 'tcp-opening'
  | 'tcp-established'
  | 'tcp-closing'
  | 'udp-unreplied'
  | 'udp-replied'
  | 'icmp'
  | 'other';

/** The fields of a packet (or of a quoted header) that make its flow. */
export interface FlowTuple {
  family: Family;
  proto: number;
  src: bigint;
  dst: bigint;
  /** Endpoint "ports" as defined above (already mapped: echo id, or 0). */
  sport: number;
  dport: number;
}

export interface FlowEntry {
  state: FlowState;
  /** The original direction's source endpoint (address and port). */
  origSrc: bigint;
  origSport: number;
  /** Last packet time seen, ns. */
  lastSeen: bigint;
  finOrig: boolean;
  finReply: boolean;
}

/** The conntrack port of a packet: TCP/UDP port, echo id, or 0. */
export function flowPorts(
  family: Family,
  proto: number,
  sport: number | undefined,
  dport: number | undefined,
  icmpType: number | undefined,
  icmpId: number | undefined,
): [number, number] {
  if (proto === PROTO.TCP || proto === PROTO.UDP) return [sport ?? 0, dport ?? 0];
  if (isEcho(family, proto, icmpType)) return [icmpId ?? 0, icmpId ?? 0];
  return [0, 0];
}

/** Canonical key: the smaller (address, port) endpoint first. */
export function flowKey(t: FlowTuple): string {
  const a = `${t.src.toString(16)}/${t.sport}`;
  const b = `${t.dst.toString(16)}/${t.dport}`;
  const first = t.src < t.dst || (t.src === t.dst && t.sport <= t.dport);
  return `${t.family}|${t.proto}|${first ? a : b}|${first ? b : a}`;
}

export { secondsToNs };

export function timeoutOf(state: FlowState, t: ConntrackTimeouts): number {
  switch (state) {
    case 'tcp-opening': return t.tcpOpening;
    case 'tcp-established': return t.tcpEstablished;
    case 'tcp-closing': return t.tcpClosing;
    case 'udp-unreplied': return t.udp;
    case 'udp-replied': return t.udpReplied;
    case 'icmp': return t.icmp;
    case 'other': return t.other;
  }
}

function initialState(family: Family, proto: number): FlowState {
  if (proto === PROTO.TCP) return 'tcp-opening';
  if (proto === PROTO.UDP) return 'udp-unreplied';
  if ((family === 4 && proto === PROTO.ICMP) || (family === 6 && proto === PROTO.ICMPV6)) return 'icmp';
  return 'other';
}

export type CreateResult = 'created' | 'full';

export class ConntrackTable {
  private readonly entries = new Map<string, FlowEntry>();
  private readonly timeoutsNs: Record<FlowState, bigint>;
  /** Most live entries ever held at once (after purges). */
  peak = 0;

  constructor(readonly timeouts: ConntrackTimeouts, readonly capacity: number) {
    const states: FlowState[] = ['tcp-opening', 'tcp-established', 'tcp-closing', 'udp-unreplied', 'udp-replied', 'icmp', 'other'];
    this.timeoutsNs = Object.fromEntries(states.map((s) => [s, secondsToNs(timeoutOf(s, timeouts))])) as Record<FlowState, bigint>;
  }

  /** "An entry is live while now - lastSeen <= timeout(state)." */
  isLive(e: FlowEntry, now: bigint): boolean {
    return now - e.lastSeen <= this.timeoutsNs[e.state];
  }

  /** The live entry of this flow, or undefined (an expired entry is as good as absent). */
  lookup(t: FlowTuple, now: bigint): FlowEntry | undefined {
    const e = this.entries.get(flowKey(t));
    return e && this.isLive(e, now) ? e : undefined;
  }

  /**
   * A packet hit a live entry: apply the state changes of §5 and refresh.
   * `tcpFlags` only for TCP.
   */
  hit(e: FlowEntry, t: FlowTuple, now: bigint, tcpFlags: number): void {
    // The reply direction is the one whose source is not the original source endpoint.
    const isReply = !(t.src === e.origSrc && t.sport === e.origSport);
    if (e.state === 'tcp-opening' && isReply) e.state = 'tcp-established';
    if (e.state === 'udp-unreplied' && isReply) e.state = 'udp-replied';
    if (t.proto === PROTO.TCP && e.state !== 'tcp-closing') {
      if (tcpFlags & TCP_FLAG.RST) e.state = 'tcp-closing';
      else if (tcpFlags & TCP_FLAG.FIN) {
        if (isReply) e.finReply = true;
        else e.finOrig = true;
        if (e.finOrig && e.finReply) e.state = 'tcp-closing';
      }
    }
    if (now > e.lastSeen) e.lastSeen = now;
  }

  /**
   * Create the entry of an allowed first packet (original direction = this
   * packet's). Purges expired entries when the table is at capacity; 'full'
   * when every entry is live.
   */
  create(t: FlowTuple, now: bigint, tcpFlags: number): CreateResult {
    const key = flowKey(t);
    const old = this.entries.get(key);
    if (old) this.entries.delete(key); // expired (a live one would have been hit)
    if (this.entries.size >= this.capacity) {
      for (const [k, e] of this.entries) if (!this.isLive(e, now)) this.entries.delete(k);
      if (this.entries.size >= this.capacity) return 'full';
    }
    const e: FlowEntry = {
      state: initialState(t.family, t.proto),
      origSrc: t.src,
      origSport: t.sport,
      lastSeen: now,
      finOrig: false,
      finReply: false,
    };
    // The first packet's own flags count (a lone RST, or a FIN).
    if (t.proto === PROTO.TCP) {
      if (tcpFlags & TCP_FLAG.RST) e.state = 'tcp-closing';
      else if (tcpFlags & TCP_FLAG.FIN) e.finOrig = true;
    }
    this.entries.set(key, e);
    if (this.entries.size > this.peak) this.peak = this.entries.size;
    return 'created';
  }

  /** Number of stored entries (live or not yet purged). */
  get size(): number {
    return this.entries.size;
  }
}
