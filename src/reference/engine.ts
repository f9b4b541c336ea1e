/**
 * The reference evaluator: SEMANTICS.md §2-§6 in plain code. Every branch
 * names the sentence it implements. It is the oracle for the WASM engine and
 * is deliberately simple rather than fast.
 */
import type { Decision, Hop } from '../model/decision.js';
import { isIcmpError, isNonFirstFragment, PROTO, type PacketRecord } from '../model/packet.js';
import {
  addressKey,
  indexTopology,
  type Action,
  type Direction,
  type NetworkInterface,
  type Topology,
  type TopologyIndex,
} from '../model/topology.js';
import { checkEngineOptions, DEFAULT_CONNTRACK_CAPACITY, DEFAULT_SHARDS, FRAGMENT_MEMORY_PER_SHARD, shardOf } from '../model/shard.js';
import { ConntrackTable, flowPorts, secondsToNs, type FlowTuple } from './conntrack.js';
import { firstMatch, orderedRules, type MatchInput, type OrderedRule } from './match.js';
import { ApiUsageError } from '../model/errors.js';

export interface EngineOptions {
  /**
   * Conntrack entries per interface (SEMANTICS §5: the table is bounded),
   * split evenly over the shards (each holds ceil(capacity / shards)). Default 262144.
   */
  conntrackCapacity?: number;
  /** State shards (src/model/shard.ts). Default 16; the WASM engine must use the same. */
  shards?: number;
}


/** How long a first fragment's verdicts are remembered (§6): 30 s of packet time. */
const FRAGMENT_MEMORY_NS = secondsToNs(30);


interface FragmentMemory {
  verdict: Action;
  firstSeen: bigint;
}

export interface EngineStats {
  packets: number;
  conntrackFull: number;
  /** First fragments whose verdict could not be remembered (the memory was full). */
  fragmentsNotRemembered: number;
  /** Per interface: the most entries held at once. */
  conntrackPeak: Record<string, number>;
}

export class ReferenceEngine {
  readonly index: TopologyIndex;
  /** Per interface, one conntrack table per shard. */
  private readonly conntrack = new Map<string, ConntrackTable[]>();
  /** Per interface, one fragment memory per shard. */
  private readonly fragments = new Map<string, Map<string, FragmentMemory>[]>();
  readonly shards: number;
  /** The shard of the packet being judged. */
  private shard = 0;
  private readonly ordered = new Map<string, OrderedRule[]>();
  private conntrackFull = 0;
  private fragmentsNotRemembered = 0;
  private packets = 0;

  constructor(readonly topology: Topology, options: EngineOptions = {}) {
    checkEngineOptions(options);
    this.index = indexTopology(topology);
    this.shards = options.shards ?? DEFAULT_SHARDS;
    const perShard = Math.ceil((options.conntrackCapacity ?? DEFAULT_CONNTRACK_CAPACITY) / this.shards);
    for (const iface of topology.interfaces) {
      this.conntrack.set(iface.id, Array.from({ length: this.shards }, () => new ConntrackTable(iface.conntrack, perShard)));
      this.fragments.set(iface.id, Array.from({ length: this.shards }, () => new Map()));
      for (const dir of ['ingress', 'egress'] as const) this.ordered.set(`${iface.id}|${dir}`, orderedRules(this.index, iface, dir));
    }
  }

  /** Judge one packet; conntrack state carries over to the next call. */
  judge(p: PacketRecord): Decision {
    this.packets++;
    // §2: not IPv4/IPv6 -> allow, non-ip; undecodable IP -> deny, malformed.
    if (p.reason === 'non-ip') return { verdict: 'allow', reason: 'non-ip', hops: [] };
    if (p.reason === 'malformed' || p.family === undefined || p.src === undefined || p.dst === undefined || p.proto === undefined) {
      return { verdict: 'deny', reason: 'malformed', hops: [] };
    }
    const a = this.index.owner.get(addressKey(p.family, p.src));
    const b = this.index.owner.get(addressKey(p.family, p.dst));
    // §2: neither owned -> unmanaged; both owned by one interface -> local.
    if (!a && !b) return { verdict: 'allow', reason: 'unmanaged', hops: [] };
    if (a && b && a === b) return { verdict: 'allow', reason: 'local', hops: [] };
    this.shard = shardOf(p, this.shards);
    // §2: egress at A, then, only if A allows, ingress at B.
    const hops: Hop[] = [];
    if (a) {
      const hop = this.hop(a, 'egress', p);
      hops.push(hop);
      if (hop.verdict === 'deny') return { verdict: 'deny', hops };
    }
    if (b) {
      const hop = this.hop(b, 'ingress', p);
      hops.push(hop);
      if (hop.verdict === 'deny') return { verdict: 'deny', hops };
    }
    return { verdict: 'allow', hops };
  }

  stats(): EngineStats {
    const peak: Record<string, number> = {};
    for (const [id, tables] of this.conntrack) peak[id] = tables.reduce((n, t) => n + t.peak, 0);
    return { packets: this.packets, conntrackFull: this.conntrackFull, fragmentsNotRemembered: this.fragmentsNotRemembered, conntrackPeak: peak };
  }

  /** One judgement at one interface (§3, §6). */
  private hop(iface: NetworkInterface, dir: Direction, p: PacketRecord): Hop {
    const family = p.family!;
    const proto = p.proto!;
    const now = p.ts;
    const base = { iface: iface.id, dir };

    // §6: a non-first fragment: the remembered verdict, else the rules without ports.
    if (isNonFirstFragment(p)) {
      const memory = this.fragments.get(iface.id)![this.shard]!;
      const seen = memory.get(fragmentKey(p));
      if (seen && now - seen.firstSeen <= FRAGMENT_MEMORY_NS) return { ...base, verdict: seen.verdict, reason: 'fragment' };
      return this.byRules(iface, dir, p, false);
    }

    const hop = this.statefulHop(iface, dir, p, family, proto, now);
    // §6: the first fragment's verdict is remembered at this interface for 30 s.
    if (p.moreFragments === true && (p.fragOffset ?? 0) === 0) this.rememberFragment(iface, p, hop.verdict, now);
    return hop;
  }

  /**
   * §6: remember a first fragment's verdict. The memory of one interface
   * shard is bounded: when it holds FRAGMENT_MEMORY_PER_SHARD datagrams,
   * forgotten ones (older than 30 s) are purged; if none is, this datagram's
   * verdict is not remembered (its later fragments are judged without it).
   */
  private rememberFragment(iface: NetworkInterface, p: PacketRecord, verdict: Action, now: bigint): void {
    const memory = this.fragments.get(iface.id)![this.shard]!;
    const key = fragmentKey(p);
    if (!memory.has(key) && memory.size >= FRAGMENT_MEMORY_PER_SHARD) {
      for (const [k, m] of memory) if (now - m.firstSeen > FRAGMENT_MEMORY_NS) memory.delete(k);
      if (memory.size >= FRAGMENT_MEMORY_PER_SHARD) {
        this.fragmentsNotRemembered++;
        return;
      }
    }
    memory.set(key, { verdict, firstSeen: now });
  }

  /** §3: conntrack first, then related ICMP errors, then the rules. */
  private statefulHop(iface: NetworkInterface, dir: Direction, p: PacketRecord, family: 4 | 6, proto: number, now: bigint): Hop {
    const table = this.conntrack.get(iface.id)![this.shard]!;
    const [sport, dport] = flowPorts(family, proto, p.sport, p.dport, p.icmpType, p.icmpId);
    const tuple: FlowTuple = { family, proto, src: p.src!, dst: p.dst!, sport, dport };
    const base = { iface: iface.id, dir };

    // §3.1: a live entry for this flow at this interface, either direction.
    const entry = table.lookup(tuple, now);
    if (entry) {
      table.hit(entry, tuple, now, p.tcpFlags ?? 0);
      return { ...base, verdict: 'allow', reason: 'established' };
    }
    // §3.2: an ICMP error whose quoted header matches a live entry.
    if (isIcmpError(p) && p.quoted) {
      const q = p.quoted;
      const [qs, qd] = flowPorts(q.family, q.proto, q.sport, q.dport, q.icmpType, q.icmpId);
      if (table.lookup({ family: q.family, proto: q.proto, src: q.src, dst: q.dst, sport: qs, dport: qd }, now)) {
        return { ...base, verdict: 'allow', reason: 'related' };
      }
    }
    // §3.3: the rules; an allow creates the entry (loose tracking: any first packet).
    const hop = this.byRules(iface, dir, p, true);
    if (hop.verdict === 'allow') {
      if (table.create(tuple, now, p.tcpFlags ?? 0) === 'full') {
        this.conntrackFull++;
        return { ...base, verdict: 'deny', reason: 'conntrack-full' };
      }
    }
    return hop;
  }

  /**
   * §4 alone at one interface, for one direction: what the rules decide for a
   * first packet, without conntrack and without the other hop. The analysis
   * (src/analysis) is tested against it.
   */
  ruleHop(ifaceId: string, dir: Direction, p: PacketRecord): Hop {
    const iface = this.index.interfaces.get(ifaceId);
    if (!iface) throw new ApiUsageError(`no interface "${ifaceId}"`);
    return this.byRules(iface, dir, p, true);
  }

  /** §4: the cloud's rule evaluation at one interface. `withPorts` false for non-first fragments. */
  private byRules(iface: NetworkInterface, dir: Direction, p: PacketRecord, withPorts: boolean): Hop {
    const { topology, index } = this;
    const family = p.family!;
    const base = { iface: iface.id, dir };
    const hasPorts = withPorts && (p.proto === PROTO.TCP || p.proto === PROTO.UDP);
    const m: MatchInput = {
      family,
      proto: p.proto!,
      remote: dir === 'ingress' ? p.src! : p.dst!,
      local: dir === 'ingress' ? p.dst! : p.src!,
    };
    if (hasPorts) {
      if (p.sport !== undefined) m.sport = p.sport;
      if (p.dport !== undefined) m.dport = p.dport;
    }

    // aliyun 1: ingress from another interface sharing a basic group whose policy is accept.
    if (topology.cloud === 'aliyun' && dir === 'ingress') {
      const peer = index.owner.get(addressKey(family, p.src!));
      if (peer && peer !== iface && this.sharesAcceptingBasicGroup(iface, peer)) {
        return { ...base, verdict: 'allow', reason: 'intra-group' };
      }
    }
    // aliyun 2 / huawei / generic: the first match in the cloud's order decides.
    const hit = firstMatch(this.ordered.get(`${iface.id}|${dir}`)!, m, index);
    if (hit) return { ...base, verdict: hit.rule.action, reason: 'rule', group: hit.group.id, rule: hit.rule.id };
    // No match: the default.
    return { ...base, verdict: this.defaultVerdict(iface, dir), reason: 'default' };
  }

  private sharesAcceptingBasicGroup(iface: NetworkInterface, peer: NetworkInterface): boolean {
    return iface.groups.some((gid) => {
      const g = this.index.groups.get(gid)!;
      return g.type === 'basic' && g.innerAccessPolicy === 'accept' && peer.groups.includes(gid);
    });
  }

  /** The default verdict when no rule matched (§4). */
  defaultVerdict(iface: NetworkInterface, dir: Direction): Action {
    switch (this.topology.cloud) {
      case 'aliyun': {
        // ingress deny; egress allow if the groups are basic, deny if advanced
        // (an interface mixing both — a lint error — is treated as advanced).
        if (dir === 'ingress') return 'deny';
        const advanced = iface.groups.some((gid) => this.index.groups.get(gid)!.type === 'advanced');
        return advanced ? 'deny' : 'allow';
      }
      case 'huawei':
        return 'deny';
      case 'generic':
        return this.topology.defaults[dir];
    }
  }
}

function fragmentKey(p: PacketRecord): string {
  return `${p.family}|${p.src!.toString(16)}|${p.dst!.toString(16)}|${p.proto}|${p.fragId ?? 0}`;
}
