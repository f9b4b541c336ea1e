/**
 * Property: no importer ever produces a rule that matches more than the
 * original rule describes. Random Alibaba Permissions and Huawei rule objects
 * (port lists, prefix lists, address groups, group references, "-1/-1",
 * Neutron ICMP type/code, host bits, blank fields, bad values) are imported in
 * a small bundle; when the importer accepts, every sampled packet that the
 * imported rule matches (src/reference ruleMatches) must also match a direct
 * reading of the ORIGINAL fields.
 *
 * The direct reading below is written from the API references (field meanings
 * as docs/formats.md cites them), on purpose without any code of src/parse or
 * src/model/address: its own address parsing, its own port reading. Where the
 * original needs data the bundle lacks (a port list, a prefix list), its match
 * set is empty, so accepting such a rule with any match fails the property.
 * Runs: SGFILTER_PROPERTY_RUNS (default 300 per cloud).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { importAliyun } from '../../src/parse/aliyun.js';
import { importHuawei } from '../../src/parse/huawei.js';
import { indexTopology, type Rule, type Topology } from '../../src/model/topology.js';
import { ruleMatches, type MatchInput } from '../../src/reference/match.js';
import { propertyRunCount, propertyRuns } from '../helpers/fuzz.js';

const RUNS = propertyRunCount(300);
type Doc = Record<string, unknown>;

// ---------------------------------------------------------------------------
// Independent address reading: dotted IPv4, IPv6 with "::" (no embedded IPv4).

interface Addr { family: 4 | 6; value: bigint }

function v4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((v, p) => (v << 8n) | BigInt(Number(p)), 0n);
}

function v6(text: string): bigint | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  return all.reduce((v, g) => (v << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function addr(text: string): Addr | null {
  const a = v4(text);
  if (a !== null) return { family: 4, value: a };
  const b = v6(text);
  return b !== null ? { family: 6, value: b } : null;
}

/** Does the CIDR (or bare address) `text` contain `a`? The network's host bits are ignored, as the clouds mask them. */
function inCidr(text: string, a: Addr): boolean {
  const [host, len] = text.trim().split('/') as [string, string | undefined];
  const net = addr(host);
  if (!net || net.family !== a.family) return false;
  const bits = a.family === 4 ? 32 : 128;
  const prefix = len === undefined ? bits : Number(len);
  const shift = BigInt(bits - prefix);
  return (net.value >> shift) === (a.value >> shift);
}

/** "a.b.c.d-e.f.g.h" (Huawei address groups). */
function inRange(text: string, a: Addr): boolean {
  const [lo, hi] = text.split('-').map((s) => addr(s.trim()));
  return !!lo && !!hi && lo.family === a.family && lo.value <= a.value && a.value <= hi.value;
}

// ---------------------------------------------------------------------------
// Sampled packets, seen from the rule's interface (as MatchInput), plus ICMP type/code.

interface Probe { m: MatchInput; remote: Addr; local: Addr; icmpType?: number; icmpCode?: number }

const V4 = ['10.0.0.10', '10.0.0.20', '10.0.0.99', '10.1.2.3', '192.0.2.5', '192.0.2.17', '203.0.113.9', '8.8.8.8'];
const V6 = ['2001:db8::10', '2001:db8::20', '2001:db8:1::5', '2001:db9::1'];
const PORTS = [1, 21, 22, 23, 79, 80, 85, 90, 91, 443, 1024, 3389, 8080, 65535];
const portArb = fc.oneof(fc.constantFrom(...PORTS), fc.integer({ min: 1, max: 65535 }));

const probeArb: fc.Arbitrary<Probe> = fc.record({
  family: fc.constantFrom(4 as const, 6 as const),
  proto: fc.constantFrom(6, 17, 1, 58, 47, 4),
  sport: portArb,
  dport: portArb,
  r: fc.nat(),
  l: fc.nat(),
  icmpType: fc.constantFrom(0, 3, 8, 11, 128, 129),
  icmpCode: fc.constantFrom(0, 1, 4),
}).map((x) => {
  const pool = x.family === 4 ? V4 : V6;
  const remote = addr(pool[x.r % pool.length]!)!;
  const local = addr(pool[x.l % pool.length]!)!;
  const ported = x.proto === 6 || x.proto === 17;
  const m: MatchInput = { family: x.family, proto: x.proto, remote: remote.value, local: local.value, ...(ported ? { sport: x.sport, dport: x.dport } : {}) };
  const icmp = x.proto === 1 || x.proto === 58;
  return { m, remote, local, ...(icmp ? { icmpType: x.icmpType, icmpCode: x.icmpCode } : {}) };
});

// ---------------------------------------------------------------------------
// Shared pools for generated rules.

const CIDR4 = ['10.0.0.0/8', '10.0.0.0/24', '10.0.0.10/32', '10.0.0.7/24', '192.0.2.0/28', '0.0.0.0/0', '203.0.113.0/24', '10.0.0.10'];
const CIDR6 = ['2001:db8::/32', '::/0', '2001:db8::10/128', '2001:db8:1::/48'];
/** Interfaces of the bundles: eni-1 in sg-1 (the rule's group), eni-2 in sg-2. */
const NICS = [
  { id: 'eni-1', ips: ['10.0.0.10', '2001:db8::10'], groups: ['sg-1'] },
  { id: 'eni-2', ips: ['10.0.0.20', '2001:db8::20'], groups: ['sg-2'] },
];
const groupMember = (group: string, a: Addr) =>
  NICS.some((n) => n.groups.includes(group) && n.ips.some((ip) => { const x = addr(ip)!; return x.family === a.family && x.value === a.value; }));

const blank = (v: unknown) => v === undefined || v === null || v === '';
const rangeText = fc.tuple(fc.constantFrom(...PORTS), fc.constantFrom(...PORTS)).map(([a, b]) => `${Math.min(a, b)}/${Math.max(a, b)}`);

/** An optional field: absent, null, "" or a value. */
const opt = <T>(arb: fc.Arbitrary<T>) => fc.oneof(fc.constant(undefined), fc.constant(null), fc.constant(''), arb, arb);

// ---------------------------------------------------------------------------
// Alibaba.

const aliPermArb = fc.record({
  Direction: fc.constantFrom('ingress', 'egress'),
  Policy: fc.constantFrom('Accept', 'Drop', ''),
  Priority: fc.oneof(fc.constantFrom('1', '50', '100', ''), fc.integer({ min: 1, max: 100 })),
  IpProtocol: fc.constantFrom('TCP', 'UDP', 'ICMP', 'ICMPv6', 'GRE', 'ALL', 'tcp'),
  PortRange: fc.oneof(fc.constantFrom('', '-1/-1', '1/65535', '70000/70000', '9/3'), rangeText, rangeText),
  PortRangeListId: opt(fc.constantFrom('prl-1', 'prl-none')),
  SourcePortRange: fc.oneof(fc.constantFrom('', '-1/-1'), rangeText),
  remoteV4: opt(fc.constantFrom(...CIDR4)),
  remoteV6: opt(fc.constantFrom(...CIDR6)),
  remoteGroup: opt(fc.constantFrom('sg-1', 'sg-2')),
  remotePrefixList: opt(fc.constantFrom('pl-1', 'pl-none')),
  localV4: opt(fc.constantFrom(...CIDR4)),
  localV6: opt(fc.constantFrom(...CIDR6)),
}).map((g) => {
  const [remote, local] = g.Direction === 'ingress' ? ['Source', 'Dest'] : ['Dest', 'Source'];
  const p: Doc = {
    Direction: g.Direction, Policy: g.Policy, Priority: g.Priority, IpProtocol: g.IpProtocol, PortRange: g.PortRange,
    SourcePortRange: g.SourcePortRange, NicType: 'intranet', Description: '',
    [`${remote}CidrIp`]: g.remoteV4, [`Ipv6${remote}CidrIp`]: g.remoteV6, [`${remote}GroupId`]: g.remoteGroup, [`${remote}PrefixListId`]: g.remotePrefixList,
    [`${local}CidrIp`]: g.localV4, [`Ipv6${local}CidrIp`]: g.localV6,
  };
  if (g.PortRangeListId !== undefined) p.PortRangeListId = g.PortRangeListId;
  return p;
});

const aliBundleArb = fc.record({
  perm: aliPermArb,
  portList: fc.array(rangeText, { minLength: 0, maxLength: 3 }),
  prefixList: fc.array(fc.constantFrom('192.0.2.0/28', '10.0.0.0/24', '203.0.113.0/25', '10.0.0.20/32'), { minLength: 0, maxLength: 3 }),
}).map(({ perm, portList, prefixList }) => ({
  perm,
  bundle: {
    DescribeSecurityGroupAttribute: [
      { SecurityGroupId: 'sg-1', InnerAccessPolicy: 'Accept', Permissions: { Permission: [perm] } },
      { SecurityGroupId: 'sg-2', InnerAccessPolicy: 'Accept', Permissions: { Permission: [] } },
    ],
    DescribeSecurityGroups: { SecurityGroups: { SecurityGroup: [{ SecurityGroupId: 'sg-1', SecurityGroupType: 'normal' }, { SecurityGroupId: 'sg-2', SecurityGroupType: 'normal' }] } },
    DescribePortRangeListEntries: { 'prl-1': { Entries: portList.map((PortRange) => ({ PortRange })) } },
    DescribePrefixListAttributes: [{ PrefixListId: 'pl-1', AddressFamily: 'IPv4', Entries: { Entry: prefixList.map((Cidr) => ({ Cidr })) } }],
    DescribeNetworkInterfaces: { NetworkInterfaceSets: { NetworkInterfaceSet: NICS.map((n) => ({
      NetworkInterfaceId: n.id, PrivateIpAddress: n.ips[0], Ipv6Sets: { Ipv6Set: [{ Ipv6Address: n.ips[1] }] }, SecurityGroupIds: { SecurityGroupId: n.groups },
    })) } },
  } as Doc,
}));

/** "a/b" -> inclusive range; "-1/-1" -> all; anything else -> null (not a range). */
function aliRange(text: string): { from: number; to: number } | 'all' | null {
  const m = /^\s*(-?\d+)\s*\/\s*(-?\d+)\s*$/.exec(text);
  if (!m) return null;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a === -1 && b === -1 ? 'all' : { from: a, to: b };
}

/** The Permission read straight from the Alibaba API reference, against one probe. */
function aliOriginalMatches(p: Doc, bundle: Doc, probe: Probe): boolean {
  const { m } = probe;
  const proto = String(p.IpProtocol).toUpperCase();
  const want: Record<string, [number | 'any', 4 | 6 | 'any']> = { TCP: [6, 'any'], UDP: [17, 'any'], ICMP: [1, 4], ICMPV6: [58, 6], GRE: [47, 'any'], ALL: ['any', 'any'] };
  const [wantProto, wantFamily] = want[proto]!;
  if (wantProto !== 'any' && wantProto !== m.proto) return false;
  if (wantFamily !== 'any' && wantFamily !== m.family) return false;
  if (wantProto === 6 || wantProto === 17) {
    // Destination ports: PortRange; when it is empty, the port list's entries (the API ignores the list when PortRange is given).
    let ranges: ({ from: number; to: number } | 'all')[] = ['all'];
    if (!blank(p.PortRange)) {
      const r = aliRange(String(p.PortRange));
      ranges = r === null ? [] : [r];
    } else if (!blank(p.PortRangeListId)) {
      const lists = bundle.DescribePortRangeListEntries as Record<string, { Entries: { PortRange: string }[] }>;
      const list = lists[String(p.PortRangeListId)];
      ranges = list ? list.Entries.map((e) => aliRange(e.PortRange)).filter((r): r is { from: number; to: number } => r !== null && r !== 'all') : [];
    }
    if (!ranges.some((r) => r === 'all' || (m.dport! >= r.from && m.dport! <= r.to))) return false;
    if (!blank(p.SourcePortRange)) {
      const r = aliRange(String(p.SourcePortRange));
      if (r === null || (r !== 'all' && !(m.sport! >= r.from && m.sport! <= r.to))) return false;
    }
  }
  // Remote side: ingress Source*, egress Dest*; a CIDR beats a group, which beats a prefix list.
  const [rs, ls] = p.Direction === 'ingress' ? ['Source', 'Dest'] : ['Dest', 'Source'];
  const rv4 = p[`${rs}CidrIp`];
  const rv6 = p[`Ipv6${rs}CidrIp`];
  const rg = p[`${rs}GroupId`];
  const rpl = p[`${rs}PrefixListId`];
  if (!blank(rv4) || !blank(rv6)) {
    if (!(!blank(rv4) && inCidr(String(rv4), probe.remote)) && !(!blank(rv6) && inCidr(String(rv6), probe.remote))) return false;
  } else if (!blank(rg)) {
    if (!groupMember(String(rg), probe.remote)) return false;
  } else if (!blank(rpl)) {
    const pls = bundle.DescribePrefixListAttributes as { PrefixListId: string; Entries: { Entry: { Cidr: string }[] } }[];
    const pl = pls.find((x) => x.PrefixListId === rpl);
    if (!pl || !pl.Entries.Entry.some((e) => inCidr(e.Cidr, probe.remote))) return false;
  }
  // Interface side: ingress DestCidrIp / Ipv6DestCidrIp, egress SourceCidrIp / Ipv6SourceCidrIp.
  const lv4 = p[`${ls}CidrIp`];
  const lv6 = p[`Ipv6${ls}CidrIp`];
  if (!blank(lv4) || !blank(lv6)) {
    if (!(!blank(lv4) && inCidr(String(lv4), probe.local)) && !(!blank(lv6) && inCidr(String(lv6), probe.local))) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Huawei.

const multiportArb = fc.oneof(
  fc.constantFrom('22', '80-90', '22,80-90', '1-65535', '22,3389,80', '90-80', '0', 'all'),
  fc.constantFrom(...PORTS),
  fc.tuple(fc.constantFrom(...PORTS), fc.constantFrom(...PORTS)).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
);

const hwRuleArb = fc.record({
  direction: fc.constantFrom('ingress', 'egress'),
  ethertype: opt(fc.constantFrom('IPv4', 'IPv6')),
  protocol: opt(fc.constantFrom<unknown>('tcp', 'udp', 'icmp', 'icmpv6', 'gre', '6', 17, '1', 58)),
  portStyle: fc.constantFrom('multiport', 'range', 'none'),
  multiport: multiportArb,
  min: opt(fc.constantFrom(0, 3, 8, 22, 80, 128)),
  max: opt(fc.constantFrom(0, 4, 22, 90, 129)),
  remote: fc.constantFrom('ip', 'group', 'ag', 'none', 'two'),
  ip: fc.constantFrom(...CIDR4, ...CIDR6),
  group: fc.constantFrom('sg-1', 'sg-2'),
  agId: fc.constantFrom('ag-1', 'ag-none'),
  action: opt(fc.constantFrom('allow', 'deny')),
  priority: opt(fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constantFrom('5'))),
}).map((g) => {
  const r: Doc = { id: 'r1', security_group_id: 'sg-1', direction: g.direction, ethertype: g.ethertype, protocol: g.protocol, action: g.action, priority: g.priority };
  if (g.portStyle === 'multiport') r.multiport = g.multiport;
  if (g.portStyle === 'range') {
    r.port_range_min = g.min;
    r.port_range_max = g.max;
  }
  if (g.remote === 'ip' || g.remote === 'two') r.remote_ip_prefix = g.ip;
  if (g.remote === 'group' || g.remote === 'two') r.remote_group_id = g.group;
  if (g.remote === 'ag') r.remote_address_group_id = g.agId;
  return r;
});

const hwBundleArb = fc.record({
  rule: hwRuleArb,
  ipSet: fc.array(fc.constantFrom('192.0.2.0/28', '10.0.0.20', '192.0.2.1-192.0.2.20', '2001:db8::/32', '203.0.113.0/25'), { minLength: 0, maxLength: 3 }),
  single: fc.boolean(),
}).map(({ rule, ipSet, single }) => ({
  rule,
  bundle: {
    ...(single ? { security_group_rule: rule } : { security_group_rules: [rule] }),
    security_groups: [{ id: 'sg-1' }, { id: 'sg-2' }],
    address_groups: [{ id: 'ag-1', ip_set: ipSet }],
    ports: NICS.map((n) => ({ id: n.id, fixed_ips: n.ips.map((ip_address) => ({ ip_address })), security_groups: n.groups })),
  } as Doc,
}));

/** A Huawei rule read straight from the VPC API reference (v3, v1 and Neutron fields), against one probe. */
function hwOriginalMatches(r: Doc, bundle: Doc, probe: Probe): boolean {
  const { m } = probe;
  // ethertype: as given; when not given, what the API requires of the protocol ("icmpv6: the ethertype
  // should be IPv6") or the family of remote_ip_prefix (SEMANTICS §1), else IPv4 (the API default).
  const prefixFamily = blank(r.remote_ip_prefix) ? null : addr(String(r.remote_ip_prefix).split('/')[0]!)?.family ?? null;
  const protoFamily = r.protocol === 'icmpv6' || r.protocol === 58 || r.protocol === '58' ? 6 : null;
  const family = blank(r.ethertype) ? protoFamily ?? prefixFamily ?? 4 : r.ethertype === 'IPv6' ? 6 : 4;
  if (family !== m.family) return false;
  // protocol: empty = all; names or IP protocol numbers.
  const names: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, gre: 47 };
  const proto = blank(r.protocol) ? 'any' : typeof r.protocol === 'number' ? r.protocol : names[String(r.protocol)] ?? Number(r.protocol);
  if (proto !== 'any' && proto !== m.proto) return false;
  if (proto === 6 || proto === 17) {
    if (!blank(r.multiport)) {
      const text = String(r.multiport).trim();
      if (text !== 'all') {
        const ok = text.split(',').some((part) => {
          const [a, b] = part.split('-').map(Number) as [number, number | undefined];
          return m.dport! >= a && m.dport! <= (b ?? a);
        });
        if (!ok) return false;
      }
    } else if (!blank(r.port_range_min) || !blank(r.port_range_max)) {
      const lo = blank(r.port_range_min) ? 1 : Number(r.port_range_min);
      const hi = blank(r.port_range_max) ? 65535 : Number(r.port_range_max);
      if (!(m.dport! >= lo && m.dport! <= hi)) return false;
    }
  }
  if (proto === 1 || proto === 58) {
    // v1 / Neutron: on ICMP rules port_range_min is the ICMP type and port_range_max the code.
    if (!blank(r.port_range_min) && r.port_range_min !== probe.icmpType) return false;
    if (!blank(r.port_range_max) && r.port_range_max !== probe.icmpCode) return false;
  }
  if (!blank(r.remote_ip_prefix) && !inCidr(String(r.remote_ip_prefix), probe.remote)) return false;
  if (!blank(r.remote_group_id) && !groupMember(String(r.remote_group_id), probe.remote)) return false;
  if (!blank(r.remote_address_group_id)) {
    const ags = bundle.address_groups as { id: string; ip_set: string[] }[];
    const ag = ags.find((a) => a.id === r.remote_address_group_id);
    if (!ag || !ag.ip_set.some((t) => (t.includes('-') ? inRange(t, probe.remote) : inCidr(t, probe.remote)))) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------

function importedRule(t: Topology): Rule {
  const g = t.securityGroups.find((x) => x.id === 'sg-1')!;
  assert.is(g.rules.length, 1);
  return g.rules[0]!;
}

const props = suite('importers never widen a rule');

props('Alibaba: every packet the imported Permission matches, the original describes', () => {
  let accepted = 0;
  fc.assert(
    fc.property(aliBundleArb, fc.array(probeArb, { minLength: 40, maxLength: 40 }), ({ perm, bundle }, probes) => {
      const r = importAliyun(bundle);
      if (!r.topology) return true; // refused: it matches nothing
      accepted++;
      const rule = importedRule(r.topology);
      assert.is(rule.direction, perm.Direction);
      const index = indexTopology(r.topology);
      for (const probe of probes) {
        if (ruleMatches(rule, probe.m, index) && !aliOriginalMatches(perm, bundle, probe)) {
          throw new Error(`imported rule matches a packet the original does not: ${JSON.stringify(probe, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
        }
      }
      return true;
    }),
    propertyRuns(300),
  );
  // Not vacuous: a good share of the generated Permissions import.
  assert.ok(accepted >= RUNS / 10, `only ${accepted} of ${RUNS} generated Permissions imported`);
});

props('Huawei: every packet the imported rule matches, the original describes', () => {
  let accepted = 0;
  fc.assert(
    fc.property(hwBundleArb, fc.array(probeArb, { minLength: 40, maxLength: 40 }), ({ rule: orig, bundle }, probes) => {
      const r = importHuawei(bundle);
      if (!r.topology) return true;
      accepted++;
      const rule = importedRule(r.topology);
      assert.is(rule.direction, orig.direction);
      const index = indexTopology(r.topology);
      for (const probe of probes) {
        if (ruleMatches(rule, probe.m, index) && !hwOriginalMatches(orig, bundle, probe)) {
          throw new Error(`imported rule matches a packet the original does not: ${JSON.stringify(probe, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
        }
      }
      return true;
    }),
    propertyRuns(300),
  );
  assert.ok(accepted >= RUNS / 10, `only ${accepted} of ${RUNS} generated rules imported`);
});

props.run();
