/**
 * The native topology format (SEMANTICS §1): every validation error path.
 * Each expectation is what §1 requires: the JSON path, the bad value, and
 * what was expected. Documents are built inline so each test varies one thing.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseNativeTopology } from '../../src/parse/native.js';
import { at, errorIs, errors, noErrors, one, warningIs } from './helpers.js';

type Doc = Record<string, any>;

const rule = (extra: Doc = {}): Doc => ({ direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22', remote: '10.0.0.0/8', ...extra });

function doc(cloud: string, rules: Doc[] = [rule()], extra: Doc = {}): Doc {
  return {
    cloud,
    securityGroups: [{ id: 'sg-a', rules }],
    interfaces: [{ id: 'eni-a', ips: ['10.0.0.1'], groups: ['sg-a'] }],
    ...extra,
  };
}
const R = 'securityGroups[0].rules[0]';
const parse = (d: unknown, lenient = false) => parseNativeTopology(d, { lenientHostBits: lenient });

// ---------------------------------------------------------------------------
const shape = suite('native: shape');

shape('a valid document parses with no issues', () => {
  const r = parse(doc('aliyun'));
  assert.equal(r.issues, []);
  assert.ok(r.topology);
  assert.is(r.topology!.securityGroups[0]!.rules[0]!.priority, 1);
});

shape('not an object', () => {
  const r = parse([1, 2]);
  assert.is(r.topology, undefined);
  assert.is(errors(r.issues).length, 1);
  assert.match(errors(r.issues)[0]!.message, /expected an object, got an array/);
});

shape('unknown keys: top level, group, rule, interface, timeouts', () => {
  const d = doc('aliyun', [rule({ prot: 'tcp' })], { colud: 'x', conntrack: { tcpEstablishd: 5 } });
  d.securityGroups[0].priority = 3;
  d.interfaces[0].group = ['sg-a'];
  const r = parse(d);
  assert.is(r.topology, undefined);
  assert.match(one(r.issues, '').message, /unknown key "colud"/);
  assert.match(one(r.issues, 'securityGroups[0]').message, /unknown key "priority"/);
  assert.match(one(r.issues, R).message, /unknown key "prot"/);
  assert.match(one(r.issues, 'interfaces[0]').message, /unknown key "group"/);
  assert.match(one(r.issues, 'conntrack').message, /unknown key "tcpEstablishd"/);
});

shape('missing required fields are errors (priority has no default in the native format)', () => {
  const r1 = parse(doc('aliyun', [{ direction: 'ingress', action: 'allow', protocol: 'tcp' }]));
  const p = one(r1.issues, `${R}.priority`);
  assert.match(p.message, /^required, expected a/);
  assert.is(p.code, 'missing');
  const r2 = parse({ securityGroups: [] });
  errorIs(r2.issues, 'cloud', 'required, expected one of "aliyun", "huawei", "generic"', 'missing');
  const r3 = parse({ cloud: 'aliyun' });
  assert.match(one(r3.issues, 'securityGroups').message, /^required, expected an array/);
  const r4 = parse(doc('aliyun', [{ action: 'allow', priority: 1, protocol: 'all' }]));
  errorIs(r4.issues, `${R}.direction`, 'required, expected one of "ingress", "egress"', 'missing');
});

shape('enumerations name the bad value and the choices', () => {
  const r = parse({ ...doc('azure') });
  errorIs(r.issues, 'cloud', '"azure" is not one of "aliyun", "huawei", "generic"', 'enum');
  const r2 = parse(doc('aliyun', [rule({ action: 'accept' })]));
  errorIs(r2.issues, `${R}.action`, '"accept" is not one of "allow", "deny"');
  const r3 = parse(doc('aliyun', [rule({ direction: 'inbound' })]));
  errorIs(r3.issues, `${R}.direction`, '"inbound" is not one of "ingress", "egress"');
});

shape('wrong types say what was found', () => {
  const r = parse(doc('aliyun', [rule({ priority: '1' })]));
  assert.match(one(r.issues, `${R}.priority`).message, /expected a number, got string "1"/);
  const r2 = parse(doc('aliyun', [rule({ priority: 1.5 })]));
  assert.match(one(r2.issues, `${R}.priority`).message, /integer/);
  const r3 = parse(doc('aliyun', [rule({ priority: -1 })]));
  assert.match(one(r3.issues, `${R}.priority`).message, /-1/);
});

shape('every error is collected, not just the first', () => {
  const r = parse(doc('aliyun', [rule({ ports: '70000' }), rule({ protocol: 'tcpx' }), rule({ remote: '300.1.1.1' })]));
  assert.is(errors(r.issues).length, 3);
  assert.is(r.topology, undefined);
});

// ---------------------------------------------------------------------------
const values = suite('native: values');

values('a port above 65535 (the issue\'s own example)', () => {
  const r = parse(doc('aliyun', [rule(), rule(), rule(), rule(), rule(), rule({ ports: '70000' })]));
  errorIs(r.issues, 'securityGroups[0].rules[5].ports', '"70000" is not a port (1-65535)');
});

values('port 0 and a port inside a list', () => {
  errorIs(parse(doc('aliyun', [rule({ ports: '0' })])).issues, `${R}.ports`, '"0" is not a port (1-65535)');
  errorIs(parse(doc('aliyun', [rule({ ports: '22,65536' })])).issues, `${R}.ports`, '"65536" is not a port (1-65535)');
  errorIs(parse(doc('aliyun', [rule({ sourcePorts: '99999' })])).issues, `${R}.sourcePorts`, '"99999" is not a port (1-65535)');
});

values('a reversed range is an error', () => {
  errorIs(parse(doc('aliyun', [rule({ ports: '90-80' })])).issues, `${R}.ports`, '"90-80": range start 90 is above its end 80');
});

values('port syntax', () => {
  const i = one(parse(doc('aliyun', [rule({ ports: '22;25' })])).issues, `${R}.ports`);
  assert.match(i.message, /"22;25" is not a port or port range/);
  const e = one(parse(doc('aliyun', [rule({ ports: '' })])).issues, `${R}.ports`);
  assert.match(e.message, /^"" is not a port list/);
});

values('port forms the spec allows', () => {
  for (const ports of ['22', '80-82', '22,25,27', '22-24,25', 'all', 'ALL', 443]) {
    noErrors(parse(doc('aliyun', [rule({ ports })])).issues);
  }
  const t = parse(doc('aliyun', [rule({ ports: '22-24,25' })])).topology!;
  assert.equal(t.securityGroups[0]!.rules[0]!.ports, [{ from: 22, to: 24 }, { from: 25, to: 25 }]);
  assert.is(parse(doc('aliyun', [rule({ ports: 'all' })])).topology!.securityGroups[0]!.rules[0]!.ports, null);
});

values('bad protocols', () => {
  errorIs(parse(doc('aliyun', [rule({ protocol: 'tcpx' })])).issues, `${R}.protocol`,
    '"tcpx" is not a protocol (expected all, tcp, udp, icmp, icmpv6, gre or an IP protocol number 0-255)');
  errorIs(parse(doc('generic', [rule({ protocol: 256, ports: undefined })])).issues, `${R}.protocol`,
    '256 is not a protocol (expected all, tcp, udp, icmp, icmpv6, gre or an IP protocol number 0-255)');
});

values('protocols are case-insensitive on input; numbers 0-255', () => {
  const t = parse(doc('huawei', [rule({ protocol: 'TCP' }), rule({ protocol: 'Icmp', ports: undefined }), rule({ protocol: 132, ports: undefined })])).topology!;
  assert.equal(t.securityGroups[0]!.rules.map((r) => r.protocol), [6, 1, 132]);
});

values('impossible CIDRs and addresses', () => {
  const r = parse(doc('aliyun', [rule({ remote: '10.0.0.0/33' })]));
  const i = one(r.issues, `${R}.remote`);
  assert.match(i.message, /"10\.0\.0\.0\/33"/);
  assert.match(i.message, /prefix length 0-32/);
  const r2 = parse(doc('aliyun', [rule({ remote: '300.1.1.1' })]));
  assert.match(one(r2.issues, `${R}.remote`).message, /^"300\.1\.1\.1" is not an IPv4 or IPv6 address or CIDR block/);
  const r3 = parse(doc('aliyun', [rule({ remote: '2001:db8::/129' })]));
  assert.match(one(r3.issues, `${R}.remote`).message, /prefix length 0-128/);
  const r4 = parse(doc('aliyun', [rule({ local: '10.1' })]));
  assert.match(one(r4.issues, `${R}.local`).message, /^"10\.1" is not/);
  const r5 = parse(doc('aliyun', [rule({ remote: '10.0.0.0/8' })], { addressGroups: [{ id: 'ag', cidrs: ['10.0.0.0/8', '1.2.3.4/-1'] }] }));
  assert.match(one(r5.issues, 'addressGroups[0].cidrs[1]').message, /"1\.2\.3\.4\/-1"/);
});

values('interface addresses are bare addresses', () => {
  const d = doc('aliyun');
  d.interfaces[0].ips = ['10.0.0.1/32', '999.0.0.1'];
  const r = parse(d);
  assert.match(one(r.issues, 'interfaces[0].ips[0]').message, /^"10\.0\.0\.1\/32" is not an IPv4 or IPv6 address \(a bare address/);
  assert.match(one(r.issues, 'interfaces[0].ips[1]').message, /^"999\.0\.0\.1" is not/);
  const d2 = doc('aliyun');
  d2.interfaces[0].ips = [];
  assert.match(one(parse(d2).issues, 'interfaces[0].ips').message, /at least 1/);
});

values('a bad remote object', () => {
  const r = parse(doc('aliyun', [rule({ remote: { grop: 'sg-a' } })]));
  assert.match(one(r.issues, `${R}.remote`).message, /is not a remote \(expected a CIDR string, \{"group": id\} or \{"addressGroup": id\}\)/);
});

values('ethertype values', () => {
  errorIs(parse(doc('aliyun', [rule({ ethertype: 'ipv5' })])).issues, `${R}.ethertype`, '"ipv5" is not an ethertype (expected "ipv4" or "ipv6")');
});

values('host bits: an error in the native format, a warning for importers', () => {
  errorIs(parse(doc('aliyun', [rule({ remote: '10.0.1.7/24' })])).issues, `${R}.remote`,
    '"10.0.1.7/24" has host bits set (expected the network address, 10.0.1.0/24)', 'host-bits');
  const lenient = parse(doc('aliyun', [rule({ remote: '10.0.1.7/24' })]), true);
  warningIs(lenient.issues, `${R}.remote`, '"10.0.1.7/24" has host bits set; read as 10.0.1.0/24', 'host-bits');
  assert.ok(lenient.topology);
  assert.is(lenient.topology!.securityGroups[0]!.rules[0]!.remote.kind, 'cidr');
  const r6 = parse(doc('aliyun', [rule({ local: '2001:db8::1/64', remote: '::/0' })]));
  one(r6.issues, `${R}.local`);
});

// ---------------------------------------------------------------------------
const meaning = suite('native: meaning');

meaning('family mismatches between remote, local, ethertype and protocol', () => {
  errorIs(parse(doc('aliyun', [rule({ remote: '10.0.0.0/8', local: '2001:db8::/64' })])).issues, `${R}.local`,
    'local 2001:db8::/64 is IPv6 but remote 10.0.0.0/8 is IPv4', 'family-mismatch');
  errorIs(parse(doc('aliyun', [rule({ ethertype: 'ipv6', remote: '10.0.0.0/8' })])).issues, `${R}.remote`,
    'remote 10.0.0.0/8 is IPv4 but ethertype ipv6 is IPv6');
});

meaning('icmp is IPv4 only and icmpv6 IPv6 only', () => {
  errorIs(parse(doc('aliyun', [rule({ protocol: 'icmp', ports: undefined, remote: '2001:db8::/32' })])).issues, `${R}.remote`,
    'remote 2001:db8::/32 is IPv6 but protocol icmp is IPv4');
  errorIs(parse(doc('aliyun', [rule({ protocol: 'icmpv6', ports: undefined, ethertype: 'ipv4', remote: undefined })])).issues, `${R}.ethertype`,
    'ethertype ipv4 is IPv4 but protocol icmpv6 is IPv6');
  const t = parse(doc('aliyun', [rule({ protocol: 'icmp', ports: undefined, remote: undefined })])).topology!;
  assert.is(t.securityGroups[0]!.rules[0]!.ethertype, 4);
});

meaning('ports only on tcp and udp rules', () => {
  for (const protocol of ['icmp', 'all', 'gre', 47]) {
    errorIs(parse(doc('generic', [rule({ protocol, remote: undefined })])).issues, `${R}.ports`,
      `ports apply to tcp and udp rules only; this rule's protocol is ${protocol === 47 ? 'gre' : protocol}`, 'ports-not-tcp-udp');
  }
  errorIs(parse(doc('aliyun', [rule({ protocol: 'all', ports: undefined, sourcePorts: '53' })])).issues, `${R}.sourcePorts`,
    "ports apply to tcp and udp rules only; this rule's protocol is all");
  noErrors(parse(doc('aliyun', [rule({ protocol: 'icmp', ports: 'all', remote: undefined })])).issues);
  noErrors(parse(doc('aliyun', [rule({ protocol: 'udp', ports: '53', sourcePorts: '1024-65535' })])).issues);
});

meaning('unknown group and address group references', () => {
  errorIs(parse(doc('aliyun', [rule({ remote: { group: 'sg-zzz' } })])).issues, `${R}.remote.group`,
    '"sg-zzz" is not a security group of this topology (expected one of "sg-a")', 'unknown-group');
  errorIs(parse(doc('huawei', [rule({ remote: { addressGroup: 'ag-x' } })])).issues, `${R}.remote.addressGroup`,
    '"ag-x" is not an address group of this topology (expected one of none: there are none)', 'unknown-address-group');
  const d = doc('aliyun');
  d.interfaces[0].groups = ['sg-a', 'sg-b'];
  errorIs(parse(d).issues, 'interfaces[0].groups[1]', '"sg-b" is not a security group of this topology (expected one of "sg-a")');
  const d2 = doc('aliyun');
  d2.interfaces[0].groups = ['sg-a', 'sg-a'];
  errorIs(parse(d2).issues, 'interfaces[0].groups[1]', 'group "sg-a" is bound twice');
});

meaning('duplicate ids', () => {
  const d = doc('aliyun', [rule({ id: 'r1' }), rule({ id: 'r1' })], {
    addressGroups: [{ id: 'ag', cidrs: [] }, { id: 'ag', cidrs: [] }],
  });
  d.securityGroups.push({ id: 'sg-a', rules: [] });
  d.interfaces.push({ id: 'eni-a', ips: ['10.0.0.2'], groups: ['sg-a'] });
  const r = parse(d);
  errorIs(r.issues, 'securityGroups[1].id', 'duplicate security group id "sg-a" (first at securityGroups[0])', 'duplicate-id');
  errorIs(r.issues, 'securityGroups[0].rules[1].id', 'duplicate rule id "r1" in group "sg-a" (first at rules[0])');
  errorIs(r.issues, 'addressGroups[1].id', 'duplicate address group id "ag" (first at addressGroups[0])');
  errorIs(r.issues, 'interfaces[1].id', 'duplicate interface id "eni-a" (first at interfaces[0])');
});

meaning('the same rule id in two groups is fine', () => {
  const d = doc('aliyun', [rule({ id: 'r1' })]);
  d.securityGroups.push({ id: 'sg-b', rules: [rule({ id: 'r1' })] });
  noErrors(parse(d).issues);
});

meaning('an address owned by two interfaces (also in another spelling)', () => {
  const d = doc('aliyun');
  d.interfaces[0].ips = ['10.0.0.1', '2001:db8::1'];
  d.interfaces.push({ id: 'eni-b', ips: ['10.0.0.1', '2001:DB8:0::1'], groups: ['sg-a'] });
  const r = parse(d);
  errorIs(r.issues, 'interfaces[1].ips[0]', '"10.0.0.1" is already owned by interfaces[0].ips[0] (interface "eni-a")', 'address-owned-twice');
  errorIs(r.issues, 'interfaces[1].ips[1]', '"2001:DB8:0::1" is already owned by interfaces[0].ips[1] (interface "eni-a")');
});

meaning('priority ranges per cloud', () => {
  const prio = (cloud: string, priority: number) => parse(doc(cloud, [rule({ priority })])).issues;
  noErrors(prio('aliyun', 1));
  noErrors(prio('aliyun', 100));
  noErrors(prio('aliyun', 110));
  for (const p of [0, 101, 111]) {
    errorIs(prio('aliyun', p), `${R}.priority`, `${p} is not a priority (expected 1-100, or 110 for legacy default-group rules (Alibaba))`, 'priority-range');
  }
  noErrors(prio('huawei', 1));
  noErrors(prio('huawei', 100));
  for (const p of [0, 101, 110]) errorIs(prio('huawei', p), `${R}.priority`, `${p} is not a priority (expected 1-100 (Huawei))`);
  noErrors(prio('generic', 0));
  noErrors(prio('generic', 1_000_000));
});

meaning('innerAccessPolicy and advanced exist on Alibaba only', () => {
  const d = doc('huawei');
  d.securityGroups[0].innerAccessPolicy = 'drop';
  const i = one(parse(d).issues, 'securityGroups[0].innerAccessPolicy');
  assert.is(i.code, 'inner-policy-not-aliyun');
  assert.match(i.message, /Alibaba Cloud basic groups only/);
  assert.match(i.message, /\{"group": "sg-a"\}/);
  const d2 = doc('generic');
  d2.securityGroups[0].type = 'advanced';
  assert.is(one(parse(d2).issues, 'securityGroups[0].type').code, 'advanced-not-aliyun');
});

meaning('advanced groups cannot accept internal traffic', () => {
  const d = doc('aliyun');
  d.securityGroups[0].type = 'advanced';
  d.securityGroups[0].innerAccessPolicy = 'accept';
  const i = one(parse(d).issues, 'securityGroups[0].innerAccessPolicy');
  assert.is(i.code, 'inner-policy-advanced');
  assert.match(i.message, /"accept" is not possible/);
  d.securityGroups[0].innerAccessPolicy = 'drop';
  const t = parse(d).topology!;
  assert.is(t.securityGroups[0]!.innerAccessPolicy, 'drop');
  delete d.securityGroups[0].innerAccessPolicy;
  assert.is(parse(d).topology!.securityGroups[0]!.innerAccessPolicy, 'drop');
});

meaning('defaults apply to generic only', () => {
  const r = parse(doc('aliyun', [rule()], { defaults: { ingress: 'allow' } }));
  assert.is(one(r.issues, 'defaults').code, 'defaults-not-generic');
  const t = parse(doc('generic', [rule()], { defaults: { egress: 'allow' } })).topology!;
  assert.equal(t.defaults, { ingress: 'deny', egress: 'allow' });
});

meaning('defaults of §1: type basic, innerAccessPolicy accept, ethertype per cloud, rule ids', () => {
  const t = parse(doc('aliyun', [rule({ remote: undefined })])).topology!;
  const g = t.securityGroups[0]!;
  assert.is(g.type, 'basic');
  assert.is(g.innerAccessPolicy, 'accept');
  assert.is(g.rules[0]!.ethertype, 'any');
  assert.is(g.rules[0]!.id, 'sg-a/1');
  const h = parse(doc('huawei', [rule({ remote: undefined })])).topology!;
  assert.is(h.securityGroups[0]!.rules[0]!.ethertype, 4);
});

meaning('conntrack timeouts: cloud defaults, then topology, then interface', () => {
  const d = doc('aliyun', [rule()], { conntrack: { udp: 10, icmp: 5 } });
  d.interfaces[0].conntrack = { udp: 20 };
  const c = parse(d).topology!.interfaces[0]!.conntrack;
  assert.is(c.tcpEstablished, 910);
  assert.is(c.udp, 20);
  assert.is(c.icmp, 5);
  const bad = doc('aliyun', [rule()], { conntrack: { udp: -1 } });
  one(parse(bad).issues, 'conntrack.udp');
});

meaning('nothing is returned when anything is wrong; warnings alone keep the model', () => {
  const r = parse(doc('aliyun', [rule(), rule({ remote: { group: 'nope' } })]));
  assert.is(r.topology, undefined);
  assert.is(at(r.issues, 'securityGroups[0].rules[1].remote.group').length, 1);
});

shape.run();
values.run();
meaning.run();
