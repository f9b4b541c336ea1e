// SEMANTICS.md §7: the clouds' limits, each at the limit (no issue) and one past it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lintLimits } from '../../src/lint/limits.js';
import type { NativeRule, NativeTopology } from '../../src/parse/native.js';
import { topology } from '../helpers/scenario.js';

function rules(n: number, make: (i: number) => Partial<NativeRule> = () => ({})): NativeRule[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `r${i}`, direction: 'ingress' as const, action: 'allow' as const, priority: 1, protocol: 'tcp', ports: String((i % 65535) + 1), ...make(i),
  }));
}

function v4(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

function lint(doc: NativeTopology) {
  return lintLimits(topology(doc));
}

function codes(doc: NativeTopology): string[] {
  return lint(doc).map((i) => `${i.severity}:${i.code}`);
}

const aliyun = suite('§7 aliyun limits');

aliyun('200 rules per group', () => {
  const at = (n: number): NativeTopology => ({ cloud: 'aliyun', securityGroups: [{ id: 'sg', rules: rules(n) }], interfaces: [] });
  assert.equal(codes(at(200)), []);
  const issues = lint(at(201));
  assert.equal(issues.map((i) => i.code), ['limit-rules-per-group']);
  assert.is(issues[0]!.severity, 'error');
  assert.is(issues[0]!.path, 'securityGroups[0]');
  assert.match(issues[0]!.message, 'has 201 rules; Alibaba allows at most 200 per security group');
});

aliyun('10 groups per interface and 1000 rules across them', () => {
  const groups = (n: number, per: number) => Array.from({ length: n }, (_, i) => ({ id: `sg-${i}`, rules: rules(per) }));
  const doc = (n: number, per: number): NativeTopology => ({
    cloud: 'aliyun',
    securityGroups: groups(n, per),
    interfaces: [{ id: 'eni', ips: ['10.0.0.1'], groups: groups(n, 0).map((g) => g.id) }],
  });
  assert.equal(codes(doc(10, 100)), []);
  assert.equal(codes(doc(11, 0)), ['error:limit-groups-per-interface']);
  const over = lint(doc(6, 167)); // 1002 rules
  assert.equal(over.map((i) => i.code), ['limit-rules-per-interface']);
  assert.match(over[0]!.message, 'gets 1002 rules from its groups; Alibaba allows at most 1000');
});

aliyun('a basic group may hold 20 group-reference rules (seed 001)', () => {
  const doc = (n: number): NativeTopology => ({
    cloud: 'aliyun',
    securityGroups: [{ id: 'sg-a', rules: rules(n, () => ({ remote: { group: 'sg-b' } })) }, { id: 'sg-b', rules: [] }],
    interfaces: [],
  });
  assert.equal(codes(doc(20)), []);
  const issues = lint(doc(21));
  assert.equal(issues.map((i) => i.code), ['limit-group-reference-rules']);
  assert.match(issues[0]!.message, 'has 21 rules that reference a security group; at most 20 are allowed (seed 001)');
});

aliyun('advanced groups may neither reference a group nor be referenced (seed 001)', () => {
  const doc: NativeTopology = {
    cloud: 'aliyun',
    securityGroups: [
      { id: 'sg-adv', type: 'advanced', rules: rules(1, () => ({ remote: { group: 'sg-basic' } })) },
      { id: 'sg-basic', rules: rules(1, () => ({ remote: { group: 'sg-adv' } })) },
    ],
    interfaces: [],
  };
  const issues = lint(doc);
  assert.equal(issues.map((i) => `${i.path} ${i.code}`), [
    'securityGroups[0].rules[0].remote advanced-references-group',
    'securityGroups[1].rules[0].remote advanced-referenced',
  ]);
});

aliyun('an interface cannot mix basic and advanced groups (seed 001)', () => {
  const doc: NativeTopology = {
    cloud: 'aliyun',
    securityGroups: [{ id: 'sg-adv', type: 'advanced', rules: [] }, { id: 'sg-basic', rules: [] }],
    interfaces: [{ id: 'eni', ips: ['10.0.0.1'], groups: ['sg-basic', 'sg-adv'] }],
  };
  assert.equal(codes(doc), ['error:mixed-group-types']);
});

aliyun('private IP capacity: 6,000 per basic group (seed 001)', () => {
  const doc = (n: number): NativeTopology => ({
    cloud: 'aliyun',
    securityGroups: [{ id: 'sg', rules: [] }],
    interfaces: Array.from({ length: n / 2 }, (_, i) => ({ id: `eni-${i}`, ips: [v4(2 * i + 1), v4(2 * i + 2)], groups: ['sg'] })),
  });
  assert.equal(codes(doc(6000)), []);
  const issues = lint(doc(6002));
  assert.equal(issues.map((i) => i.code), ['limit-private-ips']);
  assert.match(issues[0]!.message, 'holds 6002 private IP addresses; its capacity is 6000 (seed 001)');
});

aliyun('65,536 interfaces per advanced group (seed 001)', () => {
  const doc = (n: number): NativeTopology => ({
    cloud: 'aliyun',
    securityGroups: [{ id: 'sg', type: 'advanced', rules: [] }],
    interfaces: Array.from({ length: n }, (_, i) => ({ id: `e${i}`, ips: [v4(i + 1)], groups: ['sg'] })),
  });
  assert.equal(codes(doc(65536)), []);
  const issues = lint(doc(65537));
  assert.equal(issues.map((i) => i.code), ['limit-interfaces-per-group']);
  assert.match(issues[0]!.message, 'has 65537 interfaces; its capacity is 65536 (seed 001)');
});

aliyun.run();

const huawei = suite('§7 huawei limits (seed 003)');

huawei('120 inbound rules per family that reference a group, an address group, or use non-contiguous ports; an overflow is an error', () => {
  const special = (i: number): Partial<NativeRule> =>
    i % 3 === 0 ? { remote: { group: 'sg' } } : i % 3 === 1 ? { remote: { addressGroup: 'ag' } } : { ports: '22,25,27' };
  const doc = (n: number, extra: NativeRule[] = []): NativeTopology => ({
    cloud: 'huawei',
    addressGroups: [{ id: 'ag', cidrs: ['192.0.2.0/24'] }],
    securityGroups: [{ id: 'sg', rules: [...rules(n, special), ...extra] }],
    interfaces: [],
  });
  // Plain rules, egress rules and IPv6 rules do not count against the IPv4 inbound quota.
  const others: NativeRule[] = [
    ...rules(50, (i) => ({ id: `plain-${i}` })),
    ...rules(120, (i) => ({ id: `v6-${i}`, ethertype: 'ipv6', remote: { group: 'sg' } })),
    ...rules(120, (i) => ({ id: `out-${i}`, direction: 'egress', remote: { group: 'sg' } })),
  ];
  assert.equal(codes(doc(120, others)), []);
  // A rule in several categories counts once.
  assert.equal(codes(doc(119, [{ id: 'both', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '1,3', remote: { group: 'sg' } }])), []);
  const issues = lint(doc(121));
  assert.equal(issues.map((i) => `${i.severity}:${i.code}`), ['error:limit-special-rules']);
  assert.match(issues[0]!.message, 'has 121 inbound IPv4 rules');
  assert.match(issues[0]!.message, 'at most 120 take effect');
});

huawei('outbound is counted separately', () => {
  const doc: NativeTopology = {
    cloud: 'huawei',
    securityGroups: [{ id: 'sg', rules: rules(121, () => ({ direction: 'egress', remote: { group: 'sg' } })) }],
    interfaces: [],
  };
  const issues = lint(doc);
  assert.equal(issues.map((i) => i.code), ['limit-special-rules']);
  assert.match(issues[0]!.message, '121 outbound IPv4 rules');
});

huawei('more than 5 groups per interface is a warning', () => {
  const doc = (n: number): NativeTopology => ({
    cloud: 'huawei',
    securityGroups: Array.from({ length: n }, (_, i) => ({ id: `sg-${i}`, rules: [] })),
    interfaces: [{ id: 'eni', ips: ['10.0.0.1'], groups: Array.from({ length: n }, (_, i) => `sg-${i}`) }],
  });
  assert.equal(codes(doc(5)), []);
  assert.equal(codes(doc(6)), ['warning:limit-groups-per-interface']);
});

huawei('more than 6,000 interfaces per group is a warning', () => {
  const doc = (n: number): NativeTopology => ({
    cloud: 'huawei',
    securityGroups: [{ id: 'sg', rules: [] }],
    interfaces: Array.from({ length: n }, (_, i) => ({ id: `e${i}`, ips: [v4(i + 1)], groups: ['sg'] })),
  });
  assert.equal(codes(doc(6000)), []);
  assert.equal(codes(doc(6001)), ['warning:limit-interfaces-per-group']);
});

huawei('legacy flavours: deny rules, address groups and non-contiguous ports warn; Kai1 warns on non-contiguous ports only', () => {
  const doc = (flavor?: string): NativeTopology => ({
    cloud: 'huawei',
    ...(flavor ? { flavor } : {}),
    addressGroups: [{ id: 'ag', cidrs: ['192.0.2.0/24'] }],
    securityGroups: [{ id: 'sg', rules: [
      { id: 'd', direction: 'ingress', action: 'deny', priority: 1, protocol: 'tcp', ports: '22' },
      { id: 'a', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', remote: { addressGroup: 'ag' } },
      { id: 'n', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22,24' },
    ] }],
    interfaces: [],
  });
  assert.equal(codes(doc()), []);
  assert.equal(codes(doc('s1.medium')), ['warning:flavour-deny', 'warning:flavour-address-group', 'warning:flavour-non-contiguous-ports']);
  assert.equal(codes(doc('kai1s.large.2')), []);
  assert.equal(codes(doc('kai1.large')), ['warning:flavour-non-contiguous-ports']);
  assert.equal(codes(doc('c7.large.2')), []);
});

huawei.run();
