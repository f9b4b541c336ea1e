// "Collect every error": shape errors (pass 1) and meaning errors (pass 2:
// ranges per cloud, references, addresses owned twice) come in one report,
// each at its JSON path; nothing is loaded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseNativeTopology } from '../../src/parse/native.js';

test('one report lists the badly shaped values and the meaning errors of the well-shaped parts', () => {
  const r = parseNativeTopology({
    cloud: 'huawei',
    securityGroups: [{ id: 'sg', rules: [
      { direction: 'ingress', action: 'allow', priority: 0, protocol: 'tcp', ports: '22', remote: { group: 'sg-x' } },
      { direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '99999' },
    ] }],
    interfaces: [
      { id: 'e1', ips: ['10.0.0.1', 'bad'], groups: ['sg'] },
      { id: 'e2', ips: ['10.0.0.1'], groups: ['sg', 'nope'] },
    ],
  });
  assert.is(r.topology, undefined);
  assert.equal(r.issues.map((i) => `${i.path}: ${i.message}`).sort(), [
    'interfaces[0].ips[1]: "bad" is not an IPv4 or IPv6 address (a bare address, no prefix length)',
    'interfaces[1].groups[1]: "nope" is not a security group of this topology (expected one of "sg")',
    'interfaces[1].ips[0]: "10.0.0.1" is already owned by interfaces[0].ips[0] (interface "e1")',
    'securityGroups[0].rules[0].priority: 0 is not a priority (expected 1-100 (Huawei))',
    'securityGroups[0].rules[0].remote.group: "sg-x" is not a security group of this topology (expected one of "sg")',
    'securityGroups[0].rules[1].ports: "99999" is not a port (1-65535)',
  ]);
});

test('a rule whose shape is wrong is not judged again by pass 2', () => {
  const r = parseNativeTopology({
    cloud: 'aliyun',
    securityGroups: [{ id: 'sg', rules: [{ direction: 'in', action: 'allow', priority: 500, protocol: 'tcp' }] }],
  });
  assert.equal(r.issues.map((i) => i.path), ['securityGroups[0].rules[0].direction']);
});

test.run();
