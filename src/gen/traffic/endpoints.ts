/**
 * Choosing a flow: its kind (the special shares, then the mix), family, path
 * (aimed at a rule, internal, intra-group, inbound, outbound, unmanaged,
 * local), endpoints, ports, VLAN tags and idle pause. Every draw comes from
 * the generator's one Prng, in the order the generator asks.
 */
import type { Cidr } from '../../model/address.js';
import { familyBits } from '../../model/address.js';
import type { Family } from '../../model/packet.js';
import { PROTO } from '../../model/packet.js';
import type { ConntrackTimeouts } from '../../model/topology.js';
import type { Prng } from '../prng.js';
import { OUTSIDE_V4, OUTSIDE_V6 } from '../topology.js';
import { addressBytes } from '../frames.js';
import { EMPTY, OTHER_PROTOS_V4, OTHER_PROTOS_V6, SERVICE_TCP, SERVICE_UDP, type Flow } from './flow.js';
import { MIX_KINDS, type FlowKind, type MixKind, type ResolvedTrafficGenOptions, type TrafficSummary } from './options.js';
import type { IfaceAddrs, View } from './view.js';

export class FlowChooser {
  /** Idle flows parked in the schedule (bounded). */
  activeIdle = 0;

  constructor(
    private readonly options: ResolvedTrafficGenOptions,
    private readonly view: View,
    private readonly rng: Prng,
    private readonly summary: TrafficSummary,
  ) {}


  newFlow(id: number): Flow {
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
  outside(family: Family): bigint {
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
}
