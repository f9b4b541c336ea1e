// SEMANTICS.md §4 per cloud, and every row of the seeds' comparison tables
// (seed 000 "Comparison of features", seed 001 default-rule tables, seed 002
// priorities, seed 003 Huawei rule parameters and constraints).
import { suite } from 'uvu';
import { engine, expectDecision } from '../helpers/scenario.js';
import type { NativeGroup, NativeTopology } from '../../src/parse/native.js';

/** Two interfaces sharing one Alibaba group, plus an outsider in its own group. */
function aliyunPair(group: Partial<NativeGroup>, rules: NativeGroup['rules'] = []): NativeTopology {
  return {
    cloud: 'aliyun',
    securityGroups: [
      { id: 'sg-app', ...group, rules },
      { id: 'sg-other', type: group.type ?? 'basic', rules: [] },
    ],
    interfaces: [
      { id: 'eni-1', ips: ['10.0.0.1'], groups: ['sg-app'] },
      { id: 'eni-2', ips: ['10.0.0.2'], groups: ['sg-app'] },
      { id: 'eni-3', ips: ['10.0.0.3'], groups: ['sg-other'] },
    ],
  };
}

const aliyun = suite('§4 aliyun (seeds 000, 001, 002)');

aliyun('basic, inner access accept: traffic from another member is allowed (priority 1 default)', () => {
  const { judge } = engine(aliyunPair({ type: 'basic', innerAccessPolicy: 'accept' }));
  expectDecision(judge('tcp 10.0.0.2:4000 -> 10.0.0.1:5432'), 'allow', [
    'eni-2/egress:allow:default',
    'eni-1/ingress:allow:intra-group',
  ]);
});

aliyun('basic, inner access accept is the default policy (seed 001)', () => {
  const { judge } = engine(aliyunPair({ type: 'basic' }));
  expectDecision(judge('udp 10.0.0.2:4000 -> 10.0.0.1:53'), 'allow', ['eni-2/egress:allow:default', 'eni-1/ingress:allow:intra-group']);
});

aliyun('the intra-group default overrides a custom deny of higher priority (seed 001 "overriding your custom rules")', () => {
  const { judge } = engine(
    aliyunPair({ type: 'basic', innerAccessPolicy: 'accept' }, [
      { id: 'deny-peer', direction: 'ingress', action: 'deny', priority: 1, protocol: 'all', remote: '10.0.0.2' },
    ]),
  );
  expectDecision(judge('tcp 10.0.0.2:4000 -> 10.0.0.1:22'), 'allow', ['eni-2/egress:allow:default', 'eni-1/ingress:allow:intra-group']);
});

aliyun('basic, inner access drop: members are not allowed by default; custom rules decide', () => {
  const { judge } = engine(
    aliyunPair({ type: 'basic', innerAccessPolicy: 'drop' }, [
      { id: 'allow-pg', direction: 'ingress', action: 'allow', priority: 10, protocol: 'tcp', ports: '5432', remote: '10.0.0.0/24' },
    ]),
  );
  expectDecision(judge('tcp 10.0.0.2:4000 -> 10.0.0.1:22'), 'deny', ['eni-2/egress:allow:default', 'eni-1/ingress:deny:default']);
  expectDecision(judge('tcp 10.0.0.2:4001 -> 10.0.0.1:5432'), 'allow', ['eni-2/egress:allow:default', 'eni-1/ingress:allow:rule:allow-pg']);
});

aliyun('the intra-group rule needs a shared group: another group is not allowed', () => {
  const { judge } = engine(aliyunPair({ type: 'basic' }));
  expectDecision(judge('tcp 10.0.0.3:4000 -> 10.0.0.1:22'), 'deny', ['eni-3/egress:allow:default', 'eni-1/ingress:deny:default']);
});

aliyun('basic defaults: ingress deny, egress allow (seed 001 tables)', () => {
  const { judge } = engine(aliyunPair({ type: 'basic' }));
  expectDecision(judge('tcp 203.0.113.1:4000 -> 10.0.0.1:80'), 'deny', ['eni-1/ingress:deny:default']);
  expectDecision(judge('tcp 10.0.0.1:4000 -> 203.0.113.1:80'), 'allow', ['eni-1/egress:allow:default']);
});

aliyun('advanced defaults: ingress deny and egress deny; no intra-group access (seed 000, 001)', () => {
  const { judge } = engine(aliyunPair({ type: 'advanced' }));
  expectDecision(judge('tcp 203.0.113.1:4000 -> 10.0.0.1:80'), 'deny', ['eni-1/ingress:deny:default']);
  expectDecision(judge('tcp 10.0.0.1:4000 -> 203.0.113.1:80'), 'deny', ['eni-1/egress:deny:default']);
  expectDecision(judge('tcp 10.0.0.2:4000 -> 10.0.0.1:80'), 'deny', ['eni-2/egress:deny:default']);
});

aliyun('advanced: members reach each other only through explicit rules', () => {
  const { judge } = engine(
    aliyunPair({ type: 'advanced' }, [
      { id: 'out', direction: 'egress', action: 'allow', priority: 1, protocol: 'all' },
      { id: 'in-vpc', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '80', remote: '10.0.0.0/24' },
    ]),
  );
  expectDecision(judge('tcp 10.0.0.2:4000 -> 10.0.0.1:80'), 'allow', ['eni-2/egress:allow:rule:out', 'eni-1/ingress:allow:rule:in-vpc']);
  expectDecision(judge('tcp 10.0.0.2:4000 -> 10.0.0.1:81'), 'deny', ['eni-2/egress:allow:rule:out', 'eni-1/ingress:deny:default']);
});

aliyun('priority: the higher priority (smaller number) wins regardless of policy (seed 002)', () => {
  const { judge } = engine(
    aliyunPair({ type: 'basic' }, [
      { id: 'deny-2', direction: 'ingress', action: 'deny', priority: 2, protocol: 'tcp', ports: '22' },
      { id: 'allow-1', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22' },
    ]),
  );
  expectDecision(judge('tcp 203.0.113.1:4000 -> 10.0.0.1:22'), 'allow', ['eni-1/ingress:allow:rule:allow-1']);
});

aliyun('equal priority: deny takes effect, allow does not (seed 002)', () => {
  const { judge } = engine(
    aliyunPair({ type: 'basic' }, [
      { id: 'allow-5', direction: 'ingress', action: 'allow', priority: 5, protocol: 'tcp', ports: '22' },
      { id: 'deny-5', direction: 'ingress', action: 'deny', priority: 5, protocol: 'tcp', ports: '22' },
    ]),
  );
  expectDecision(judge('tcp 203.0.113.1:4000 -> 10.0.0.1:22'), 'deny', ['eni-1/ingress:deny:rule:deny-5']);
});

aliyun('rules of all groups merge: a deny of priority 5 in the second group beats an allow of priority 10 in the first', () => {
  const { judge } = engine({
    cloud: 'aliyun',
    securityGroups: [
      { id: 'sg-first', rules: [{ id: 'allow-10', direction: 'ingress', action: 'allow', priority: 10, protocol: 'tcp', ports: '443' }] },
      { id: 'sg-second', rules: [{ id: 'deny-5', direction: 'ingress', action: 'deny', priority: 5, protocol: 'tcp', ports: '443' }] },
    ],
    interfaces: [{ id: 'eni', ips: ['10.0.0.1'], groups: ['sg-first', 'sg-second'] }],
  });
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443'), 'deny', ['eni/ingress:deny:rule:deny-5']);
});

aliyun('equal priority and action: group order on the interface, then rule order, picks the reported rule', () => {
  const { judge } = engine({
    cloud: 'aliyun',
    securityGroups: [
      { id: 'sg-x', rules: [{ id: 'x-allow', direction: 'ingress', action: 'allow', priority: 3, protocol: 'tcp', ports: '80' }] },
      { id: 'sg-y', rules: [
        { id: 'y-allow-a', direction: 'ingress', action: 'allow', priority: 3, protocol: 'tcp', ports: '80' },
        { id: 'y-allow-b', direction: 'ingress', action: 'allow', priority: 3, protocol: 'all' },
      ] },
    ],
    interfaces: [
      { id: 'eni-yx', ips: ['10.0.0.1'], groups: ['sg-y', 'sg-x'] },
      { id: 'eni-xy', ips: ['10.0.0.2'], groups: ['sg-x', 'sg-y'] },
    ],
  });
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:80'), 'allow', ['eni-yx/ingress:allow:rule:y-allow-a']);
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.2:80'), 'allow', ['eni-xy/ingress:allow:rule:x-allow']);
});

aliyun('priority 110 (legacy default-group rules) comes after every 1-100 rule (seed 002)', () => {
  const { judge } = engine(
    aliyunPair({ type: 'basic' }, [
      { id: 'default-ssh', direction: 'ingress', action: 'allow', priority: 110, protocol: 'tcp', ports: '22' },
      { id: 'deny-100', direction: 'ingress', action: 'deny', priority: 100, protocol: 'tcp', ports: '22', remote: '203.0.113.0/24' },
    ]),
  );
  expectDecision(judge('tcp 203.0.113.1:4000 -> 10.0.0.1:22'), 'deny', ['eni-1/ingress:deny:rule:deny-100']);
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:22'), 'allow', ['eni-1/ingress:allow:rule:default-ssh']);
});

aliyun('group reference: members of the referenced group, not others (seed 001 "Security groups as authorization objects")', () => {
  const { judge } = engine({
    cloud: 'aliyun',
    securityGroups: [
      { id: 'sg-bastion', rules: [] },
      { id: 'sg-web', innerAccessPolicy: 'drop', rules: [{ id: 'ssh-from-bastion', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22', remote: { group: 'sg-bastion' } }] },
    ],
    interfaces: [
      { id: 'eni-bastion', ips: ['10.0.9.9'], groups: ['sg-bastion'] },
      { id: 'eni-web', ips: ['10.0.1.1'], groups: ['sg-web'] },
      { id: 'eni-web2', ips: ['10.0.1.2'], groups: ['sg-web'] },
    ],
  });
  expectDecision(judge('tcp 10.0.9.9:4000 -> 10.0.1.1:22'), 'allow', ['eni-bastion/egress:allow:default', 'eni-web/ingress:allow:rule:ssh-from-bastion']);
  expectDecision(judge('tcp 10.0.1.2:4000 -> 10.0.1.1:22'), 'deny', ['eni-web2/egress:allow:default', 'eni-web/ingress:deny:default']);
  expectDecision(judge('tcp 10.0.9.10:4000 -> 10.0.1.1:22'), 'deny', ['eni-web/ingress:deny:default']);
});

aliyun('quintuple rules: sourcePorts and local (DestCidrIp) must match too', () => {
  const { judge } = engine({
    cloud: 'aliyun',
    securityGroups: [{ id: 'sg', rules: [{
      id: 'quint', direction: 'ingress', action: 'allow', priority: 1, protocol: 'udp',
      ports: '123', sourcePorts: '123', remote: '192.0.2.0/24', local: '10.0.0.1/32',
    }] }],
    interfaces: [{ id: 'eni', ips: ['10.0.0.1', '10.0.0.2'], groups: ['sg'] }],
  });
  expectDecision(judge('udp 192.0.2.5:123 -> 10.0.0.1:123'), 'allow', ['eni/ingress:allow:rule:quint']);
  expectDecision(judge('udp 192.0.2.5:124 -> 10.0.0.1:123'), 'deny', ['eni/ingress:deny:default']);
  expectDecision(judge('udp 192.0.2.5:123 -> 10.0.0.2:123'), 'deny', ['eni/ingress:deny:default']);
});

aliyun('families: a rule without CIDR matches both; an IPv6 CIDR only IPv6; icmp only IPv4', () => {
  const { judge } = engine({
    cloud: 'aliyun',
    securityGroups: [{ id: 'sg', rules: [
      { id: 'http-any', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '80' },
      { id: 'ssh-v6', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22', remote: '2001:db8::/32' },
      { id: 'ping', direction: 'ingress', action: 'allow', priority: 1, protocol: 'icmp' },
    ] }],
    interfaces: [{ id: 'eni', ips: ['10.0.0.1', '2001:db8:1::1'], groups: ['sg'] }],
  });
  expectDecision(judge('tcp 192.0.2.1:4000 -> 10.0.0.1:80'), 'allow', ['eni/ingress:allow:rule:http-any']);
  expectDecision(judge('tcp [2001:db8:2::9]:4000 -> [2001:db8:1::1]:80'), 'allow', ['eni/ingress:allow:rule:http-any']);
  expectDecision(judge('tcp [2001:db8:2::9]:4000 -> [2001:db8:1::1]:22'), 'allow', ['eni/ingress:allow:rule:ssh-v6']);
  expectDecision(judge('tcp 192.0.2.1:4000 -> 10.0.0.1:22'), 'deny', ['eni/ingress:deny:default']);
  expectDecision(judge('icmp 192.0.2.1 -> 10.0.0.1 type 8 code 0 id 1'), 'allow', ['eni/ingress:allow:rule:ping']);
  expectDecision(judge('icmpv6 2001:db8:2::9 -> 2001:db8:1::1 type 128 code 0 id 1'), 'deny', ['eni/ingress:deny:default']);
});

aliyun.run();

const huawei = suite('§4 huawei (seed 003)');

huawei('binding order first: the first group\'s allow (priority 100) beats the second group\'s deny (priority 1)', () => {
  const { judge } = engine({
    cloud: 'huawei',
    securityGroups: [
      { id: 'sg-first', rules: [{ id: 'allow-100', direction: 'ingress', action: 'allow', priority: 100, protocol: 'tcp', ports: '443' }] },
      { id: 'sg-second', rules: [{ id: 'deny-1', direction: 'ingress', action: 'deny', priority: 1, protocol: 'tcp', ports: '443' }] },
    ],
    interfaces: [
      { id: 'eni-12', ips: ['10.0.0.1'], groups: ['sg-first', 'sg-second'] },
      { id: 'eni-21', ips: ['10.0.0.2'], groups: ['sg-second', 'sg-first'] },
    ],
  });
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443'), 'allow', ['eni-12/ingress:allow:rule:allow-100']);
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.2:443'), 'deny', ['eni-21/ingress:deny:rule:deny-1']);
});

huawei('inside a group: priority first, then deny before allow (Table 1: "Deny rules take precedence")', () => {
  const { judge } = engine({
    cloud: 'huawei',
    securityGroups: [{ id: 'sg', rules: [
      { id: 'allow-1', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22' },
      { id: 'deny-1', direction: 'ingress', action: 'deny', priority: 1, protocol: 'tcp', ports: '22', remote: '203.0.113.0/24' },
      { id: 'deny-2', direction: 'ingress', action: 'deny', priority: 2, protocol: 'tcp', ports: '80' },
      { id: 'allow-1-80', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '80' },
    ] }],
    interfaces: [{ id: 'eni', ips: ['10.0.0.1'], groups: ['sg'] }],
  });
  expectDecision(judge('tcp 203.0.113.5:4000 -> 10.0.0.1:22'), 'deny', ['eni/ingress:deny:rule:deny-1']);
  expectDecision(judge('tcp 198.51.100.5:4000 -> 10.0.0.1:22'), 'allow', ['eni/ingress:allow:rule:allow-1']);
  expectDecision(judge('tcp 198.51.100.5:4000 -> 10.0.0.1:80'), 'allow', ['eni/ingress:allow:rule:allow-1-80']);
});

huawei('no match denies in both directions; no invisible intra-group rule', () => {
  const { judge } = engine({
    cloud: 'huawei',
    securityGroups: [{ id: 'sg', rules: [] }],
    interfaces: [
      { id: 'eni-1', ips: ['10.0.0.1'], groups: ['sg'] },
      { id: 'eni-2', ips: ['10.0.0.2'], groups: ['sg'] },
    ],
  });
  expectDecision(judge('tcp 10.0.0.1:4000 -> 198.51.100.1:80'), 'deny', ['eni-1/egress:deny:default']);
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:80'), 'deny', ['eni-1/ingress:deny:default']);
  expectDecision(judge('tcp 10.0.0.2:4000 -> 10.0.0.1:80'), 'deny', ['eni-2/egress:deny:default']);
});

huawei('the default group\'s explicit rule: remote {group: self} admits members (Rule A01 / A02 of seed 003)', () => {
  const { judge } = engine({
    cloud: 'huawei',
    securityGroups: [{ id: 'sg-a', rules: [
      { id: 'A01', direction: 'ingress', action: 'allow', priority: 1, protocol: 'all', remote: { group: 'sg-a' } },
      { id: 'out', direction: 'egress', action: 'allow', priority: 1, protocol: 'all' },
    ] }],
    interfaces: [
      { id: 'eni-1', ips: ['10.0.0.1'], groups: ['sg-a'] },
      { id: 'eni-2', ips: ['10.0.0.2'], groups: ['sg-a'] },
    ],
  });
  expectDecision(judge('udp 10.0.0.2:4000 -> 10.0.0.1:9000'), 'allow', ['eni-2/egress:allow:rule:out', 'eni-1/ingress:allow:rule:A01']);
  expectDecision(judge('udp 198.51.100.9:4000 -> 10.0.0.1:9000'), 'deny', ['eni-1/ingress:deny:default']);
});

huawei('address groups: any of the group\'s CIDRs (Rule A03), IPv4 by default', () => {
  const { judge } = engine({
    cloud: 'huawei',
    addressGroups: [{ id: 'ipGroup-A', cidrs: ['192.168.10.0/24', '172.16.0.0/16'] }],
    securityGroups: [{ id: 'sg', rules: [
      { id: 'A03', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '80-82', remote: { addressGroup: 'ipGroup-A' } },
    ] }],
    interfaces: [{ id: 'eni', ips: ['10.0.0.1'], groups: ['sg'] }],
  });
  expectDecision(judge('tcp 172.16.3.4:4000 -> 10.0.0.1:81'), 'allow', ['eni/ingress:allow:rule:A03']);
  expectDecision(judge('tcp 192.168.11.4:4000 -> 10.0.0.1:81'), 'deny', ['eni/ingress:deny:default']);
  expectDecision(judge('tcp 172.16.3.4:4000 -> 10.0.0.1:83'), 'deny', ['eni/ingress:deny:default']);
});

huawei('non-contiguous ports "22,25,27" and "22-24,25" (Rules A02, A04)', () => {
  const { judge } = engine({
    cloud: 'huawei',
    securityGroups: [{ id: 'sg', rules: [
      { id: 'A02', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22,25,27', remote: '192.168.0.0/16' },
      { id: 'A04', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22-24,25', remote: '10.9.0.0/16' },
    ] }],
    interfaces: [{ id: 'eni', ips: ['10.0.0.1'], groups: ['sg'] }],
  });
  expectDecision(judge('tcp 192.168.1.1:4000 -> 10.0.0.1:25'), 'allow', ['eni/ingress:allow:rule:A02']);
  expectDecision(judge('tcp 192.168.1.1:4000 -> 10.0.0.1:26'), 'deny', ['eni/ingress:deny:default']);
  expectDecision(judge('tcp 10.9.1.1:4000 -> 10.0.0.1:24'), 'allow', ['eni/ingress:allow:rule:A04']);
});

huawei('ethertype: a rule with no CIDR is IPv4 unless it says ipv6', () => {
  const { judge } = engine({
    cloud: 'huawei',
    securityGroups: [{ id: 'sg', rules: [
      { id: 'v4', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '80' },
      { id: 'v6', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '443', ethertype: 'ipv6' },
    ] }],
    interfaces: [{ id: 'eni', ips: ['10.0.0.1', '2001:db8::1'], groups: ['sg'] }],
  });
  expectDecision(judge('tcp 192.0.2.1:4000 -> 10.0.0.1:80'), 'allow', ['eni/ingress:allow:rule:v4']);
  expectDecision(judge('tcp [2001:db8:9::1]:4000 -> [2001:db8::1]:80'), 'deny', ['eni/ingress:deny:default']);
  expectDecision(judge('tcp [2001:db8:9::1]:4000 -> [2001:db8::1]:443'), 'allow', ['eni/ingress:allow:rule:v6']);
  expectDecision(judge('tcp 192.0.2.1:4000 -> 10.0.0.1:443'), 'deny', ['eni/ingress:deny:default']);
});

huawei('numeric protocols (Huawei accepts 0-255)', () => {
  const { judge } = engine({
    cloud: 'huawei',
    securityGroups: [{ id: 'sg', rules: [{ id: 'sctp', direction: 'ingress', action: 'allow', priority: 1, protocol: 132 }] }],
    interfaces: [{ id: 'eni', ips: ['10.0.0.1'], groups: ['sg'] }],
  });
  expectDecision(judge('132 192.0.2.1 -> 10.0.0.1'), 'allow', ['eni/ingress:allow:rule:sctp']);
  expectDecision(judge('gre 192.0.2.1 -> 10.0.0.1'), 'deny', ['eni/ingress:deny:default']);
});

huawei.run();

const generic = suite('§4 generic');

generic('first match over merged, sorted rules; defaults from the topology', () => {
  const { judge } = engine({
    cloud: 'generic',
    defaults: { ingress: 'allow', egress: 'deny' },
    securityGroups: [{ id: 'acl', rules: [
      { id: 'r2', direction: 'ingress', action: 'deny', priority: 2, protocol: 'tcp', ports: '23' },
      { id: 'r0', direction: 'ingress', action: 'allow', priority: 0, protocol: 'tcp', ports: '23', remote: '192.0.2.0/24' },
    ] }],
    interfaces: [{ id: 'eni', ips: ['10.0.0.1'], groups: ['acl'] }],
  });
  expectDecision(judge('tcp 192.0.2.1:4000 -> 10.0.0.1:23'), 'allow', ['eni/ingress:allow:rule:r0']);
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:23'), 'deny', ['eni/ingress:deny:rule:r2']);
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:80'), 'allow', ['eni/ingress:allow:default']);
  expectDecision(judge('tcp 10.0.0.1:4000 -> 198.51.100.1:80'), 'deny', ['eni/egress:deny:default']);
});

generic('defaults default to deny both ways', () => {
  const { judge } = engine({ cloud: 'generic', securityGroups: [{ id: 'acl', rules: [] }], interfaces: [{ id: 'eni', ips: ['10.0.0.1'], groups: ['acl'] }] });
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:80'), 'deny', ['eni/ingress:deny:default']);
  expectDecision(judge('tcp 10.0.0.1:4000 -> 198.51.100.1:80'), 'deny', ['eni/egress:deny:default']);
});

generic.run();
