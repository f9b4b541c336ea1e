/**
 * The effective rule list of one hop (interface, direction, family), exactly
 * as the reference evaluator walks it (src/reference/engine.ts byRules):
 *
 *  1. aliyun, ingress: the invisible intra-group rule (SEMANTICS §4 aliyun 1):
 *     allow from the addresses of every other interface that shares a basic
 *     group whose innerAccessPolicy is accept; it overrides custom rules;
 *  2. the custom rules in `orderedRules` order (priority, deny before allow,
 *     group and rule order; huawei: binding order first);
 *  3. the default verdict (`defaultAction`).
 *
 * Every rule becomes boxes (space.ts) with its references expanded: a group
 * reference to the addresses of the group's members, an address group to its
 * CIDRs. All boxes are clipped to the hop's universe: the interface-side
 * address is one of the interface's own addresses, the remote side is any
 * address the interface does not own (a packet between two addresses of one
 * interface is `local` and judged by nothing, §2) — or, for exposure, any
 * address no interface owns (`remote: 'internet'`).
 */
import { prefixMask, type Cidr } from '../model/address.js';
import type { Family } from '../model/packet.js';
import { PROTO } from '../model/packet.js';
import {
  addressKey,
  type Action,
  type Direction,
  type NetworkInterface,
  type Rule,
  type SecurityGroup,
  type TopologyIndex,
} from '../model/topology.js';
import { orderedRules } from '../reference/match.js';
import { BoxList, fullBounds, K, Space, type RawBox } from './space.js';

export type EntryRef =
  | { kind: 'rule'; rule: Rule; group: SecurityGroup }
  | { kind: 'intra-group'; groups: string[] };

export interface Entry {
  ref: EntryRef;
  action: Action;
  /** The entry's boxes in cells, clipped to the universe (may be empty). */
  cells: Int32Array[];
  /** Box index range [start, end) of this entry in the hop's BoxList. */
  start: number;
  end: number;
  /** Why the rule matches nothing before clipping (a reference with no member of this family, …), if so. */
  intrinsicEmpty?: string;
}

export interface HopModel {
  iface: NetworkInterface;
  direction: Direction;
  family: Family;
  space: Space;
  entries: Entry[];
  list: BoxList;
  /** The universe as regions (cells). Empty when the interface has no address of this family. */
  universe: Int32Array[];
  defaultAction: Action;
}

export type RemoteUniverse = 'not-own' | 'internet';

function cidrBounds(c: Cidr): [bigint, bigint] {
  const bits = c.family === 4 ? 32 : 128;
  const all = (1n << BigInt(bits)) - 1n;
  return [c.network, c.network | (all & ~prefixMask(c.family, c.prefix))];
}

/** Sorted disjoint intervals of the complement of `points` within [0, max]. */
function complementOf(points: bigint[], max: bigint): [bigint, bigint][] {
  const sorted = [...new Set(points)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: [bigint, bigint][] = [];
  let at = 0n;
  for (const p of sorted) {
    if (p > at) out.push([at, p - 1n]);
    at = p + 1n;
  }
  if (at <= max) out.push([at, max]);
  return out;
}

/** The remote-side addresses of a rule for `family`, as intervals; null = any. */
function remoteIntervals(rule: Rule, family: Family, index: TopologyIndex): [bigint, bigint][] | null {
  switch (rule.remote.kind) {
    case 'any':
      return null;
    case 'cidr':
      return rule.remote.cidr.family === family ? [cidrBounds(rule.remote.cidr)] : [];
    case 'addressGroup':
      return (index.addressGroups.get(rule.remote.addressGroup)?.cidrs ?? []).filter((c) => c.family === family).map(cidrBounds);
    case 'group': {
      // As isGroupMember: the owner of the address is bound to the group.
      const gid = rule.remote.group;
      const out: [bigint, bigint][] = [];
      for (const m of index.members.get(gid) ?? []) {
        for (const ip of m.ips) {
          if (ip.family !== family) continue;
          const owner = index.owner.get(addressKey(ip.family, ip.value));
          if (owner && owner.groups.includes(gid)) out.push([ip.value, ip.value]);
        }
      }
      return out;
    }
  }
}

/** Raw boxes of a rule for `family` (before clipping), and why there are none when there are none. */
export function ruleBoxes(rule: Rule, family: Family, index: TopologyIndex): { boxes: RawBox[]; empty?: string } {
  const [flo, fhi] = fullBounds(family);
  if (rule.ethertype !== 'any' && rule.ethertype !== family) return { boxes: [], empty: `it is an IPv${rule.ethertype} rule` };
  if (rule.local !== null && rule.local.family !== family) return { boxes: [], empty: `its local CIDR is IPv${rule.local.family}` };
  const remote = remoteIntervals(rule, family, index) ?? [[flo[0]!, fhi[0]!]];
  if (remote.length === 0) {
    const why = rule.remote.kind === 'group'
      ? `the group "${rule.remote.group}" it references has no member with an IPv${family} address`
      : rule.remote.kind === 'addressGroup'
        ? `the address group "${rule.remote.addressGroup}" has no IPv${family} CIDR`
        : `its remote CIDR is not IPv${family}`;
    return { boxes: [], empty: why };
  }
  const local: [bigint, bigint] = rule.local ? cidrBounds(rule.local) : [flo[1]!, fhi[1]!];
  let protos: [bigint, bigint][] = rule.protocol === 'all' ? [[0n, 255n]] : [[BigInt(rule.protocol), BigInt(rule.protocol)]];
  const portsConstrained = rule.ports !== null || rule.sourcePorts !== null;
  if (portsConstrained) {
    // inPorts: a rule with ports never matches a packet without them (anything but tcp/udp).
    protos = [BigInt(PROTO.TCP), BigInt(PROTO.UDP)].filter((p) => protos.some(([l, h]) => p >= l && p <= h)).map((p) => [p, p] as [bigint, bigint]);
    if (protos.length === 0) return { boxes: [], empty: 'it has ports but its protocol carries none' };
  }
  const dports: [bigint, bigint][] = rule.ports ? rule.ports.map((r) => [BigInt(r.from), BigInt(r.to)]) : [[0n, 65535n]];
  const sports: [bigint, bigint][] = rule.sourcePorts ? rule.sourcePorts.map((r) => [BigInt(r.from), BigInt(r.to)]) : [[0n, 65535n]];
  const boxes: RawBox[] = [];
  for (const rm of remote) for (const pr of protos) for (const sp of sports) for (const dp of dports) {
    boxes.push({ lo: [rm[0], local[0], pr[0], sp[0], dp[0]], hi: [rm[1], local[1], pr[1], sp[1], dp[1]] });
  }
  return { boxes };
}

function clip(a: RawBox, b: RawBox): RawBox | null {
  const lo: bigint[] = [];
  const hi: bigint[] = [];
  for (let d = 0; d < K; d++) {
    const l = a.lo[d]! > b.lo[d]! ? a.lo[d]! : b.lo[d]!;
    const h = a.hi[d]! < b.hi[d]! ? a.hi[d]! : b.hi[d]!;
    if (l > h) return null;
    lo.push(l);
    hi.push(h);
  }
  return { lo, hi };
}

/** Interfaces (other than `iface`) whose ingress at `iface` the aliyun intra-group rule allows, with the groups they share. */
export function intraGroupPeers(index: TopologyIndex, iface: NetworkInterface): { peers: NetworkInterface[]; groups: string[] } {
  const accepting = iface.groups.filter((gid) => {
    const g = index.groups.get(gid);
    return g !== undefined && g.type === 'basic' && g.innerAccessPolicy === 'accept';
  });
  const peers = index.topology.interfaces.filter((p) => p !== iface && accepting.some((gid) => p.groups.includes(gid)));
  return { peers, groups: accepting };
}

/** The default verdict of a hop when no rule matched (as ReferenceEngine.defaultVerdict). */
export function defaultAction(index: TopologyIndex, iface: NetworkInterface, dir: Direction): Action {
  switch (index.topology.cloud) {
    case 'aliyun':
      if (dir === 'ingress') return 'deny';
      return iface.groups.some((gid) => index.groups.get(gid)?.type === 'advanced') ? 'deny' : 'allow';
    case 'huawei':
      return 'deny';
    case 'generic':
      return index.topology.defaults[dir];
  }
}

export interface HopOptions {
  remote?: RemoteUniverse;
  /** Extra raw boxes to register in the space (e.g. a diff's other side or a scope). */
  extraBoxes?: RawBox[];
}

/** Unclipped entries of a hop: the intra-group rule (aliyun ingress) and the ordered custom rules. */
export function hopEntries(index: TopologyIndex, iface: NetworkInterface, dir: Direction, family: Family): { ref: EntryRef; action: Action; raw: RawBox[]; empty?: string }[] {
  const out: { ref: EntryRef; action: Action; raw: RawBox[]; empty?: string }[] = [];
  const [flo, fhi] = fullBounds(family);
  if (index.topology.cloud === 'aliyun' && dir === 'ingress') {
    const { peers, groups } = intraGroupPeers(index, iface);
    const raw: RawBox[] = [];
    for (const p of peers) for (const ip of p.ips) {
      if (ip.family !== family) continue;
      // As the engine: the address's owner is the peer.
      if (index.owner.get(addressKey(ip.family, ip.value)) !== p) continue;
      raw.push({ lo: [ip.value, flo[1]!, flo[2]!, flo[3]!, flo[4]!], hi: [ip.value, fhi[1]!, fhi[2]!, fhi[3]!, fhi[4]!] });
    }
    if (groups.length > 0) out.push({ ref: { kind: 'intra-group', groups }, action: 'allow', raw });
  }
  for (const o of orderedRules(index, iface, dir)) {
    const { boxes, empty } = ruleBoxes(o.rule, family, index);
    out.push({ ref: { kind: 'rule', rule: o.rule, group: o.group }, action: o.rule.action, raw: boxes, ...(empty ? { empty } : {}) });
  }
  return out;
}

/** The universe of a hop as raw boxes: own addresses × remote addresses allowed. */
export function universeBoxes(index: TopologyIndex, iface: NetworkInterface, family: Family, remote: RemoteUniverse): RawBox[] {
  const [flo, fhi] = fullBounds(family);
  const own = iface.ips.filter((ip) => ip.family === family && index.owner.get(addressKey(ip.family, ip.value)) === iface).map((ip) => ip.value);
  const excluded = remote === 'internet'
    ? index.topology.interfaces.flatMap((i) => i.ips.filter((ip) => ip.family === family).map((ip) => ip.value))
    : iface.ips.filter((ip) => ip.family === family).map((ip) => ip.value);
  const remotes = complementOf(excluded, fhi[0]!);
  const locals = [...new Set(own)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: RawBox[] = [];
  for (const l of locals) for (const [rl, rh] of remotes) {
    out.push({ lo: [rl, l, flo[2]!, flo[3]!, flo[4]!], hi: [rh, l, fhi[2]!, fhi[3]!, fhi[4]!] });
  }
  return out;
}

/** Build the model of one hop. */
export function buildHop(index: TopologyIndex, iface: NetworkInterface, direction: Direction, family: Family, options: HopOptions = {}): HopModel {
  const universe = universeBoxes(index, iface, family, options.remote ?? 'not-own');
  const raw = hopEntries(index, iface, direction, family);
  const clipped = raw.map((e) => {
    const boxes: RawBox[] = [];
    for (const b of e.raw) for (const u of universe) {
      const c = clip(b, u);
      if (c) boxes.push(c);
    }
    return boxes;
  });
  const space = new Space(family, [...universe, ...clipped.flat(), ...(options.extraBoxes ?? [])]);
  const entries: Entry[] = [];
  const flat: { cells: Int32Array; entry: number }[] = [];
  raw.forEach((e, i) => {
    const cells = clipped[i]!.map((b) => space.cells(b));
    const start = flat.length;
    for (const c of cells) flat.push({ cells: c, entry: i });
    entries.push({ ref: e.ref, action: e.action, cells, start, end: flat.length, ...(e.empty ? { intrinsicEmpty: e.empty } : {}) });
  });
  return {
    iface, direction, family, space, entries,
    list: new BoxList(flat),
    universe: universe.map((u) => space.cells(u)),
    defaultAction: defaultAction(index, iface, direction),
  };
}
