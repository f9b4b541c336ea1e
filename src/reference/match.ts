/**
 * Rule matching and rule order: SEMANTICS.md §4, first two paragraphs, in code.
 * Readable first; this is what every faster matcher is tested against.
 */
import { cidrContains } from '../model/address.js';
import type { Family } from '../model/packet.js';
import {
  addressKey,
  type Direction,
  type NetworkInterface,
  type PortRange,
  type Rule,
  type SecurityGroup,
  type TopologyIndex,
} from '../model/topology.js';

/** What a rule looks at, seen from one interface in one direction. */
export interface MatchInput {
  family: Family;
  proto: number;
  /** Absent when the packet carries no ports (not tcp/udp, or a non-first fragment). */
  sport?: number;
  dport?: number;
  /** The remote-side address: the source for ingress, the destination for egress. */
  remote: bigint;
  /** The interface-side address: the destination for ingress, the source for egress. */
  local: bigint;
}

export function inPorts(ranges: PortRange[] | null, port: number | undefined): boolean {
  if (ranges === null) return true; // no constraint
  if (port === undefined) return false; // the rule wants ports, the packet has none
  return ranges.some((r) => port >= r.from && port <= r.to);
}

/** Is `address` one of the ips of an interface bound to `groupId`? */
export function isGroupMember(index: TopologyIndex, groupId: string, family: Family, address: bigint): boolean {
  const owner = index.owner.get(addressKey(family, address));
  return owner !== undefined && owner.groups.includes(groupId);
}

/** "A rule matches a packet when all of: …" (SEMANTICS.md §4). */
export function ruleMatches(rule: Rule, m: MatchInput, index: TopologyIndex): boolean {
  // the family matches `ethertype`
  if (rule.ethertype !== 'any' && rule.ethertype !== m.family) return false;
  // the protocol matches (`all` matches any)
  if (rule.protocol !== 'all' && rule.protocol !== m.proto) return false;
  // for tcp/udp rules the destination port is in `ports` and the source port in `sourcePorts`
  if (!inPorts(rule.ports, m.dport)) return false;
  if (!inPorts(rule.sourcePorts, m.sport)) return false;
  // the remote-side address is in `remote`
  switch (rule.remote.kind) {
    case 'any':
      break;
    case 'cidr':
      if (!cidrContains(rule.remote.cidr, m.family, m.remote)) return false;
      break;
    case 'addressGroup': {
      const ag = index.addressGroups.get(rule.remote.addressGroup);
      if (!ag || !ag.cidrs.some((c) => cidrContains(c, m.family, m.remote))) return false;
      break;
    }
    case 'group':
      if (!isGroupMember(index, rule.remote.group, m.family, m.remote)) return false;
      break;
  }
  // the interface-side address is in `local`
  if (rule.local !== null && !cidrContains(rule.local, m.family, m.local)) return false;
  return true;
}

export interface OrderedRule {
  rule: Rule;
  group: SecurityGroup;
  /** Position of the group on the interface (binding order), 0-based. */
  groupOrder: number;
}

/** deny before allow at equal priority. */
function actionRank(r: Rule): number {
  return r.action === 'deny' ? 0 : 1;
}

/**
 * The rules of an interface for one direction, in the order in which the
 * first match decides (SEMANTICS.md §4):
 *  - aliyun and generic: all groups merged; by priority, deny before allow,
 *    group order on the interface, rule order in the group;
 *  - huawei: group by group in binding order; inside a group by priority,
 *    deny before allow, rule order.
 */
export function orderedRules(index: TopologyIndex, iface: NetworkInterface, direction: Direction): OrderedRule[] {
  const list: OrderedRule[] = [];
  iface.groups.forEach((gid, groupOrder) => {
    const group = index.groups.get(gid);
    if (!group) return;
    for (const rule of group.rules) if (rule.direction === direction) list.push({ rule, group, groupOrder });
  });
  const byRule = (a: OrderedRule, b: OrderedRule) =>
    a.rule.priority - b.rule.priority || actionRank(a.rule) - actionRank(b.rule);
  if (index.topology.cloud === 'huawei') {
    return list.sort((a, b) => a.groupOrder - b.groupOrder || byRule(a, b) || a.rule.index - b.rule.index);
  }
  return list.sort((a, b) => byRule(a, b) || a.groupOrder - b.groupOrder || a.rule.index - b.rule.index);
}

/** The first rule in `ordered` that matches, or null. */
export function firstMatch(ordered: readonly OrderedRule[], m: MatchInput, index: TopologyIndex): OrderedRule | null {
  for (const o of ordered) if (ruleMatches(o.rule, m, index)) return o;
  return null;
}
