/**
 * Internet exposure (`sgfilter exposure`): per interface and family, what the
 * internet — every address that no interface of the topology owns — can
 * open at that interface, computed exactly over the effective ingress list
 * (effective.ts with `remote: 'internet'`): priorities, deny rules, every
 * group and the defaults. Each exposed protocol/port set comes with the rule
 * that allows it, the sources that reach it and a witness packet.
 *
 * Also: groups bound to no interface, groups whose every rule is shadowed or
 * empty wherever it is bound, and interfaces whose egress to the internet is
 * open on every protocol and port.
 */
import type { Family } from '../model/packet.js';
import { PROTO } from '../model/packet.js';
import { formatAddress } from '../model/address.js';
import { indexTopology, type Topology, type TopologyIndex } from '../model/topology.js';
import { analyzeTopology, entryJson, type EntryJson, type HopAnalysis } from './anomalies.js';
import { buildHop, type HopModel } from './effective.js';
import { entryName, rulePath, type Finding } from './findings.js';
import { SENSITIVE_SERVICES } from './sensitive.js';
import { DIM, firstMatch, splitBudget } from './space.js';
import { readableRemote, witnessOf } from './witness.js';
import { mergeRanges } from './space.js';

type Ranges = [bigint, bigint][];

export interface ExposedItem {
  family: Family;
  /** 'tcp', 'udp', or 'other' (every protocol but tcp and udp in `protocols`). */
  protocol: 'tcp' | 'udp' | 'other';
  /** tcp/udp: destination port ranges. */
  ports?: [number, number][];
  /** other: protocol number ranges. */
  protocols?: [number, number][];
  /** The allowing entry (a rule, or a generic `allow` default). */
  allowedBy: EntryJson;
  /**
   * Sources that reach it, as CIDR blocks (at most 8 shown, `moreSources`
   * counts the rest) — the topology's own addresses, which are never
   * "internet", count as included — or 'anywhere', or `except`: every address
   * but these blocks.
   */
  sources: string[] | 'anywhere';
  except?: string[];
  moreSources?: number;
  witness: string;
  /** Sensitive services inside the ports. */
  sensitive: string[];
}

export interface InterfaceExposure {
  iface: string;
  exposed: ExposedItem[];
  /** Families whose egress to the internet is allowed for every packet. */
  egressOpen: Family[];
}

export interface ExposureReport {
  interfaces: InterfaceExposure[];
  unattachedGroups: string[];
  allShadowedGroups: string[];
}


/** Merge ranges across gaps made only of owned addresses (never internet sources, so never a real gap). */
function fillOwned(r: Ranges, owned: Set<bigint>, max: bigint): Ranges {
  const out: Ranges = [];
  const gapOwned = (l: bigint, h: bigint) => {
    if (h - l + 1n > BigInt(owned.size)) return false;
    for (let a = l; a <= h; a++) if (!owned.has(a)) return false;
    return true;
  };
  for (const [l, h] of r) {
    const last = out[out.length - 1];
    if (last && gapOwned(last[1] + 1n, l - 1n)) last[1] = h;
    else if (!last && l > 0n && gapOwned(0n, l - 1n)) out.push([0n, h]);
    else out.push([l, h]);
  }
  const last = out[out.length - 1];
  if (last && last[1] < max && gapOwned(last[1] + 1n, max)) last[1] = max;
  return out;
}

/** Every address of `family` that an interface of the topology owns. */
export function ownedAddresses(index: TopologyIndex, family: Family): Set<bigint> {
  return new Set(index.topology.interfaces.flatMap((i) => i.ips.filter((ip) => ip.family === family).map((ip) => ip.value)));
}

/**
 * Remote address ranges as text-friendly CIDR blocks: the owned addresses
 * (which are never sources from the internet, nor remote in the hop's own
 * universe) fill the gaps; 'anywhere', or 'anywhere' `except` a few blocks
 * when that is shorter; at most 8 blocks, `more` counts the rest.
 */
export function summarizeSources(family: Family, ranges: Ranges, owned: Set<bigint>): { sources: string[] | 'anywhere'; except?: string[]; more?: number } {
  const max = family === 4 ? 0xffffffffn : (1n << 128n) - 1n;
  const sources = fillOwned(mergeRanges(ranges), owned, max);
  if (sources.length === 1 && sources[0]![0] === 0n && sources[0]![1] === max) return { sources: 'anywhere' };
  const cidrs = sources.flatMap(([l, h]) => rangeToCidrs(family, l, h));
  const holes: Ranges = [];
  let at = 0n;
  for (const [l, h] of sources) { if (l > at) holes.push([at, l - 1n]); at = h + 1n; }
  if (at <= max) holes.push([at, max]);
  const except = holes.flatMap(([l, h]) => rangeToCidrs(family, l, h));
  if (except.length < cidrs.length && except.length <= 8) return { sources: 'anywhere', except };
  return cidrs.length > 8 ? { sources: cidrs.slice(0, 8), more: cidrs.length - 8 } : { sources: cidrs };
}

/** The CIDR blocks of an address range. */
export function rangeToCidrs(family: Family, lo: bigint, hi: bigint): string[] {
  const bits = family === 4 ? 32 : 128;
  const out: string[] = [];
  let at = lo;
  while (at <= hi) {
    let size = 0;
    while (size < bits && (at & ((1n << BigInt(size + 1)) - 1n)) === 0n && at + (1n << BigInt(size + 1)) - 1n <= hi) size++;
    out.push(`${formatAddress(family, at)}/${bits - size}`);
    at += 1n << BigInt(size);
  }
  return out;
}

interface Acc {
  item: Omit<ExposedItem, 'ports' | 'protocols' | 'sources' | 'sensitive'>;
  values: Ranges;
  sources: Ranges;
  readable: boolean;
}

function familyExposure(hop: HopModel, index: TopologyIndex): ExposedItem[] {
  const acc = new Map<string, Acc>();
  const { space, entries } = hop;
  const budget = splitBudget();
  for (const region of hop.universe) {
    firstMatch(hop.list, region, (piece, e) => {
      const action = e < 0 ? hop.defaultAction : entries[e]!.action;
      if (action !== 'allow') return false;
      const allowedBy = entryJson(e < 0 ? undefined : entries[e], hop);
      const [pl, ph] = space.interval(DIM.PROTO, piece[2 * DIM.PROTO]!, piece[2 * DIM.PROTO + 1]!);
      const [dl, dh] = space.interval(DIM.DPORT, piece[2 * DIM.DPORT]!, piece[2 * DIM.DPORT + 1]!);
      const remote = space.interval(DIM.REMOTE, piece[2 * DIM.REMOTE]!, piece[2 * DIM.REMOTE + 1]!);
      const add = (protocol: 'tcp' | 'udp' | 'other', values: Ranges, proto: number) => {
        const key = `${protocol}|${JSON.stringify(allowedBy)}`;
        let a = acc.get(key);
        if (!a) {
          a = { item: { family: hop.family, protocol, allowedBy, witness: witnessOf(hop, piece, index, proto).witness.packet }, values: [], sources: [], readable: readableRemote(hop, piece, index) };
          acc.set(key, a);
        } else if (!a.readable && readableRemote(hop, piece, index)) {
          a.item.witness = witnessOf(hop, piece, index, proto).witness.packet;
          a.readable = true;
        }
        a.values.push(...values);
        a.sources.push(remote);
      };
      for (const [p, name] of [[PROTO.TCP, 'tcp'], [PROTO.UDP, 'udp']] as const) {
        if (BigInt(p) >= pl && BigInt(p) <= ph) add(name, [[dl, dh]], p);
      }
      // The other protocols of the piece, without 6 and 17.
      const others: Ranges = [];
      let at = pl;
      for (const p of [6n, 17n]) {
        if (p < at || p > ph) continue;
        if (p > at) others.push([at, p - 1n]);
        at = p + 1n;
      }
      if (at <= ph) others.push([at, ph]);
      if (others.length > 0) {
        const icmp = BigInt(hop.family === 4 ? PROTO.ICMP : PROTO.ICMPV6);
        const inIcmp = others.some(([l, h]) => icmp >= l && icmp <= h);
        add('other', others, Number(inIcmp ? icmp : others[0]![0]));
      }
      return false;
    }, 0, hop.list.n, budget);
  }
  const owned = ownedAddresses(index, hop.family);
  const out: ExposedItem[] = [];
  for (const a of acc.values()) {
    const values = mergeRanges(a.values);
    const src = summarizeSources(hop.family, a.sources, owned);
    const item: ExposedItem = { ...a.item, sources: src.sources, sensitive: [] };
    if (src.except) item.except = src.except;
    if (src.more) item.moreSources = src.more;
    const nums = values.map(([l, h]) => [Number(l), Number(h)] as [number, number]);
    if (a.item.protocol === 'other') item.protocols = nums;
    else {
      item.ports = nums;
      item.sensitive = SENSITIVE_SERVICES
        .filter((s) => s.proto === a.item.protocol && nums.some(([l, h]) => s.port >= l && s.port <= h))
        .map((s) => `${s.name} (${s.proto}/${s.port})`);
    }
    out.push(item);
  }
  const order = { tcp: 0, udp: 1, other: 2 };
  return out.sort((x, y) => order[x.protocol] - order[y.protocol] || (x.ports?.[0]?.[0] ?? 0) - (y.ports?.[0]?.[0] ?? 0));
}

/** Is egress to the internet allowed for every packet? */
function egressOpen(hop: HopModel): boolean {
  if (hop.universe.length === 0) return false;
  const budget = splitBudget();
  return !hop.universe.some((region) => firstMatch(hop.list, region, (_p, e) => (e < 0 ? hop.defaultAction : hop.entries[e]!.action) !== 'allow', 0, hop.list.n, budget));
}

export function exposure(topology: Topology, anomalies?: HopAnalysis[]): ExposureReport {
  const index = indexTopology(topology);
  const interfaces: InterfaceExposure[] = [];
  for (const iface of topology.interfaces) {
    const exposed: ExposedItem[] = [];
    const open: Family[] = [];
    for (const family of [4, 6] as const) {
      exposed.push(...familyExposure(buildHop(index, iface, 'ingress', family, { remote: 'internet' }), index));
      if (egressOpen(buildHop(index, iface, 'egress', family, { remote: 'internet' }))) open.push(family);
    }
    interfaces.push({ iface: iface.id, exposed, egressOpen: open });
  }
  const unattachedGroups = topology.securityGroups.filter((g) => !index.members.has(g.id)).map((g) => g.id);
  const hops = anomalies ?? analyzeTopology(topology);
  const allShadowedGroups = topology.securityGroups.filter((g) => {
    if (g.rules.length === 0 || !index.members.has(g.id)) return false;
    const statuses = hops.flatMap((h) => h.rules.filter((r) => r.group === g.id));
    return statuses.length > 0 && statuses.every((r) => r.status === 'shadowed' || r.status === 'empty');
  }).map((g) => g.id);
  return { interfaces, unattachedGroups, allShadowedGroups };
}

export const EXPOSURE_RULES = {
  'exposure-sensitive': { level: 'warning' as const, description: 'A well-known sensitive service (docs/analysis.md) is reachable from the internet.' },
  'exposure-open': { level: 'note' as const, description: 'Protocols and ports reachable from the internet.' },
  'egress-open': { level: 'note' as const, description: 'Egress to the internet is allowed on every protocol and port.' },
  'group-unattached': { level: 'note' as const, description: 'The security group is bound to no interface.' },
  'group-all-shadowed': { level: 'warning' as const, description: 'Every rule of the security group is shadowed or empty wherever it is bound.' },
};

export function describeItem(i: ExposedItem): string {
  const what = i.protocol === 'other'
    ? `protocol${i.protocols!.length > 1 || i.protocols![0]![0] !== i.protocols![0]![1] ? 's' : ''} ${i.protocols!.map(([l, h]) => (l === h ? protoName(l, i.family) : `${l}-${h}`)).join(',')}`
    : `${i.protocol} ${i.ports!.map(([l, h]) => (l === 0 && h === 65535 ? 'all ports' : l === h ? `${l}` : `${l}-${h}`)).join(',')}`;
  const from = i.sources === 'anywhere'
    ? `from anywhere${i.except ? ` except ${i.except.join(', ')}` : ''}`
    : `from ${i.sources.join(', ')}${i.moreSources ? ` and ${i.moreSources} more block(s)` : ''}`;
  return `${what} ${from} via ${entryName(i.allowedBy)}`;
}

function protoName(p: number, family: Family): string {
  if (p === 1 && family === 4) return 'icmp';
  if (p === 58 && family === 6) return 'icmpv6';
  if (p === 47) return 'gre';
  return String(p);
}

export function exposureFindings(topology: Topology, r: ExposureReport): Finding[] {
  const out: Finding[] = [];
  const pathOf = (e: EntryJson) => ('invisible' in e ? '' : rulePath(topology, e.group, e.rule));
  for (const i of r.interfaces) {
    for (const item of i.exposed) {
      const base = `${i.iface} (IPv${item.family}): ${describeItem(item)}; e.g. ${item.witness}`;
      if (item.sensitive.length > 0) {
        out.push({ code: 'exposure-sensitive', level: 'warning', message: `${item.sensitive.join(', ')} reachable from the internet at ${base}`, path: pathOf(item.allowedBy), interfaces: [i.iface], direction: 'ingress', witness: item.witness, related: [item.allowedBy] });
      } else {
        out.push({ code: 'exposure-open', level: 'note', message: `reachable from the internet at ${base}`, path: pathOf(item.allowedBy), interfaces: [i.iface], direction: 'ingress', witness: item.witness, related: [item.allowedBy] });
      }
    }
    for (const f of i.egressOpen) {
      const ifaceIndex = topology.interfaces.findIndex((x) => x.id === i.iface);
      out.push({ code: 'egress-open', level: 'note', message: `${i.iface} (IPv${f}): egress to the internet is open on every protocol and port`, path: `interfaces[${ifaceIndex}]`, interfaces: [i.iface], direction: 'egress' });
    }
  }
  for (const g of r.unattachedGroups) {
    out.push({ code: 'group-unattached', level: 'note', message: `security group "${g}" is bound to no interface`, path: `securityGroups[${topology.securityGroups.findIndex((x) => x.id === g)}]` });
  }
  for (const g of r.allShadowedGroups) {
    out.push({ code: 'group-all-shadowed', level: 'warning', message: `every rule of security group "${g}" is shadowed or empty wherever it is bound: the group does nothing`, path: `securityGroups[${topology.securityGroups.findIndex((x) => x.id === g)}]` });
  }
  return out;
}
