/**
 * Pass 2 of the native topology format (SEMANTICS.md §1), by hand over the
 * shaped document: per-cloud priority ranges, ports only on tcp/udp, families
 * of CIDRs vs ethertype, unique ids, references to groups and address groups,
 * addresses owned twice. Each builder reports into the shared IssueList, in
 * document order, and returns its part of the model.
 */
import { formatAddress, parseAddress, parseCidr, type Cidr, type ParsedAddress } from '../model/address.js';
import type { Family } from '../model/packet.js';
import {
  DEFAULT_TIMEOUTS,
  TIMEOUT_KEYS,
  type Cloud,
  type ConntrackTimeouts,
  type NetworkInterface,
  type Remote,
  type Rule,
  type SecurityGroup,
  type Topology,
} from '../model/topology.js';
import { IssueList, formatPath, show, type PathSegment } from './issues.js';
import type { ShapedTopology } from './native-shape.js';
import { parseEthertype, parsePorts, parseProtocol, protocolHasPorts, protocolName } from './values.js';

type ShapedGroup = ShapedTopology['securityGroups'][number];
type ShapedRule = ShapedGroup['rules'][number];

/** What every builder reads: the cloud, the issue list, the options, the ids declared. */
export interface MeaningContext {
  cloud: Cloud;
  issues: IssueList;
  lenient: boolean;
  groupIds: Map<string, number>;
  addressGroupIds: Map<string, number>;
}

function cidrOf(text: string, path: PathSegment[], issues: IssueList, lenient: boolean): Cidr | null {
  const r = parseCidr(text);
  if (!r.ok) return null; // reported by pass 1
  if (r.hostBitsSet) {
    const canonical = `${formatAddressOf(r.cidr)}/${r.cidr.prefix}`;
    if (lenient) issues.warn(path, 'host-bits', `${show(text)} has host bits set; read as ${canonical}`);
    else issues.error(path, 'host-bits', `${show(text)} has host bits set (expected the network address, ${canonical})`);
  }
  return r.cidr;
}

function formatAddressOf(c: Cidr): string {
  return formatAddress(c.family, c.network);
}

function priorityRange(cloud: Cloud): { ok: (p: number) => boolean; expected: string } {
  switch (cloud) {
    case 'aliyun':
      return { ok: (p) => (p >= 1 && p <= 100) || p === 110, expected: '1-100, or 110 for legacy default-group rules (Alibaba)' };
    case 'huawei':
      return { ok: (p) => p >= 1 && p <= 100, expected: '1-100 (Huawei)' };
    case 'generic':
      return { ok: (p) => p >= 0, expected: 'an integer >= 0' };
  }
}

function resolveTimeouts(cloud: Cloud, ...layers: (Partial<ConntrackTimeouts> | undefined)[]): ConntrackTimeouts {
  const t: ConntrackTimeouts = { ...DEFAULT_TIMEOUTS[cloud] };
  for (const layer of layers) {
    if (!layer) continue;
    for (const k of TIMEOUT_KEYS) if (layer[k] !== undefined) t[k] = layer[k]!;
  }
  return t;
}

function listIds(ids: Map<string, number>): string {
  const all = [...ids.keys()];
  if (all.length === 0) return 'none: there are none';
  const shown = all.slice(0, 8).map((s) => JSON.stringify(s)).join(', ');
  return all.length > 8 ? `${shown}, … (${all.length} in all)` : shown;
}

/** Report duplicate ids in `ids` (at `base[i].id`); the first index of each id. */
export function uniqueIds(issues: IssueList, kind: string, ids: { id: string }[], base: string): Map<string, number> {
  const first = new Map<string, number>();
  ids.forEach((x, i) => {
    const prev = first.get(x.id);
    if (prev !== undefined) issues.error([base, i, 'id'], 'duplicate-id', `duplicate ${kind} id ${show(x.id)} (first at ${base}[${prev}])`);
    else first.set(x.id, i);
  });
  return first;
}

export function buildAddressGroups(doc: ShapedTopology, cx: MeaningContext): Topology['addressGroups'] {
  const { issues, lenient } = cx;
  return (doc.addressGroups ?? []).map((ag, i) => ({
    id: ag.id,
    cidrs: ag.cidrs.map((c, j) => cidrOf(c, ['addressGroups', i, 'cidrs', j], issues, lenient)).filter((c): c is Cidr => c !== null),
  }));
}

export function buildSecurityGroup(g: ShapedGroup, gi: number, cx: MeaningContext): SecurityGroup {
  const { cloud, issues } = cx;
  const range = priorityRange(cloud);
  const gpath: PathSegment[] = ['securityGroups', gi];
  if (cloud !== 'aliyun' && g.type === 'advanced') {
    issues.error([...gpath, 'type'], 'advanced-not-aliyun', `type "advanced" exists on Alibaba Cloud only (this topology's cloud is ${cloud})`);
  }
  if (cloud !== 'aliyun' && g.innerAccessPolicy !== undefined) {
    issues.error([...gpath, 'innerAccessPolicy'], 'inner-policy-not-aliyun',
      `innerAccessPolicy exists on Alibaba Cloud basic groups only; on ${cloud} write an explicit rule with remote {"group": ${show(g.id)}}`);
  }
  const type = g.type ?? 'basic';
  if (type === 'advanced' && g.innerAccessPolicy === 'accept') {
    issues.error([...gpath, 'innerAccessPolicy'], 'inner-policy-advanced',
      'advanced groups are always internally isolated (seed 001); innerAccessPolicy "accept" is not possible');
  }
  const ruleIds = new Map<string, number>();
  const rules: Rule[] = g.rules.map((r, ri) => buildRule(r, ri, g, gpath, ruleIds, range, cx));
  return { id: g.id, type, innerAccessPolicy: type === 'advanced' ? 'drop' : (g.innerAccessPolicy ?? 'accept'), rules };
}

function buildRule(
  r: ShapedRule,
  ri: number,
  g: ShapedGroup,
  gpath: PathSegment[],
  ruleIds: Map<string, number>,
  range: { ok: (p: number) => boolean; expected: string },
  cx: MeaningContext,
): Rule {
  const { cloud, issues, lenient, groupIds, addressGroupIds } = cx;
  const rpath: PathSegment[] = [...gpath, 'rules', ri];
  const id = r.id ?? `${g.id}/${ri + 1}`;
  if (r.id !== undefined) {
    const prev = ruleIds.get(r.id);
    if (prev !== undefined) issues.error([...rpath, 'id'], 'duplicate-id', `duplicate rule id ${show(r.id)} in group ${show(g.id)} (first at rules[${prev}])`);
    else ruleIds.set(r.id, ri);
  }
  if (!range.ok(r.priority)) issues.error([...rpath, 'priority'], 'priority-range', `${r.priority} is not a priority (expected ${range.expected})`);
  const proto = parseProtocol(r.protocol);
  const protocol = proto.ok ? proto.value.protocol : 'all';
  const ports = parsePorts(r.ports);
  const sourcePorts = parsePorts(r.sourcePorts);
  for (const [key, val] of [['ports', r.ports], ['sourcePorts', r.sourcePorts]] as const) {
    if (val !== undefined && !(typeof val === 'string' && val.trim().toLowerCase() === 'all') && !protocolHasPorts(protocol)) {
      issues.error([...rpath, key], 'ports-not-tcp-udp', `ports apply to tcp and udp rules only; this rule's protocol is ${protocolName(protocol)}`);
    }
  }
  // Families: protocol name, explicit ethertype, remote CIDR, local CIDR must agree.
  const families: { family: Family; why: string; path: PathSegment[] }[] = [];
  if (proto.ok && proto.value.impliedFamily) families.push({ family: proto.value.impliedFamily, why: `protocol ${protocolName(protocol)}`, path: [...rpath, 'protocol'] });
  if (r.ethertype !== undefined) {
    const e = parseEthertype(r.ethertype);
    if (e.ok) families.push({ family: e.value, why: `ethertype ${r.ethertype}`, path: [...rpath, 'ethertype'] });
  }
  let remote: Remote = { kind: 'any' };
  if (typeof r.remote === 'string') {
    const c = cidrOf(r.remote, [...rpath, 'remote'], issues, lenient);
    if (c) {
      remote = { kind: 'cidr', cidr: c };
      families.push({ family: c.family, why: `remote ${r.remote}`, path: [...rpath, 'remote'] });
    }
  } else if (r.remote && 'group' in r.remote) {
    remote = { kind: 'group', group: r.remote.group };
    if (!groupIds.has(r.remote.group)) {
      issues.error([...rpath, 'remote', 'group'], 'unknown-group', `${show(r.remote.group)} is not a security group of this topology (expected one of ${listIds(groupIds)})`);
    }
  } else if (r.remote && 'addressGroup' in r.remote) {
    remote = { kind: 'addressGroup', addressGroup: r.remote.addressGroup };
    if (!addressGroupIds.has(r.remote.addressGroup)) {
      issues.error([...rpath, 'remote', 'addressGroup'], 'unknown-address-group',
        `${show(r.remote.addressGroup)} is not an address group of this topology (expected one of ${listIds(addressGroupIds)})`);
    }
  }
  let local: Cidr | null = null;
  if (r.local !== undefined) {
    local = cidrOf(r.local, [...rpath, 'local'], issues, lenient);
    if (local) families.push({ family: local.family, why: `local ${r.local}`, path: [...rpath, 'local'] });
  }
  let ethertype: Family | 'any' = cloud === 'huawei' ? 4 : 'any';
  if (families.length > 0) {
    ethertype = families[0]!.family;
    const clash = families.find((f) => f.family !== ethertype);
    if (clash) {
      issues.error(clash.path, 'family-mismatch', `${clash.why} is IPv${clash.family} but ${families[0]!.why} is IPv${ethertype}`);
    }
  }
  const rule: Rule = {
    id,
    direction: r.direction,
    action: r.action,
    priority: r.priority,
    protocol,
    ethertype,
    ports: ports.ok ? ports.value : null,
    sourcePorts: sourcePorts.ok ? sourcePorts.value : null,
    remote,
    local,
    index: ri,
  };
  if (r.description !== undefined) rule.description = r.description;
  return rule;
}

/** The interfaces; `owners` spans them all (an address owned twice is an error). */
export function buildInterfaces(doc: ShapedTopology, cx: MeaningContext): NetworkInterface[] {
  const { cloud, issues, groupIds } = cx;
  const owners = new Map<string, string>();
  return (doc.interfaces ?? []).map((iface, ii) => {
    const ipath: PathSegment[] = ['interfaces', ii];
    const ips: ParsedAddress[] = [];
    iface.ips.forEach((text, k) => {
      const a = parseAddress(text);
      if (!a) return; // reported by pass 1
      const key = `${a.family}:${a.value}`;
      const prev = owners.get(key);
      if (prev !== undefined) issues.error([...ipath, 'ips', k], 'address-owned-twice', `${show(text)} is already owned by ${prev}`);
      else owners.set(key, formatPath([...ipath, 'ips', k]) + ` (interface ${show(iface.id)})`);
      ips.push(a);
    });
    const seenGroups = new Set<string>();
    iface.groups.forEach((gid, k) => {
      if (!groupIds.has(gid)) {
        issues.error([...ipath, 'groups', k], 'unknown-group', `${show(gid)} is not a security group of this topology (expected one of ${listIds(groupIds)})`);
      }
      if (seenGroups.has(gid)) issues.error([...ipath, 'groups', k], 'duplicate-group', `group ${show(gid)} is bound twice`);
      seenGroups.add(gid);
    });
    return { id: iface.id, ips, groups: [...iface.groups], conntrack: resolveTimeouts(cloud, doc.conntrack, iface.conntrack) };
  });
}
