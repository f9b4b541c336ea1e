// `sgfilter exposure`: a hand-worked Alibaba basic topology. Expected items come
// from SEMANTICS §4 (aliyun: priority, deny before allow at equal priority) and
// the sensitive-service table (src/analysis/sensitive.ts); every witness is
// judged by the reference evaluator, which must allow it by the named rule.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { exposure, exposureFindings, describeItem } from '../../src/analysis/exposure.js';
import { parsePacketSpec } from '../../src/model/packet-spec.js';
import { ReferenceEngine } from '../../src/reference/engine.js';
import { topology } from '../helpers/scenario.js';

const exp = suite('exposure');

const T = topology({
  cloud: 'aliyun',
  securityGroups: [
    { id: 'sg-pub', rules: [
      { id: 'deny-mysql', direction: 'ingress', action: 'deny', priority: 1, protocol: 'tcp', ports: '3306' },
      { id: 'allow-ssh', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22', remote: '0.0.0.0/0' },
      { id: 'allow-ping', direction: 'ingress', action: 'allow', priority: 1, protocol: 'icmp', remote: '198.51.100.0/24' },
      { id: 'allow-dns6', direction: 'ingress', action: 'allow', priority: 1, protocol: 'udp', ports: '53', remote: '::/0' },
      { id: 'allow-tcp', direction: 'ingress', action: 'allow', priority: 50, protocol: 'tcp', ports: '1-65535', remote: '0.0.0.0/0' },
    ] },
    { id: 'sg-dead', rules: [
      { id: 'mysql', direction: 'ingress', action: 'allow', priority: 100, protocol: 'tcp', ports: '3306', remote: '0.0.0.0/0' },
    ] },
    { id: 'sg-unused', rules: [] },
  ],
  interfaces: [
    { id: 'eni-a', ips: ['10.0.0.1', '2001:db8::1'], groups: ['sg-pub', 'sg-dead'] },
  ],
});

exp('per family: ports, allowing rules, sources, sensitive services', () => {
  const r = exposure(T);
  const a = r.interfaces[0]!;
  assert.equal(a.exposed.map(describeItem), [
    // tcp/22 is decided by allow-ssh (priority 1); 3306 by deny-mysql (deny first at priority 1);
    // the rest of 1-65535 by allow-tcp (priority 50). Port 0 is in no rule: ingress default deny.
    // (listed by protocol, then first port)
    'tcp 1-21,23-3305,3307-65535 from anywhere via sg-pub/allow-tcp (allow, priority 50)',
    'tcp 22 from anywhere via sg-pub/allow-ssh (allow, priority 1)',
    'protocol icmp from 198.51.100.0/24 via sg-pub/allow-ping (allow, priority 1)',
    'udp 53 from anywhere via sg-pub/allow-dns6 (allow, priority 1)',
  ]);
  assert.equal(a.exposed.map((x) => x.family), [4, 4, 4, 6]);
  assert.equal(a.exposed[1]!.sensitive, ['SSH (tcp/22)']);
  // Every tcp entry of the table but SSH (decided by allow-ssh) and MySQL (denied).
  assert.equal(a.exposed[0]!.sensitive, [
    'FTP (tcp/21)', 'Telnet (tcp/23)', 'SMB (tcp/445)', 'Microsoft SQL Server (tcp/1433)', 'Oracle database listener (tcp/1521)',
    'Docker daemon API (plain) (tcp/2375)', 'Docker daemon API (TLS) (tcp/2376)', 'etcd client API (tcp/2379)', 'RDP (tcp/3389)',
    'PostgreSQL (tcp/5432)', 'VNC (tcp/5900)', 'Redis (tcp/6379)', 'Kubernetes API server (tcp/6443)', 'Elasticsearch (tcp/9200)',
    'Kubernetes kubelet API (tcp/10250)', 'Memcached (tcp/11211)', 'MongoDB (tcp/27017)',
  ]);
  assert.equal(a.exposed[3]!.sensitive, []);
  // Basic groups allow egress by default and there is no egress rule: open in both families.
  assert.equal(a.egressOpen, [4, 6]);
  assert.equal(r.unattachedGroups, ['sg-unused']);
  // sg-dead's only rule (tcp/3306) is decided first by deny-mysql.
  assert.equal(r.allShadowedGroups, ['sg-dead']);
});

exp('every witness is allowed from the internet by its rule (reference evaluator)', () => {
  const r = exposure(T);
  const engine = new ReferenceEngine(T);
  for (const x of r.interfaces[0]!.exposed) {
    const d = engine.judge(parsePacketSpec(x.witness));
    assert.is(d.verdict, 'allow', x.witness);
    assert.is(d.hops.length, 1, `${x.witness}: the source is owned by no interface`);
    assert.is(d.hops[0]!.rule, 'rule' in x.allowedBy ? x.allowedBy.rule : undefined, x.witness);
  }
});

exp('findings: sensitive services are warnings at the allowing rule', () => {
  const f = exposureFindings(T, exposure(T));
  const codes = f.map((x) => `${x.level}:${x.code}:${x.path}`);
  assert.equal(codes, [
    'warning:exposure-sensitive:securityGroups[0].rules[4]',
    'warning:exposure-sensitive:securityGroups[0].rules[1]',
    'note:exposure-open:securityGroups[0].rules[2]',
    'note:exposure-open:securityGroups[0].rules[3]',
    'note:egress-open:interfaces[0]',
    'note:egress-open:interfaces[0]',
    'note:group-unattached:securityGroups[2]',
    'warning:group-all-shadowed:securityGroups[1]',
  ]);
});

exp('deny rules of another group and the generic default', () => {
  // generic, ingress default allow: everything not denied is exposed through the default.
  const t = topology({
    cloud: 'generic', defaults: { ingress: 'allow', egress: 'deny' },
    securityGroups: [{ id: 'g', rules: [{ id: 'no-ssh', direction: 'ingress', action: 'deny', priority: 1, protocol: 'tcp', ports: '22' }] }],
    interfaces: [{ id: 'h', ips: ['192.0.2.10'], groups: ['g'] }],
  });
  const r = exposure(t);
  assert.equal(r.interfaces[0]!.exposed.map(describeItem), [
    'tcp 0-21,23-65535 from anywhere via the default allow',
    'udp all ports from anywhere via the default allow',
    'protocols 0-5,7-16,18-255 from anywhere via the default allow',
  ]);
  assert.equal(r.interfaces[0]!.egressOpen, []);
});

exp.run();
