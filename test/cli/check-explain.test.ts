// `sgfilter check` and `sgfilter explain` on every fixture. Expected decisions
// are worked out by hand from each fixture's rules and SEMANTICS §2-§4.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { fixturesDir } from '../helpers/corpus.js';

const check = suite('sgfilter check');

const topologyFixtures = readdirSync(fixturesDir()).filter((f) => f.endsWith('.json')).sort();

check('every fixture topology checks clean (exit 0)', () => {
  assert.ok(topologyFixtures.length >= 5, `expected the five example topologies, found ${topologyFixtures.join(', ')}`);
  for (const f of topologyFixtures) {
    const r = cli(['check', join('fixtures', f)]);
    assert.is(r.status, 0, `${f}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /0 error\(s\)/);
  }
});

check('errors: every one with its JSON path, exit 1, nothing loaded', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgf-check-'));
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({
    cloud: 'aliyun',
    securityGroups: [{ id: 'sg', rules: [
      { direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '70000' },
      { direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', remote: '300.1.1.1' },
    ] }],
    interfaces: [],
  }));
  const r = cli(['check', file]);
  assert.is(r.status, 1);
  assert.ok(r.stdout.includes(`${file}: securityGroups[0].rules[0].ports: "70000" is not a port (1-65535)`), r.stdout);
  assert.ok(r.stdout.includes(`${file}: securityGroups[0].rules[1].remote: "300.1.1.1" is not an IPv4 or IPv6 address or CIDR block`), r.stdout);
  assert.match(r.stdout, /not loaded: 2 error\(s\)/);
});

check('warnings only: exit 0; a limit error: exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgf-check-'));
  const warn = join(dir, 'warn.json');
  writeFileSync(warn, JSON.stringify({
    cloud: 'huawei',
    securityGroups: Array.from({ length: 6 }, (_, i) => ({ id: `sg${i}`, rules: [] })),
    interfaces: [{ id: 'p', ips: ['10.0.0.1'], groups: Array.from({ length: 6 }, (_, i) => `sg${i}`) }],
  }));
  const w = cli(['check', warn]);
  assert.is(w.status, 0, w.stdout);
  assert.match(w.stdout, 'warning: interface "p" is in 6 security groups; Huawei recommends no more than 5 (seed 003)');
  const err = join(dir, 'err.json');
  writeFileSync(err, JSON.stringify({
    cloud: 'aliyun',
    securityGroups: Array.from({ length: 11 }, (_, i) => ({ id: `sg${i}`, rules: [] })),
    interfaces: [{ id: 'e', ips: ['10.0.0.1'], groups: Array.from({ length: 11 }, (_, i) => `sg${i}`) }],
  }));
  const e = cli(['check', err]);
  assert.is(e.status, 1, e.stdout);
  assert.match(e.stdout, 'Alibaba allows at most 10');
});

check('a file that does not exist is a clear error', () => {
  const r = cli(['check', 'no/such/file.json']);
  assert.is(r.status, 1);
  assert.match(r.stdout + r.stderr, 'no/such/file.json');
  assert.match(r.stdout + r.stderr, 'no such file');
});

check.run();

const explain = suite('sgfilter explain');

function explainJson(topology: string, packet: string): unknown {
  const r = cli(['explain', '--topology', join('fixtures', topology), '--packet', packet, '--json']);
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

explain('aliyun basic: the abusive range hits the priority-5 deny before the public allow', () => {
  assert.equal(explainJson('aliyun-basic-3tier.json', 'tcp 203.0.113.7:40000 -> 10.0.1.10:443'), {
    verdict: 'deny',
    hops: [{ iface: 'eni-web1', dir: 'ingress', verdict: 'deny', reason: 'rule', group: 'sg-web', rule: 'web-block-abuse' }],
  });
});

explain('aliyun basic: bastion to app over SSH (basic egress default, group reference)', () => {
  assert.equal(explainJson('aliyun-basic-3tier.json', 'tcp 10.0.0.10:50000 -> 10.0.2.10:22'), {
    verdict: 'allow',
    hops: [
      { iface: 'eni-bastion', dir: 'egress', verdict: 'allow', reason: 'default' },
      { iface: 'eni-app1', dir: 'ingress', verdict: 'allow', reason: 'rule', group: 'sg-app', rule: 'app-ssh-bastion' },
    ],
  });
});

explain('aliyun basic: web to web rides the intra-group rule; db to db (drop) hits the explicit deny', () => {
  assert.equal(explainJson('aliyun-basic-3tier.json', 'tcp 10.0.1.11:40000 -> 10.0.1.10:8080'), {
    verdict: 'allow',
    hops: [
      { iface: 'eni-web2', dir: 'egress', verdict: 'allow', reason: 'default' },
      { iface: 'eni-web1', dir: 'ingress', verdict: 'allow', reason: 'intra-group' },
    ],
  });
  assert.equal(explainJson('aliyun-basic-3tier.json', 'tcp 10.0.3.11:40000 -> 10.0.3.10:22'), {
    verdict: 'deny',
    hops: [
      { iface: 'eni-db2', dir: 'egress', verdict: 'allow', reason: 'rule', group: 'sg-db', rule: 'db-egress-vpc' },
      { iface: 'eni-db1', dir: 'ingress', verdict: 'deny', reason: 'rule', group: 'sg-db', rule: 'db-deny-rest' },
    ],
  });
});

explain('aliyun basic: IPv6 SSH from the office to the bastion', () => {
  assert.equal(explainJson('aliyun-basic-3tier.json', 'tcp [2001:db8:ffff::5]:40000 -> [2001:db8:100::10]:22'), {
    verdict: 'allow',
    hops: [{ iface: 'eni-bastion', dir: 'ingress', verdict: 'allow', reason: 'rule', group: 'sg-bastion', rule: 'bastion-ssh-office6' }],
  });
});

explain('aliyun advanced: app to db allowed by explicit rules; web to web denied by the advanced egress default', () => {
  assert.equal(explainJson('aliyun-advanced-3tier.json', 'tcp 10.0.2.10:40000 -> 10.0.3.10:3306'), {
    verdict: 'allow',
    hops: [
      { iface: 'eni-app1', dir: 'egress', verdict: 'allow', reason: 'rule', group: 'sg-app-adv', rule: 'app-egress-db' },
      { iface: 'eni-db1', dir: 'ingress', verdict: 'allow', reason: 'rule', group: 'sg-db-adv', rule: 'db-from-app' },
    ],
  });
  assert.equal(explainJson('aliyun-advanced-3tier.json', 'tcp 10.0.1.10:40000 -> 10.0.1.11:80'), {
    verdict: 'deny',
    hops: [{ iface: 'eni-web1', dir: 'egress', verdict: 'deny', reason: 'default' }],
  });
});

explain('huawei: binding order — sg-app\'s deny (priority 50) beats sg-default\'s self allow (priority 1)', () => {
  assert.equal(explainJson('huawei-app.json', 'tcp 10.1.1.10:40000 -> 10.1.2.10:22'), {
    verdict: 'deny',
    hops: [
      { iface: 'port-web1', dir: 'egress', verdict: 'allow', reason: 'rule', group: 'sg-default', rule: 'default-egress-v4' },
      { iface: 'port-app1', dir: 'ingress', verdict: 'deny', reason: 'rule', group: 'sg-app', rule: 'app-deny-peers' },
    ],
  });
  assert.equal(explainJson('huawei-app.json', 'tcp 10.1.1.10:40000 -> 10.1.2.10:8081'), {
    verdict: 'allow',
    hops: [
      { iface: 'port-web1', dir: 'egress', verdict: 'allow', reason: 'rule', group: 'sg-default', rule: 'default-egress-v4' },
      { iface: 'port-app1', dir: 'ingress', verdict: 'allow', reason: 'rule', group: 'sg-app', rule: 'app-from-web' },
    ],
  });
});

explain('huawei: the address group admits IPv4 and IPv6 admins', () => {
  assert.equal(explainJson('huawei-app.json', 'tcp 198.51.100.200:40000 -> 10.1.1.10:22'), {
    verdict: 'allow',
    hops: [{ iface: 'port-web1', dir: 'ingress', verdict: 'allow', reason: 'rule', group: 'sg-web', rule: 'web-ssh-admin' }],
  });
  assert.equal(explainJson('huawei-app.json', 'tcp [2001:db8:ffff::1]:40000 -> [2001:db8:200:1::10]:22'), {
    verdict: 'allow',
    hops: [{ iface: 'port-web1', dir: 'ingress', verdict: 'allow', reason: 'rule', group: 'sg-web', rule: 'web-ssh-admin6' }],
  });
});

explain('unmanaged packets carry a top-level reason and no hops', () => {
  assert.equal(explainJson('huawei-app.json', 'udp 192.0.2.1:53 -> 192.0.2.2:53'), { verdict: 'allow', reason: 'unmanaged', hops: [] });
});

explain('text output names the rule, its group and priority, or the default', () => {
  const r = cli(['explain', '--topology', 'fixtures/aliyun-basic-3tier.json', '--packet', 'tcp 203.0.113.7:40000 -> 10.0.1.10:443']);
  assert.is(r.status, 0);
  assert.match(r.stdout, 'ingress at eni-web1: DENY by rule "web-block-abuse" of group sg-web (priority 5');
  const d = cli(['explain', '--topology', 'fixtures/aliyun-basic-3tier.json', '--packet', 'udp 198.51.100.9:5000 -> 10.0.1.10:53']);
  assert.match(d.stdout, 'DENY by default, no rule matched: Alibaba\'s invisible default: all other inbound traffic is denied');
});

explain('a malformed packet string is a clear error (exit 2)', () => {
  for (const [spec, says] of [
    ['tcp 203.0.113.7 -> 10.0.1.10:22', 'tcp needs ports on both sides'],
    ['tcp 203.0.113.7:1 => 10.0.1.10:22', 'expected "PROTO SRC -> DST"'],
    ['icmp 1.2.3.4 -> 10.0.0.5', 'icmp needs "type N code N"'],
    ['sctp 1.2.3.4 -> 10.0.0.5', '"sctp" is not a protocol'],
    ['udp 1.2.3.4:1 -> [2001:db8::1]:2', 'different IP families'],
    ['udp 1.2.3.4:70000 -> 10.0.0.5:2', '"70000" is not a port'],
  ]) {
    const r = cli(['explain', '--topology', 'fixtures/huawei-app.json', '--packet', spec!]);
    assert.is(r.status, 2, spec);
    assert.match(r.stderr, says!, spec);
  }
});

explain.run();
