/**
 * Alibaba importer (SEMANTICS §8): DescribeSecurityGroupAttribute responses,
 * bundles, every normalisation (a warning, text checked) and every error path
 * (a path in the ORIGINAL document, the value, what was expected).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { aliyunToNative, importAliyun } from '../../src/parse/aliyun.js';
import { errorIs, errors, noErrors, one, warningIs } from './helpers.js';

type Doc = Record<string, any>;

/** A Permission as DescribeSecurityGroupAttribute returns it (empty strings for unset fields). */
function perm(extra: Doc = {}): Doc {
  return {
    Direction: 'ingress', IpProtocol: 'TCP', PortRange: '22/22', SourcePortRange: '', Policy: 'Accept', Priority: '1',
    NicType: 'intranet', SourceCidrIp: '10.0.0.0/8', Ipv6SourceCidrIp: '', SourceGroupId: '', SourcePrefixListId: '',
    DestCidrIp: '', Ipv6DestCidrIp: '', DestGroupId: '', DestPrefixListId: '', Description: '', SecurityGroupRuleId: '',
    CreateTime: '2024-01-01T00:00:00Z', ...extra,
  };
}
function response(id: string, perms: Doc[], extra: Doc = {}): Doc {
  return { RequestId: 'X', RegionId: 'cn-hangzhou', SecurityGroupId: id, InnerAccessPolicy: 'Accept', Permissions: { Permission: perms }, ...extra };
}
const P = (i: number) => `Permissions.Permission[${i}]`;
const imp = (doc: unknown, groupType?: 'basic' | 'advanced') => importAliyun(doc, groupType ? { groupType } : {});

// ---------------------------------------------------------------------------
const shapes = suite('aliyun: document shapes');

shapes('a single response becomes one group; the rule is converted', () => {
  const r = imp(response('sg-1', [perm({ SecurityGroupRuleId: 'sgr-1', Description: 'ssh' })]), 'basic');
  assert.equal(r.issues, []);
  const g = r.topology!.securityGroups[0]!;
  assert.is(r.topology!.cloud, 'aliyun');
  assert.is(g.id, 'sg-1');
  assert.is(g.type, 'basic');
  assert.is(g.innerAccessPolicy, 'accept');
  const rule = g.rules[0]!;
  assert.is(rule.id, 'sgr-1');
  assert.is(rule.direction, 'ingress');
  assert.is(rule.action, 'allow');
  assert.is(rule.priority, 1);
  assert.is(rule.protocol, 6);
  assert.equal(rule.ports, [{ from: 22, to: 22 }]);
  assert.is(rule.remote.kind, 'cidr');
  assert.is(rule.local, null);
  assert.is(rule.description, 'ssh');
});

shapes('an array of responses; paths carry the index', () => {
  const r = imp([response('sg-1', [perm()]), response('sg-2', [perm(), perm({ PortRange: '70000/70000' })])], 'basic');
  errorIs(r.issues, `[1].${P(1)}.PortRange`, '"70000/70000" is not a port range (1-65535)', 'port-range');
});

shapes('a bundle: types from DescribeSecurityGroups, interfaces from DescribeNetworkInterfaces', () => {
  const bundle = {
    DescribeSecurityGroupAttribute: [response('sg-1', [perm()]), response('sg-2', [perm()], { InnerAccessPolicy: 'Drop' })],
    DescribeSecurityGroups: { SecurityGroups: { SecurityGroup: [
      { SecurityGroupId: 'sg-1', SecurityGroupType: 'normal' },
      { SecurityGroupId: 'sg-2', SecurityGroupType: 'enterprise' },
    ] } },
    DescribeNetworkInterfaces: { NetworkInterfaceSets: { NetworkInterfaceSet: [{
      NetworkInterfaceId: 'eni-1', PrivateIpAddress: '10.0.0.5',
      PrivateIpSets: { PrivateIpSet: [{ PrivateIpAddress: '10.0.0.5', Primary: true }, { PrivateIpAddress: '10.0.0.6', Primary: false }] },
      Ipv6Sets: { Ipv6Set: [{ Ipv6Address: '2001:db8::5' }] },
      SecurityGroupIds: { SecurityGroupId: ['sg-2', 'sg-1'] },
    }] } },
  };
  const r = imp(bundle);
  noErrors(r.issues);
  assert.equal(r.issues, []);
  const t = r.topology!;
  assert.equal(t.securityGroups.map((g) => [g.id, g.type, g.innerAccessPolicy]), [['sg-1', 'basic', 'accept'], ['sg-2', 'advanced', 'drop']]);
  assert.is(t.interfaces.length, 1);
  assert.equal(t.interfaces[0]!.groups, ['sg-2', 'sg-1']);
  assert.equal(t.interfaces[0]!.ips.map((a) => a.family), [4, 4, 6]);
});

shapes('no type information: basic, with a warning', () => {
  const r = imp(response('sg-1', [perm()]));
  warningIs(r.issues, '',
    'no DescribeSecurityGroups entry and no groupType option for some groups: read as basic (pass --group-type advanced, or add DescribeSecurityGroups to a bundle)',
    'group-type-unknown');
  assert.is(r.topology!.securityGroups[0]!.type, 'basic');
});

shapes('the groupType option; DescribeSecurityGroups wins over it, with a warning', () => {
  assert.is(imp(response('sg-1', [perm()], { InnerAccessPolicy: 'Drop' }), 'advanced').topology!.securityGroups[0]!.type, 'advanced');
  const r = importAliyun({
    DescribeSecurityGroupAttribute: response('sg-1', [perm()]),
    DescribeSecurityGroups: { SecurityGroups: { SecurityGroup: [{ SecurityGroupId: 'sg-1', SecurityGroupType: 'normal' }] } },
  }, { groupType: 'advanced' });
  warningIs(r.issues, 'DescribeSecurityGroups.SecurityGroups.SecurityGroup[0].SecurityGroupType',
    'group "sg-1" is basic per DescribeSecurityGroups; the groupType option (advanced) is not applied to it', 'group-type-conflict');
  assert.is(r.topology!.securityGroups[0]!.type, 'basic');
});

shapes('bad documents', () => {
  errorIs(imp(42).issues, '',
    'expected a DescribeSecurityGroupAttribute response object, an array of them, or a bundle {"DescribeSecurityGroupAttribute": ...}; got number 42', 'type');
  const r = imp({ DescribeSecurityGroupAttribute: [], DescribeSecurityGroup: {} });
  assert.match(one(r.issues, 'DescribeSecurityGroup').message, /^unknown bundle key "DescribeSecurityGroup"/);
  errorIs(imp({ SecurityGroupId: 'sg-1' }, 'basic').issues, 'Permissions', 'required, expected an object {"Permission": [...]}', 'missing');
  errorIs(imp({ SecurityGroupId: '', Permissions: { Permission: [] } }, 'basic').issues, 'SecurityGroupId', 'expected a non-empty id string, got string ""');
  errorIs(imp(response('sg-1', [7 as unknown as Doc]), 'basic').issues, P(0), 'expected a Permission object, got number 7');
  errorIs(imp({ DescribeSecurityGroupAttribute: response('sg-1', []), DescribeSecurityGroups: { SecurityGroups: { SecurityGroup: [{ SecurityGroupId: 'sg-1', SecurityGroupType: 'premium' }] } } }).issues,
    'DescribeSecurityGroups.SecurityGroups.SecurityGroup[0].SecurityGroupType', '"premium" is not "normal" (basic) or "enterprise" (advanced)');
});

shapes('a group listed twice is a duplicate id at the original path', () => {
  const r = imp([response('sg-1', []), response('sg-1', [])], 'basic');
  errorIs(r.issues, '[1].SecurityGroupId', 'duplicate security group id "sg-1" (first at securityGroups[0])', 'duplicate-id');
});

// ---------------------------------------------------------------------------
const norm = suite('aliyun: normalisations are warnings');

norm('letter case of Direction, Policy, IpProtocol, InnerAccessPolicy', () => {
  const r = imp(response('sg-1', [perm({ Direction: 'Ingress', Policy: 'ACCEPT', IpProtocol: 'Tcp' })], { InnerAccessPolicy: 'DROP' }), 'basic');
  noErrors(r.issues);
  warningIs(r.issues, `${P(0)}.Direction`, '"Ingress" read as "ingress" (letter case normalised as the API does)', 'letter-case');
  warningIs(r.issues, `${P(0)}.Policy`, '"ACCEPT" read as "Accept" (letter case normalised as the API does)');
  warningIs(r.issues, `${P(0)}.IpProtocol`, '"Tcp" read as "TCP" (letter case normalised as the API does)');
  warningIs(r.issues, 'InnerAccessPolicy', '"DROP" read as "Drop" (letter case normalised as the API does)');
  const g = r.topology!.securityGroups[0]!;
  assert.is(g.innerAccessPolicy, 'drop');
  assert.is(g.rules[0]!.action, 'allow');
  assert.is(g.rules[0]!.protocol, 6);
});

norm('the spellings the API itself returns give no warning', () => {
  const r = imp(response('sg-1', [
    perm({ IpProtocol: 'TCP', Policy: 'Accept' }), perm({ IpProtocol: 'udp', Policy: 'drop', PortRange: '53/53' }),
    perm({ IpProtocol: 'ICMPv6', PortRange: '', SourceCidrIp: '', Ipv6SourceCidrIp: '::/0' }),
  ]), 'basic');
  assert.equal(r.issues, []);
});

norm('"-1/-1" port ranges mean all ports', () => {
  const r = imp(response('sg-1', [perm({ IpProtocol: 'ICMP', PortRange: '-1/-1' }), perm({ IpProtocol: 'ALL', PortRange: '-1/-1' })]), 'basic');
  warningIs(r.issues, `${P(0)}.PortRange`, '"-1/-1" read as all ports', 'port-range-any');
  warningIs(r.issues, `${P(1)}.PortRange`, '"-1/-1" read as all ports');
  const rules = r.topology!.securityGroups[0]!.rules;
  assert.is(rules[0]!.ports, null);
  assert.is(rules[1]!.protocol, 'all');
});

norm('"1/65535" is all ports without a warning; "80/443" a range', () => {
  const r = imp(response('sg-1', [perm({ PortRange: '1/65535' }), perm({ PortRange: '80/443' })]), 'basic');
  assert.equal(r.issues, []);
  const rules = r.topology!.securityGroups[0]!.rules;
  assert.is(rules[0]!.ports, null);
  assert.equal(rules[1]!.ports, [{ from: 80, to: 443 }]);
});

norm('a missing Priority is the API default 1; Priority is read from its string', () => {
  const r = imp(response('sg-1', [perm({ Priority: undefined }), perm({ Priority: '110' }), perm({ Priority: 7 })]), 'basic');
  warningIs(r.issues, `${P(0)}.Priority`, 'missing; read as 1 (the API default)', 'priority-default');
  assert.equal(r.topology!.securityGroups[0]!.rules.map((x) => x.priority), [1, 110, 7]);
});

norm('a missing Policy is the API default Accept', () => {
  const r = imp(response('sg-1', [perm({ Policy: undefined })]), 'basic');
  warningIs(r.issues, `${P(0)}.Policy`, 'missing; read as "Accept" (the API default)', 'policy-default');
  assert.is(r.topology!.securityGroups[0]!.rules[0]!.action, 'allow');
});

norm('host bits are masked with a warning at the original path', () => {
  const r = imp(response('sg-1', [perm({ SourceCidrIp: '10.0.1.7/24' })]), 'basic');
  warningIs(r.issues, `${P(0)}.SourceCidrIp`, '"10.0.1.7/24" has host bits set; read as 10.0.1.0/24', 'host-bits');
  const rule = r.topology!.securityGroups[0]!.rules[0]!;
  assert.ok(rule.remote.kind === 'cidr' && rule.remote.cidr.network === 0x0a000100n && rule.remote.cidr.prefix === 24);
});

norm('a CIDR beats a group id (warning)', () => {
  const r = imp([response('sg-1', [perm({ SourceGroupId: 'sg-2' })]), response('sg-2', [])], 'basic');
  warningIs(r.issues, `[0].${P(0)}.SourceGroupId`, '"sg-2" is ignored: the CIDR "10.0.0.0/8" takes precedence (as the API)', 'group-ignored');
  assert.is(r.topology!.securityGroups[0]!.rules[0]!.remote.kind, 'cidr');
});

norm('a prefix list is ignored when another address is given (warning)', () => {
  const r = imp(response('sg-1', [perm({ SourcePrefixListId: 'pl-1' })]), 'basic');
  warningIs(r.issues, `${P(0)}.SourcePrefixListId`, 'prefix list "pl-1" is ignored because another address is given (as the API)', 'prefix-list-ignored');
  noErrors(r.issues);
});

// ---------------------------------------------------------------------------
const addr = suite('aliyun: addresses by direction');

addr('ingress: remote = Source*, local = Dest* (quintuple rule)', () => {
  const r = imp(response('sg-1', [perm({ SourceCidrIp: '10.0.9.0/24', SourcePortRange: '1024/65535', DestCidrIp: '10.0.2.0/24', PortRange: '9100/9100' })]), 'basic');
  assert.equal(r.issues, []);
  const rule = r.topology!.securityGroups[0]!.rules[0]!;
  assert.ok(rule.remote.kind === 'cidr' && rule.remote.cidr.network === 0x0a000900n);
  assert.ok(rule.local !== null && rule.local.network === 0x0a000200n && rule.local.prefix === 24);
  assert.equal(rule.sourcePorts, [{ from: 1024, to: 65535 }]);
});

addr('egress: remote = Dest*, local = Source*', () => {
  const r = imp(response('sg-1', [perm({ Direction: 'egress', SourceCidrIp: '10.0.2.0/24', DestCidrIp: '192.0.2.0/24' })]), 'basic');
  assert.equal(r.issues, []);
  const rule = r.topology!.securityGroups[0]!.rules[0]!;
  assert.ok(rule.remote.kind === 'cidr' && rule.remote.cidr.network === 0xc0000200n);
  assert.ok(rule.local !== null && rule.local.network === 0x0a000200n);
});

addr('IPv6 addresses', () => {
  const r = imp(response('sg-1', [perm({ SourceCidrIp: '', Ipv6SourceCidrIp: '2001:db8::/32', Ipv6DestCidrIp: '2001:db8:1::/64' })]), 'basic');
  assert.equal(r.issues, []);
  const rule = r.topology!.securityGroups[0]!.rules[0]!;
  assert.is(rule.ethertype, 6);
  assert.is(rule.local!.family, 6);
});

addr('group references, and unknown ones at the original path', () => {
  const ok = imp([response('sg-1', [perm({ SourceCidrIp: '', SourceGroupId: 'sg-2' })]), response('sg-2', [])], 'basic');
  assert.equal(ok.issues, []);
  assert.equal(ok.topology!.securityGroups[0]!.rules[0]!.remote, { kind: 'group', group: 'sg-2' });
  const bad = imp(response('sg-1', [perm({ SourceCidrIp: '', SourceGroupId: 'sg-9' })]), 'basic');
  errorIs(bad.issues, `${P(0)}.SourceGroupId`, '"sg-9" is not a security group of this topology (expected one of "sg-1")', 'unknown-group');
  const egress = imp(response('sg-1', [perm({ Direction: 'egress', SourceCidrIp: '', DestGroupId: 'sg-9' })]), 'basic');
  one(egress.issues, `${P(0)}.DestGroupId`);
});

addr('prefix lists: address groups when given, else an error naming them', () => {
  const base = response('sg-1', [perm({ SourceCidrIp: '', SourcePrefixListId: 'pl-office' })]);
  const missing = imp(base, 'basic');
  errorIs(missing.issues, `${P(0)}.SourcePrefixListId`,
    'prefix list "pl-office" is not in the document, and the rule cannot be judged without its CIDRs (it is not widened to every address); expected its DescribePrefixListAttributes response under "DescribePrefixListAttributes" in a bundle',
    'unknown-prefix-list');
  const r = imp({
    DescribeSecurityGroupAttribute: base,
    DescribePrefixListAttributes: { PrefixListId: 'pl-office', AddressFamily: 'IPv4', Entries: { Entry: [{ Cidr: '198.51.100.0/24' }, { Cidr: '192.0.2.16/28' }] } },
  }, 'basic');
  assert.equal(r.issues, []);
  assert.equal(r.topology!.securityGroups[0]!.rules[0]!.remote, { kind: 'addressGroup', addressGroup: 'pl-office' });
  assert.equal(r.topology!.addressGroups.map((g) => [g.id, g.cidrs.length]), [['pl-office', 2]]);
  const badEntry = imp({
    DescribeSecurityGroupAttribute: base,
    DescribePrefixListAttributes: { PrefixListId: 'pl-office', Entries: { Entry: [{ Cidr: '198.51.100.0/33' }] } },
  }, 'basic');
  const e = one(badEntry.issues, 'DescribePrefixListAttributes.Entries.Entry[0].Cidr');
  assert.match(e.message, /^"198\.51\.100\.0\/33" is not /);
  assert.match(e.message, /prefix length 0-32/);
});

addr('both IPv4 and IPv6 on one side is an error', () => {
  const r = imp(response('sg-1', [perm({ Ipv6SourceCidrIp: '::/0' })]), 'basic');
  errorIs(r.issues, `${P(0)}.Ipv6SourceCidrIp`,
    'both SourceCidrIp "10.0.0.0/8" and Ipv6SourceCidrIp "::/0" are set; a rule has one address family (expected one of them)', 'two-families');
});

addr('a group or prefix list on the interface side is ignored (warning)', () => {
  const r = imp(response('sg-1', [perm({ DestGroupId: 'sg-1' })]), 'basic');
  warningIs(r.issues, `${P(0)}.DestGroupId`, '"sg-1" is ignored: on ingress rules only a CIDR can restrict the interface side', 'local-not-cidr');
});

// ---------------------------------------------------------------------------
const errs = suite('aliyun: errors carry the original path');

errs('PortRange: out of range (the brief\'s example), reversed, malformed', () => {
  const r = imp(response('sg-1', [perm(), perm(), perm(), perm({ PortRange: '70000/70000' })]), 'basic');
  errorIs(r.issues, `${P(3)}.PortRange`, '"70000/70000" is not a port range (1-65535)', 'port-range');
  assert.is(r.topology, undefined);
  errorIs(imp(response('sg-1', [perm({ PortRange: '90/80' })]), 'basic').issues, `${P(0)}.PortRange`, '"90/80" is not a port range (start 90 is above end 80)');
  errorIs(imp(response('sg-1', [perm({ PortRange: '22' })]), 'basic').issues, `${P(0)}.PortRange`,
    '"22" is not a port range (expected "start/end", e.g. "22/22", "1/65535" or "-1/-1")');
  errorIs(imp(response('sg-1', [perm({ PortRange: '0/22' })]), 'basic').issues, `${P(0)}.PortRange`, '"0/22" is not a port range (1-65535)');
  errorIs(imp(response('sg-1', [perm({ SourcePortRange: '-1/80' })]), 'basic').issues, `${P(0)}.SourcePortRange`, '"-1/80" is not a port range (1-65535)');
});

errs('a port range on a protocol without ports (native check, mapped back)', () => {
  const r = imp(response('sg-1', [perm({ IpProtocol: 'ICMP', PortRange: '8/8' })]), 'basic');
  errorIs(r.issues, `${P(0)}.PortRange`, "ports apply to tcp and udp rules only; this rule's protocol is icmp", 'ports-not-tcp-udp');
});

errs('bad words', () => {
  errorIs(imp(response('sg-1', [perm({ Direction: 'inbound' })]), 'basic').issues, `${P(0)}.Direction`, '"inbound" is not "ingress" or "egress"');
  errorIs(imp(response('sg-1', [perm({ Policy: 'Permit' })]), 'basic').issues, `${P(0)}.Policy`, '"Permit" is not "Accept" or "Drop"');
  errorIs(imp(response('sg-1', [perm({ IpProtocol: 'SCTP' })]), 'basic').issues, `${P(0)}.IpProtocol`, '"SCTP" is not an IpProtocol (TCP, UDP, ICMP, ICMPv6, GRE or ALL)');
  errorIs(imp(response('sg-1', [perm({ IpProtocol: undefined })]), 'basic').issues, `${P(0)}.IpProtocol`, 'required, expected an IpProtocol (TCP, UDP, ICMP, ICMPv6, GRE or ALL)');
  errorIs(imp(response('sg-1', [], { InnerAccessPolicy: 'Allow' }), 'basic').issues, 'InnerAccessPolicy', '"Allow" is not "Accept" or "Drop"');
});

errs('priority: not a number, out of range (mapped back from the native stage)', () => {
  errorIs(imp(response('sg-1', [perm({ Priority: 'high' })]), 'basic').issues, `${P(0)}.Priority`,
    '"high" is not a priority (expected an integer 1-100, or 110, as a string like "1")', 'priority');
  errorIs(imp(response('sg-1', [perm({ Priority: '111' })]), 'basic').issues, `${P(0)}.Priority`,
    '111 is not a priority (expected 1-100, or 110 for legacy default-group rules (Alibaba))', 'priority-range');
  errorIs(imp(response('sg-1', [perm({ Priority: '0' })]), 'basic').issues, `${P(0)}.Priority`,
    '0 is not a priority (expected 1-100, or 110 for legacy default-group rules (Alibaba))');
});

errs('impossible addresses (native check, mapped back)', () => {
  const r = imp(response('sg-1', [perm({ SourceCidrIp: '300.1.1.1' }), perm({ DestCidrIp: '10.0.0.0/33' })]), 'basic');
  assert.match(one(r.issues, `${P(0)}.SourceCidrIp`).message, /^"300\.1\.1\.1" is not an IPv4 or IPv6 address or CIDR block/);
  assert.match(one(r.issues, `${P(1)}.DestCidrIp`).message, /^"10\.0\.0\.0\/33" is not .*prefix length 0-32/);
});

errs('family mismatch between remote and local (mapped back)', () => {
  const r = imp(response('sg-1', [perm({ DestCidrIp: '2001:db8::/64' })]), 'basic');
  errorIs(r.issues, `${P(0)}.DestCidrIp`, 'local 2001:db8::/64 is IPv6 but remote 10.0.0.0/8 is IPv4', 'family-mismatch');
});

errs('advanced groups cannot accept internal traffic (mapped back)', () => {
  const r = imp(response('sg-1', [perm()], { InnerAccessPolicy: 'Accept' }), 'advanced');
  assert.is(one(r.issues, 'InnerAccessPolicy').code, 'inner-policy-advanced');
});

errs('duplicate rule ids (mapped back)', () => {
  const r = imp(response('sg-1', [perm({ SecurityGroupRuleId: 'sgr-1' }), perm({ SecurityGroupRuleId: 'sgr-1' })]), 'basic');
  errorIs(r.issues, `${P(1)}.SecurityGroupRuleId`, 'duplicate rule id "sgr-1" in group "sg-1" (first at rules[0])');
});

errs('interfaces: unknown group, address owned twice, bad address', () => {
  const nic = (id: string, ip: string, groups: string[]) => ({ NetworkInterfaceId: id, PrivateIpSets: { PrivateIpSet: [{ PrivateIpAddress: ip }] }, SecurityGroupIds: { SecurityGroupId: groups } });
  const N = 'DescribeNetworkInterfaces.NetworkInterfaceSets.NetworkInterfaceSet';
  const r = imp({
    DescribeSecurityGroupAttribute: response('sg-1', [perm()]),
    DescribeNetworkInterfaces: { NetworkInterfaceSets: { NetworkInterfaceSet: [nic('eni-1', '10.0.0.5', ['sg-9']), nic('eni-3', '10.0.0.5', ['sg-1'])] } },
  }, 'basic');
  errorIs(r.issues, `${N}[0].SecurityGroupIds.SecurityGroupId[0]`, '"sg-9" is not a security group of this topology (expected one of "sg-1")');
  assert.match(one(r.issues, `${N}[1].PrivateIpSets.PrivateIpSet[0].PrivateIpAddress`).message, /^"10\.0\.0\.5" is already owned by/);
  const r2 = imp({
    DescribeSecurityGroupAttribute: response('sg-1', [perm()]),
    DescribeNetworkInterfaces: { NetworkInterfaceSets: { NetworkInterfaceSet: [nic('eni-2', '10.0.0.256', ['sg-1'])] } },
  }, 'basic');
  assert.match(one(r2.issues, `${N}[0].PrivateIpSets.PrivateIpSet[0].PrivateIpAddress`).message, /^"10\.0\.0\.256" is not an IPv4 or IPv6 address/);
  const r3 = imp({
    DescribeSecurityGroupAttribute: response('sg-1', [perm()]),
    DescribeNetworkInterfaces: { NetworkInterfaceSets: { NetworkInterfaceSet: [{ NetworkInterfaceId: 'eni-4', SecurityGroupIds: { SecurityGroupId: ['sg-1'] } }] } },
  }, 'basic');
  assert.match(one(r3.issues, `${N}[0]`).message, /at least 1/);
});

errs('the converted native document is available and mirrors the input', () => {
  const { native, issues } = aliyunToNative(response('sg-1', [perm({ PortRange: '80/443', SourcePortRange: '1000/2000' })]), { groupType: 'basic' });
  assert.is(issues.hasErrors(), false);
  assert.equal(native.securityGroups[0]!.rules[0], {
    direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '80-443', sourcePorts: '1000-2000', remote: '10.0.0.0/8',
  });
});

errs('errors never leave a model behind', () => {
  const r = imp(response('sg-1', [perm({ IpProtocol: 'SCTP' })]), 'basic');
  assert.is(r.topology, undefined);
  assert.ok(errors(r.issues).length >= 1);
});

// ---------------------------------------------------------------------------
const lists = suite('aliyun: port lists (PortRangeListId)');

const listed = (permission: Doc, entries: unknown = { 'prl-1': { RequestId: 'X', Entries: [{ PortRange: '22/22' }, { PortRange: '80/90' }] } }) =>
  imp({ DescribeSecurityGroupAttribute: response('sg-1', [permission]), DescribePortRangeListEntries: entries }, 'basic');
const PL = `DescribeSecurityGroupAttribute.${P(0)}`;

lists('PortRange empty: the list entries become the ports (responses keyed by id, or carrying PortRangeListId)', () => {
  const keyed = listed(perm({ PortRange: '', PortRangeListId: 'prl-1' }));
  assert.equal(keyed.issues, []);
  assert.equal(keyed.topology!.securityGroups[0]!.rules[0]!.ports, [{ from: 22, to: 22 }, { from: 80, to: 90 }]);
  const carried = listed(perm({ PortRange: '', PortRangeListId: 'prl-1' }),
    [{ PortRangeListId: 'prl-1', Entries: { Entry: [{ PortRange: '443/443' }] } }]);
  assert.equal(carried.issues, []);
  assert.equal(carried.topology!.securityGroups[0]!.rules[0]!.ports, [{ from: 443, to: 443 }]);
  const one_ = listed(perm({ PortRange: '', PortRangeListId: 'prl-1' }), { PortRangeListId: 'prl-1', Entries: [{ PortRange: '1/65535' }] });
  assert.equal(one_.topology!.securityGroups[0]!.rules[0]!.ports, [{ from: 1, to: 65535 }]);
});

lists('no entries for the list: an error at PortRangeListId, no topology (never all ports)', () => {
  const r = imp(response('sg-1', [perm({ PortRange: '', PortRangeListId: 'prl-2ze9743' })]), 'basic');
  errorIs(r.issues, `${P(0)}.PortRangeListId`,
    'port list "prl-2ze9743" is not in the document, and the rule cannot be judged without its ranges (it is not widened to all ports); expected its DescribePortRangeListEntries response under "DescribePortRangeListEntries" in a bundle, keyed by "prl-2ze9743"',
    'unknown-port-list');
  assert.is(r.topology, undefined);
  const other = listed(perm({ PortRange: '', PortRangeListId: 'prl-9' }));
  one(other.issues, `${PL}.PortRangeListId`);
  const empty = listed(perm({ PortRange: '', PortRangeListId: 'prl-1' }), { 'prl-1': { Entries: [] } });
  errorIs(empty.issues, `${PL}.PortRangeListId`,
    'port list "prl-1" has no valid entries, so the ports of this rule are unknown (expected at least one "start/end" entry)', 'empty-port-list');
});

lists('an explicit PortRange wins over the list (as the API), with a warning', () => {
  const r = listed(perm({ PortRange: '8080/8080', PortRangeListId: 'prl-1' }));
  warningIs(r.issues, `${PL}.PortRangeListId`,
    'port list "prl-1" is ignored: PortRange "8080/8080" is given and takes precedence (as the API)', 'port-list-ignored');
  assert.equal(r.topology!.securityGroups[0]!.rules[0]!.ports, [{ from: 8080, to: 8080 }]);
});

lists('"-1/-1" next to a list on a TCP rule is a placeholder: the list is used, never all ports', () => {
  const r = listed(perm({ PortRange: '-1/-1', PortRangeListId: 'prl-1' }));
  warningIs(r.issues, `${PL}.PortRange`,
    '"-1/-1" is not a tcp port range; read as a placeholder for the port list "prl-1", whose ranges are used', 'port-range-placeholder');
  assert.equal(r.topology!.securityGroups[0]!.rules[0]!.ports, [{ from: 22, to: 22 }, { from: 80, to: 90 }]);
  const missing = imp(response('sg-1', [perm({ PortRange: '-1/-1', PortRangeListId: 'prl-1' })]), 'basic');
  one(missing.issues, `${P(0)}.PortRangeListId`);
  assert.is(missing.topology, undefined);
});

lists('a port list on a rule without ports (ICMP) is refused by the native check, at PortRangeListId', () => {
  const r = listed(perm({ IpProtocol: 'ICMP', PortRange: '', PortRangeListId: 'prl-1' }));
  assert.is(r.topology, undefined);
  one(r.issues, `${PL}.PortRangeListId`);
});

lists('bad DescribePortRangeListEntries parts', () => {
  const p0 = perm({ PortRange: '', PortRangeListId: 'prl-1' });
  const noId = listed(p0, [{ Entries: [{ PortRange: '22/22' }] }]);
  errorIs(noId.issues, 'DescribePortRangeListEntries[0].PortRangeListId',
    'required: a DescribePortRangeListEntries response does not name its port list; add "PortRangeListId" (the request parameter), or give the responses as an object keyed by port list id',
    'missing');
  const bad = listed(p0, { 'prl-1': { Entries: [{ PortRange: '90/80' }, { PortRange: '-1/-1' }, { PortRange: '0/22' }, {}] } });
  for (const i of [0, 1, 2]) {
    one(bad.issues, `DescribePortRangeListEntries["prl-1"].Entries[${i}].PortRange`);
  }
  assert.match(one(bad.issues, 'DescribePortRangeListEntries["prl-1"].Entries[0].PortRange').message,
    /^"90\/80" is not a port-list entry \(expected "start\/end" with 1 <= start <= end <= 65535/);
  errorIs(bad.issues, 'DescribePortRangeListEntries["prl-1"].Entries[3].PortRange', 'required, expected a port range "start/end", e.g. "80/90"', 'missing');
  const clash = listed(p0, { 'prl-1': { PortRangeListId: 'prl-2', Entries: [{ PortRange: '22/22' }] } });
  errorIs(clash.issues, 'DescribePortRangeListEntries["prl-1"].PortRangeListId', '"prl-2" differs from the key "prl-1" it is filed under', 'value');
  const twice = listed(p0, [{ PortRangeListId: 'prl-1', Entries: [] }, { PortRangeListId: 'prl-1', Entries: [] }]);
  errorIs(twice.issues, 'DescribePortRangeListEntries[1]', 'port list "prl-1" is given twice', 'duplicate-id');
});

addr('egress: a DestPrefixListId as the only destination needs its list too', () => {
  const base = response('sg-1', [perm({ Direction: 'egress', SourceCidrIp: '', DestPrefixListId: 'pl-out' })]);
  one(imp(base, 'basic').issues, `${P(0)}.DestPrefixListId`);
  const r = imp({ DescribeSecurityGroupAttribute: base, DescribePrefixListAttributes: { PrefixListId: 'pl-out', Entries: { Entry: [{ Cidr: '203.0.113.0/24' }] } } }, 'basic');
  assert.equal(r.issues, []);
  assert.equal(r.topology!.securityGroups[0]!.rules[0]!.remote, { kind: 'addressGroup', addressGroup: 'pl-out' });
});

shapes.run();
norm.run();
addr.run();
errs.run();
lists.run();
