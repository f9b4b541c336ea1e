/**
 * The validated security-group model (SEMANTICS.md §1). Everything here has
 * been checked by src/parse/: ids are unique, references resolve, CIDRs are
 * canonical, families are consistent. The evaluators and the compiler trust it.
 */
import type { Cidr, ParsedAddress } from './address.js';
import type { Family } from './packet.js';

export type Cloud = 'aliyun' | 'huawei' | 'generic';
export type Direction = 'ingress' | 'egress';
export type Action = 'allow' | 'deny';
export type GroupType = 'basic' | 'advanced';
export type InnerAccessPolicy = 'accept' | 'drop';

/** An inclusive port range, 1-65535 (0 only from ClassBench). */
export interface PortRange {
  from: number;
  to: number;
}

export type Remote =
  | { kind: 'any' }
  | { kind: 'cidr'; cidr: Cidr }
  | { kind: 'group'; group: string }
  | { kind: 'addressGroup'; addressGroup: string };

export interface Rule {
  id: string;
  direction: Direction;
  action: Action;
  /** Smaller is higher priority. aliyun/huawei 1-100 (aliyun also 110); generic any integer >= 0. */
  priority: number;
  /** IP protocol number, or 'all'. `icmp` is 1 with ethertype 4, `icmpv6` 58 with ethertype 6. */
  protocol: number | 'all';
  /** Which families the rule matches: derived from CIDRs, given, or the cloud's default. */
  ethertype: Family | 'any';
  /** Destination ports; null = all. Only on tcp/udp rules. */
  ports: PortRange[] | null;
  /** Source ports (Alibaba quintuple rules); null = all. */
  sourcePorts: PortRange[] | null;
  remote: Remote;
  /** The interface-side address must be in it (Alibaba DestCidrIp/SourceCidrIp); null = any. */
  local: Cidr | null;
  /** Position of the rule in its group, 0-based (tie-breaker and report order). */
  index: number;
  description?: string;
}

export interface SecurityGroup {
  id: string;
  type: GroupType;
  innerAccessPolicy: InnerAccessPolicy;
  rules: Rule[];
}

export interface AddressGroup {
  id: string;
  cidrs: Cidr[];
}

/** Idle timeouts in seconds (SEMANTICS.md §5). */
export interface ConntrackTimeouts {
  tcpOpening: number;
  tcpEstablished: number;
  tcpClosing: number;
  udp: number;
  udpReplied: number;
  icmp: number;
  other: number;
}

export const TIMEOUT_KEYS = ['tcpOpening', 'tcpEstablished', 'tcpClosing', 'udp', 'udpReplied', 'icmp', 'other'] as const;

/**
 * The largest conntrack timeout sgfilter takes, in seconds: 365 days, far
 * above every cloud's (Alibaba's session maximum is 910 s, seed 002; Huawei's
 * longest default 432,000 s). Topologies above it are refused at load
 * (docs/SEMANTICS.md "sgfilter's own decisions"); it keeps every timeout and
 * every `lastSeen + timeout` exact in 64-bit nanoseconds, so both engines agree.
 */
export { MAX_TIMEOUT_SECONDS } from './packet.js';

/** The default timeouts of each cloud (SEMANTICS.md §5 table). */
export const DEFAULT_TIMEOUTS: Record<Cloud, ConntrackTimeouts> = {
  aliyun: { tcpOpening: 120, tcpEstablished: 910, tcpClosing: 3, udp: 30, udpReplied: 30, icmp: 30, other: 600 },
  huawei: { tcpOpening: 120, tcpEstablished: 432000, tcpClosing: 10, udp: 30, udpReplied: 120, icmp: 30, other: 600 },
  generic: { tcpOpening: 120, tcpEstablished: 432000, tcpClosing: 10, udp: 30, udpReplied: 120, icmp: 30, other: 600 },
};

export interface NetworkInterface {
  id: string;
  ips: ParsedAddress[];
  /** Group ids in binding order. */
  groups: string[];
  /** Resolved: cloud defaults, then topology `conntrack`, then the interface's own. */
  conntrack: ConntrackTimeouts;
}

export interface Topology {
  cloud: Cloud;
  securityGroups: SecurityGroup[];
  addressGroups: AddressGroup[];
  interfaces: NetworkInterface[];
  /** generic only (SEMANTICS.md §4); aliyun/huawei have their own defaults. */
  defaults: { ingress: Action; egress: Action };
  /** Lint context: Huawei flavour names the user declared (seed 003, Table 4). */
  flavor?: string;
}

/** Fast lookups over a topology; build once. */
export interface TopologyIndex {
  topology: Topology;
  groups: Map<string, SecurityGroup>;
  addressGroups: Map<string, AddressGroup>;
  interfaces: Map<string, NetworkInterface>;
  /** "family:address" -> owning interface. */
  owner: Map<string, NetworkInterface>;
  /** group id -> interfaces bound to it, in topology order. */
  members: Map<string, NetworkInterface[]>;
}

export function addressKey(family: Family, value: bigint): string {
  return `${family}:${value.toString(16)}`;
}

export function indexTopology(topology: Topology): TopologyIndex {
  const groups = new Map(topology.securityGroups.map((g) => [g.id, g] as const));
  const addressGroups = new Map(topology.addressGroups.map((g) => [g.id, g] as const));
  const interfaces = new Map(topology.interfaces.map((i) => [i.id, i] as const));
  const owner = new Map<string, NetworkInterface>();
  const members = new Map<string, NetworkInterface[]>();
  for (const iface of topology.interfaces) {
    for (const ip of iface.ips) owner.set(addressKey(ip.family, ip.value), iface);
    for (const g of iface.groups) {
      let list = members.get(g);
      if (!list) members.set(g, (list = []));
      list.push(iface);
    }
  }
  return { topology, groups, addressGroups, interfaces, owner, members };
}
