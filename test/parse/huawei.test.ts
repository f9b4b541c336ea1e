/**
 * Huawei importer (SEMANTICS §8): VPC v3 security-group-rule JSON (list,
 * single, bundle), every normalisation (a warning, text checked) and every
 * error path (a path in the ORIGINAL document).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { huaweiToNative, importHuawei } from '../../src/parse/huawei.js';
import { formatCidr } from '../../src/model/address.js';
import { errorIs, errors, noErrors, one, warningIs } from './helpers.js';

type Doc = Record<string, any>;

let nextId = 0;
/** A v3 rule object as the API returns it (a fresh id each time). */
function rule(extra: Doc = {}): Doc {
  return {
    id: `rule-${++nextId}`,
    security_group_id: 'sg-a', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', multiport: '22',
    remote_ip_prefix: '10.0.0.0/8', remote_group_id: null, remote_address_group_id: null, action: 'allow', priority: 1,
    description: '', project_id: 'p', created_at: '2024-01-01T00:00:00.000+00:00', ...extra,
  };
}
const list = (...rules: Doc[]) => ({ security_group_rules: rules });
const R = (i: number) => `security_group_rules[${i}]`;

// ---------------------------------------------------------------------------
const shapes = suite('huawei: document shapes');

shapes('a list response; groups formed from security_group_id in order of appearance', () => {
  const r = importHuawei(list(rule({ id: 'a1' }), rule({ id: 'b1', security_group_id: 'sg-b' }), rule({ id: 'a2', multiport: '80,443' })));
  assert.equal(r.issues, []);
  const t = r.topology!;
  assert.is(t.cloud, 'huawei');
  assert.equal(t.securityGroups.map((g) => [g.id, g.rules.map((x) => x.id)]), [['sg-a', ['a1', 'a2']], ['sg-b', ['b1']]]);
  const a2 = t.securityGroups[0]!.rules[1]!;
  assert.equal(a2.ports, [{ from: 80, to: 80 }, { from: 443, to: 443 }]);
  assert.is(a2.index, 1);
  assert.is(a2.ethertype, 4);
});

shapes('a single response', () => {
  const r = importHuawei({ security_group_rule: rule({ id: 'x', action: 'deny', priority: 5 }) });
  assert.equal(r.issues, []);
  const x = r.topology!.securityGroups[0]!.rules[0]!;
  assert.is(x.action, 'deny');
  assert.is(x.priority, 5);
});

shapes('a bare array of rules', () => {
  const r = importHuawei([rule({ id: 'x' }), rule({ id: 'y', multiport: 'abc' })]);
  assert.match(one(r.issues, '[1].multiport').message, /"abc" is not a port/);
});

shapes('protocol: empty or null is all; numbers and number strings; ethertype IPv6', () => {
  const r = importHuawei(list(
    rule({ id: '1', protocol: null, multiport: null }), rule({ id: '2', protocol: '', multiport: null }),
    rule({ id: '3', protocol: '132', multiport: null }), rule({ id: '4', protocol: 47, multiport: null }),
    rule({ id: '5', ethertype: 'IPv6', protocol: 'icmpv6', multiport: null, remote_ip_prefix: '::/0' }),
  ));
  assert.equal(r.issues, []);
  const rules = r.topology!.securityGroups[0]!.rules;
  assert.equal(rules.map((x) => x.protocol), ['all', 'all', 132, 47, 58]);
  assert.is(rules[4]!.ethertype, 6);
});

shapes('remote: group (self, as in the default group), address group, none', () => {
  const r = importHuawei({
    ...list(
      rule({ id: '1', protocol: null, multiport: null, remote_ip_prefix: null, remote_group_id: 'sg-a' }),
      rule({ id: '2', remote_ip_prefix: null, remote_address_group_id: 'ag-1' }),
      rule({ id: '3', remote_ip_prefix: null }),
    ),
    address_groups: [{ id: 'ag-1', name: 'admins', ip_set: ['198.51.100.0/26', '198.51.100.200', '192.0.2.20-192.0.2.35'] }],
  });
  assert.equal(r.issues, []);
  const rules = r.topology!.securityGroups[0]!.rules;
  assert.equal(rules[0]!.remote, { kind: 'group', group: 'sg-a' });
  assert.equal(rules[1]!.remote, { kind: 'addressGroup', addressGroup: 'ag-1' });
  assert.equal(rules[2]!.remote, { kind: 'any' });
  // 192.0.2.20-35 is exactly 20-23, 24-31, 32-35.
  assert.equal(r.topology!.addressGroups[0]!.cidrs.map(formatCidr),
    ['198.51.100.0/26', '198.51.100.200/32', '192.0.2.20/30', '192.0.2.24/29', '192.0.2.32/30']);
});

shapes('bundle: security_groups order and ports with groups in binding order', () => {
  const r = importHuawei({
    ...list(rule({ id: '1', security_group_id: 'sg-b' }), rule({ id: '2' })),
    security_groups: [{ id: 'sg-a', name: 'default' }, { id: 'sg-b', name: 'web' }, { id: 'sg-empty', name: 'unused' }],
    ports: [{ id: 'port-1', fixed_ips: [{ subnet_id: 's', ip_address: '10.1.1.10' }, { ip_address: '2001:db8::10' }], security_groups: ['sg-b', 'sg-a'] }],
  });
  assert.equal(r.issues, []);
  const t = r.topology!;
  assert.equal(t.securityGroups.map((g) => g.id), ['sg-a', 'sg-b', 'sg-empty']);
  assert.equal(t.interfaces[0]!.groups, ['sg-b', 'sg-a']);
  assert.equal(t.interfaces[0]!.ips.map((a) => a.family), [4, 6]);
});

shapes('old-style port_range_min/max are read when multiport is absent', () => {
  const r = importHuawei(list(rule({ multiport: undefined, port_range_min: 8000, port_range_max: 8080 })));
  assert.equal(r.issues, []);
  assert.equal(r.topology!.securityGroups[0]!.rules[0]!.ports, [{ from: 8000, to: 8080 }]);
});

shapes('bad documents', () => {
  errorIs(importHuawei({ rules: [] }).issues, '',
    'expected {"security_group_rules": [...]}, {"security_group_rule": {...}}, a ShowSecurityGroup response {"security_group": {...}}, or an array of rule objects or of ShowSecurityGroup responses; got an object without any of these keys', 'type');
  errorIs(importHuawei({ ...list(rule()), securitygroups: [] }).issues, 'securitygroups',
    'unknown key "securitygroups" (expected "security_group_rules", "security_group_rule", "security_groups", "address_groups", "ports", "description", "request_id", "page_info")');
  errorIs(importHuawei({ security_group_rules: {} }).issues, 'security_group_rules', 'expected an array, got an object');
  errorIs(importHuawei(list(rule({ security_group_id: undefined }))).issues, `${R(0)}.security_group_id`, 'required, expected a non-empty id string', 'missing');
});

// ---------------------------------------------------------------------------
const norm = suite('huawei: normalisations are warnings');

norm('letter case of direction, protocol, ethertype, action', () => {
  const r = importHuawei(list(rule({ direction: 'Ingress', protocol: 'TCP', ethertype: 'ipv4', action: 'ALLOW' })));
  noErrors(r.issues);
  warningIs(r.issues, `${R(0)}.direction`, '"Ingress" read as "ingress" (letter case normalised as the API does)', 'letter-case');
  warningIs(r.issues, `${R(0)}.protocol`, '"TCP" read as "tcp" (letter case normalised as the API does)');
  warningIs(r.issues, `${R(0)}.ethertype`, '"ipv4" read as "IPv4" (letter case normalised as the API does)');
  warningIs(r.issues, `${R(0)}.action`, '"ALLOW" read as "allow" (letter case normalised as the API does)');
  const x = r.topology!.securityGroups[0]!.rules[0]!;
  assert.is(x.protocol, 6);
  assert.is(x.action, 'allow');
});

norm('priority as a string; a missing priority in a v3 list is 1, the BatchCreateSecurityGroupRules default', () => {
  const r = importHuawei(list(rule({ id: '1', priority: '5' }), rule({ id: '2', priority: undefined }), rule({ id: '3', priority: null })));
  warningIs(r.issues, `${R(0)}.priority`, '"5" read as the integer 5', 'priority-string');
  const why = 'missing; read as 1, the API default for a v3 rule list: the default of v3 BatchCreateSecurityGroupRules (list responses always carry a priority)';
  warningIs(r.issues, `${R(1)}.priority`, why, 'priority-default');
  warningIs(r.issues, `${R(2)}.priority`, why);
  assert.equal(r.topology!.securityGroups[0]!.rules.map((x) => x.priority), [5, 1, 1]);
});

norm('a missing priority: 100 on a lone v3 security_group_rule, 1 on a v1/Neutron-style rule (SDK/API references, docs/formats.md)', () => {
  const single = importHuawei({ security_group_rule: rule({ priority: undefined }) });
  warningIs(single.issues, 'security_group_rule.priority',
    'missing; read as 100, the API default for a lone v3 "security_group_rule" object: the default of v3 CreateSecurityGroupRule', 'priority-default');
  assert.is(single.topology!.securityGroups[0]!.rules[0]!.priority, 100);
  // v1 POST /v1/{project_id}/security-group-rules and Neutron v2.0 take no priority at all.
  const v1 = { id: 'r', security_group_id: 'sg-a', direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp',
    port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.0.0.0/8', remote_group_id: null, tenant_id: 't' };
  for (const [doc, path] of [[{ security_group_rule: v1 }, 'security_group_rule'], [list(v1), R(0)]] as const) {
    const r = importHuawei(doc);
    warningIs(r.issues, `${path}.priority`,
      'missing; read as 1, the API default for a v1/Neutron-style rule (port_range_min/port_range_max): those APIs take no priority, and 1 is the default of the console, the v3 batch API and the Terraform provider',
      'priority-default');
    assert.is(r.topology!.securityGroups[0]!.rules[0]!.priority, 1);
  }
});

norm('a missing action is the API default allow', () => {
  const r = importHuawei(list(rule({ action: undefined })));
  warningIs(r.issues, `${R(0)}.action`, 'missing; read as "allow" (the API default)', 'action-default');
});

norm('host bits in remote_ip_prefix and in address groups', () => {
  const r = importHuawei({ ...list(rule({ remote_ip_prefix: '10.1.2.3/16' })), address_groups: [{ id: 'ag', ip_set: ['192.0.2.9/24'] }] });
  warningIs(r.issues, `${R(0)}.remote_ip_prefix`, '"10.1.2.3/16" has host bits set; read as 10.1.0.0/16', 'host-bits');
  warningIs(r.issues, 'address_groups[0].ip_set[0]', '"192.0.2.9/24" has host bits set; read as 192.0.2.0/24');
  assert.ok(r.topology);
});

// ---------------------------------------------------------------------------
const errs = suite('huawei: errors carry the original path');

errs('multiport: out of range, reversed, malformed', () => {
  errorIs(importHuawei(list(rule({ multiport: '70000' }))).issues, `${R(0)}.multiport`, '"70000" is not a port (1-65535)', 'port-range');
  errorIs(importHuawei(list(rule({ multiport: '22,70000' }))).issues, `${R(0)}.multiport`, '"22,70000": "70000" is not a port (1-65535)');
  errorIs(importHuawei(list(rule({ multiport: '82-80' }))).issues, `${R(0)}.multiport`, '"82-80": range start 82 is above its end 80');
  errorIs(importHuawei(list(rule({ multiport: 70000 }))).issues, `${R(0)}.multiport`, '"70000" is not a port (1-65535)');
  errorIs(importHuawei(list(rule({ multiport: undefined, port_range_min: 0, port_range_max: 10 }))).issues, `${R(0)}.port_range_min`, '0 is not a port (1-65535)');
});

errs('ports on a protocol without ports (native check, mapped back)', () => {
  errorIs(importHuawei(list(rule({ protocol: 'icmp', multiport: '8' }))).issues, `${R(0)}.multiport`,
    "ports apply to tcp and udp rules only; this rule's protocol is icmp", 'ports-not-tcp-udp');
  errorIs(importHuawei(list(rule({ protocol: null, multiport: '22' }))).issues, `${R(0)}.multiport`,
    "ports apply to tcp and udp rules only; this rule's protocol is all");
});

errs('priority out of range (native check, mapped back)', () => {
  for (const p of [0, 101, '101']) {
    errorIs(importHuawei(list(rule({ priority: p }))).issues, `${R(0)}.priority`, `${Number(p)} is not a priority (expected 1-100 (Huawei))`, 'priority-range');
  }
  errorIs(importHuawei(list(rule({ priority: 'first' }))).issues, `${R(0)}.priority`, '"first" is not a priority (expected an integer 1-100)', 'priority');
});

errs('bad words', () => {
  errorIs(importHuawei(list(rule({ direction: 'in' }))).issues, `${R(0)}.direction`, '"in" is not "ingress" or "egress"');
  errorIs(importHuawei(list(rule({ action: 'permit' }))).issues, `${R(0)}.action`, '"permit" is not "allow" or "deny"');
  errorIs(importHuawei(list(rule({ ethertype: 'IPv5' }))).issues, `${R(0)}.ethertype`, '"IPv5" is not "IPv4" or "IPv6"');
  errorIs(importHuawei(list(rule({ protocol: 'sctpx' }))).issues, `${R(0)}.protocol`,
    '"sctpx" is not a protocol (tcp, udp, icmp, icmpv6, gre, an IP protocol number 0-255, or empty/null for all)');
  errorIs(importHuawei(list(rule({ protocol: 256, multiport: null }))).issues, `${R(0)}.protocol`,
    '256 is not a protocol (tcp, udp, icmp, icmpv6, gre, an IP protocol number 0-255, or empty/null for all)');
});

errs('family mismatches (native check, mapped back)', () => {
  errorIs(importHuawei(list(rule({ ethertype: 'IPv6' }))).issues, `${R(0)}.remote_ip_prefix`,
    'remote 10.0.0.0/8 is IPv4 but ethertype ipv6 is IPv6', 'family-mismatch');
  errorIs(importHuawei(list(rule({ ethertype: 'IPv6', protocol: 'icmp', multiport: null, remote_ip_prefix: null }))).issues, `${R(0)}.ethertype`,
    'ethertype ipv6 is IPv6 but protocol icmp is IPv4');
});

errs('impossible remote_ip_prefix (native check, mapped back)', () => {
  assert.match(one(importHuawei(list(rule({ remote_ip_prefix: '300.1.1.1/32' }))).issues, `${R(0)}.remote_ip_prefix`).message, /^"300\.1\.1\.1\/32" is not/);
});

errs('more than one remote', () => {
  errorIs(importHuawei(list(rule({ remote_group_id: 'sg-a' }))).issues, `${R(0)}.remote_group_id`,
    'remote_ip_prefix and remote_group_id are both set (expected at most one of remote_ip_prefix, remote_group_id, remote_address_group_id)', 'remote-conflict');
});

errs('unknown group and address group references (mapped back)', () => {
  errorIs(importHuawei(list(rule({ remote_ip_prefix: null, remote_group_id: 'sg-x' }))).issues, `${R(0)}.remote_group_id`,
    '"sg-x" is not a security group of this topology (expected one of "sg-a")', 'unknown-group');
  errorIs(importHuawei(list(rule({ remote_ip_prefix: null, remote_address_group_id: 'ag-x' }))).issues, `${R(0)}.remote_address_group_id`,
    '"ag-x" is not an address group of this topology (expected one of none: there are none)', 'unknown-address-group');
  const r = importHuawei({ ...list(rule()), ports: [{ id: 'p1', fixed_ips: [{ ip_address: '10.0.0.1' }], security_groups: ['sg-a', 'sg-z'] }] });
  errorIs(r.issues, 'ports[0].security_groups[1]', '"sg-z" is not a security group of this topology (expected one of "sg-a")');
});

errs('address groups: bad entries and ranges', () => {
  const r = importHuawei({ ...list(rule()), address_groups: [{ id: 'ag', ip_set: ['10.0.0.9-10.0.0.1', '10.0.0.1-2001:db8::1', 'x-y', 5] }] });
  errorIs(r.issues, 'address_groups[0].ip_set[0]', '"10.0.0.9-10.0.0.1": range start is above its end');
  errorIs(r.issues, 'address_groups[0].ip_set[1]', '"10.0.0.1-2001:db8::1" mixes IPv4 and IPv6');
  errorIs(r.issues, 'address_groups[0].ip_set[2]', '"x-y" is not an address range (expected e.g. "192.168.3.20-192.168.3.100")');
  errorIs(r.issues, 'address_groups[0].ip_set[3]', 'expected an address, CIDR block or address range string, got number 5');
  errorIs(importHuawei({ ...list(rule()), address_groups: [{ id: 'ag' }] }).issues, 'address_groups[0].ip_set',
    'required, expected an array of addresses, CIDR blocks or ranges');
});

errs('duplicate rule ids and an address owned twice (mapped back)', () => {
  const r = importHuawei({
    ...list(rule({ id: 'r1' }), rule({ id: 'r1' })),
    ports: [{ id: 'p1', fixed_ips: [{ ip_address: '10.0.0.1' }], security_groups: ['sg-a'] }, { id: 'p2', fixed_ips: [{ ip_address: '10.0.0.1' }], security_groups: ['sg-a'] }],
  });
  errorIs(r.issues, `${R(1)}.id`, 'duplicate rule id "r1" in group "sg-a" (first at rules[0])');
  assert.match(one(r.issues, 'ports[1].fixed_ips[0].ip_address').message, /^"10\.0\.0\.1" is already owned by/);
});

errs('the converted native document mirrors the input', () => {
  const { native, issues } = huaweiToNative({ security_group_rule: rule({ id: 'x', multiport: '80-82', ethertype: 'IPv4' }) });
  assert.is(issues.hasErrors(), false);
  assert.equal(native.securityGroups, [{ id: 'sg-a', rules: [{ id: 'x', direction: 'ingress', ethertype: 'ipv4', action: 'allow', priority: 1, protocol: 'tcp', ports: '80-82', remote: '10.0.0.0/8' }] }]);
});

errs('errors never leave a model behind', () => {
  const r = importHuawei(list(rule({ multiport: '0' })));
  assert.is(r.topology, undefined);
  assert.ok(errors(r.issues).length >= 1);
});

// ---------------------------------------------------------------------------
const show = suite('huawei: ShowSecurityGroup responses and Neutron ICMP rules');

const showResponse = (id: string, rules: Doc[], extra: Doc = {}) => ({ request_id: 'req', security_group: { id, name: 'n', description: 'd', project_id: 'p', security_group_rules: rules, ...extra } });

show('one response: the group id comes from it; rules may omit security_group_id', () => {
  const r = importHuawei(showResponse('sg-x', [rule({ id: 'a', security_group_id: undefined }), rule({ id: 'b', security_group_id: 'sg-x' })]));
  assert.equal(r.issues, []);
  assert.equal(r.topology!.securityGroups.map((g) => [g.id, g.rules.map((x) => x.id)]), [['sg-x', ['a', 'b']]]);
  assert.is(r.native!.securityGroups[0]!.description, 'n: d');
});

show('a list of responses: one group each, in order; an empty group is kept', () => {
  const r = importHuawei([showResponse('sg-2', [rule({ id: 'a', security_group_id: 'sg-2' })]), showResponse('sg-1', [])]);
  assert.equal(r.issues, []);
  assert.equal(r.topology!.securityGroups.map((g) => [g.id, g.rules.length]), [['sg-2', 1], ['sg-1', 0]]);
});

show('errors: a rule of another group, a duplicate group, stray keys and elements, no rules array', () => {
  errorIs(importHuawei(showResponse('sg-x', [rule({ security_group_id: 'sg-y' })])).issues, 'security_group.security_group_rules[0].security_group_id',
    '"sg-y" differs from the id "sg-x" of the security group this rule is listed in', 'value');
  errorIs(importHuawei([showResponse('sg-x', []), showResponse('sg-x', [])]).issues, '[1].security_group.id', 'security group "sg-x" is given twice', 'duplicate-id');
  errorIs(importHuawei([showResponse('sg-x', []), rule()]).issues, '[1]',
    `expected a ShowSecurityGroup response {"security_group": {"id": ..., "security_group_rules": [...]}} like element 0, got an object`, 'type');
  errorIs(importHuawei({ ...showResponse('sg-x', []), page_info: {} }).issues, 'page_info',
    'unknown key "page_info" next to "security_group" (expected "security_group", "address_groups", "ports", "description", "request_id")', 'unknown-key');
  errorIs(importHuawei([{ ...showResponse('sg-x', []), ports: [] }]).issues, '[0].ports', 'unknown key "ports" (expected "security_group" or "request_id")', 'unknown-key');
  errorIs(importHuawei(showResponse('sg-x', {} as unknown as Doc[])).issues, 'security_group.security_group_rules', 'expected an array, got an object');
  errorIs(importHuawei({ security_group: { security_group_rules: [] } }).issues, 'security_group.id', 'required, expected a non-empty id string', 'missing');
});

show('protocol numbers 1 and 58 carry the API\'s ethertype constraint like the names icmp/icmpv6', () => {
  const v6 = importHuawei(list(rule({ protocol: 58, multiport: null, ethertype: null, remote_ip_prefix: null })));
  noErrors(v6.issues);
  assert.equal([v6.topology!.securityGroups[0]!.rules[0]!.protocol, v6.topology!.securityGroups[0]!.rules[0]!.ethertype], [58, 6]);
  // icmpv6 with an IPv4 prefix: refused (before, protocol 58 matched IPv4 packets from 10.0.0.0/8).
  const mixed = importHuawei(list(rule({ protocol: 58, multiport: null, ethertype: null, remote_ip_prefix: '10.0.0.0/8' })));
  assert.is(mixed.topology, undefined);
  assert.ok(errors(mixed.issues).length >= 1);
});

show('ICMP type/code in port_range_min/max is refused for icmp, icmpv6 and protocol numbers 1/58 (read as those names); never read as ports', () => {
  const neutron = (extra: Doc) => ({ id: 'n', security_group_id: 'sg-a', direction: 'ingress', ethertype: 'IPv4', remote_ip_prefix: null, remote_group_id: null, ...extra });
  const cases: [Doc, string, string][] = [
    [{ protocol: 'icmp', port_range_min: 8, port_range_max: 0 }, 'port_range_min', 'on this icmp rule port_range_min/port_range_max are the ICMP type and code (type 8, code 0), not ports'],
    [{ protocol: 'icmp', port_range_min: 3, port_range_max: null }, 'port_range_min', 'on this icmp rule port_range_min/port_range_max are the ICMP type and code (type 3, code null), not ports'],
    [{ protocol: 'icmpv6', ethertype: 'IPv6', port_range_min: 128 }, 'port_range_min', 'on this icmpv6 rule port_range_min/port_range_max are the ICMP type and code (type 128, code null), not ports'],
    [{ protocol: '1', port_range_min: 0, port_range_max: 0 }, 'port_range_min', 'on this icmp rule port_range_min/port_range_max are the ICMP type and code (type 0, code 0), not ports'],
    [{ protocol: 58, ethertype: 'IPv6', port_range_max: 4 }, 'port_range_max', 'on this icmpv6 rule port_range_min/port_range_max are the ICMP type and code (type null, code 4), not ports'],
  ];
  for (const [extra, key, start] of cases) {
    const r = importHuawei(list(neutron(extra)));
    assert.is(r.topology, undefined, JSON.stringify(extra));
    const e = one(r.issues, `${R(0)}.${key}`);
    assert.is(e.code, 'icmp-type-code');
    assert.ok(e.message.startsWith(start + '; '), e.message);
  }
  // Both fields null: every ICMP message, as the API says ("empty means all").
  const all = importHuawei(list(neutron({ protocol: 'icmp', port_range_min: null, port_range_max: null })));
  noErrors(all.issues);
  assert.equal(all.topology!.securityGroups[0]!.rules[0]!.ports, null);
});

shapes.run();
norm.run();
errs.run();
show.run();
