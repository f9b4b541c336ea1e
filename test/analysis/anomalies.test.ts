// SEMANTICS §7 "Anomalies": hand-worked topologies, one per cloud, with the
// expected status of every rule worked out by hand from SEMANTICS §4 (the
// evaluation order of each cloud) and §7 (the definitions); the reasoning is
// next to each expectation. Every witness goes through the reference
// evaluator (ReferenceEngine.ruleHop), which must name the rule as the decider.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { analyzeTopology, type HopAnalysis, type RuleAnalysis } from '../../src/analysis/anomalies.js';
import { anomalyFindings, entryName } from '../../src/analysis/findings.js';
import { parsePacketSpec } from '../../src/model/packet-spec.js';
import type { Topology } from '../../src/model/topology.js';
import type { NativeTopology } from '../../src/parse/native.js';
import { ReferenceEngine } from '../../src/reference/engine.js';
import { topology } from '../helpers/scenario.js';

function statusOf(hops: HopAnalysis[], iface: string, dir: 'ingress' | 'egress', rule: string): RuleAnalysis {
  const hop = hops.find((h) => h.iface === iface && h.direction === dir);
  const r = hop?.rules.find((x) => x.rule === rule);
  assert.ok(r, `no analysis for ${rule} at ${iface} ${dir}`);
  return r!;
}

/** Every reachable rule's witness is decided by that rule (the reference evaluator says so). */
export function checkWitnesses(t: Topology, hops: HopAnalysis[]): number {
  const engine = new ReferenceEngine(t);
  let n = 0;
  for (const hop of hops) {
    for (const r of hop.rules) {
      if (r.status !== 'reachable') continue;
      const h = engine.ruleHop(hop.iface, hop.direction, parsePacketSpec(r.witness!.packet));
      assert.is(`${h.group}/${h.rule}`, `${r.group}/${r.rule}`, `witness ${r.witness!.packet} of ${r.group}/${r.rule} at ${hop.iface} ${hop.direction}: decided by ${h.reason} ${h.group}/${h.rule}`);
      assert.is(h.reason, 'rule');
      n++;
    }
  }
  return n;
}

const names = (r: RuleAnalysis, key: 'coveredBy' | 'takenOverBy' | 'generalizes' | 'correlates') => (r[key] ?? []).map(entryName);

// ---------------------------------------------------------------------------
const aliyunBasic = suite('§7 anomalies: aliyun basic');

const BASIC: NativeTopology = {
  cloud: 'aliyun',
  securityGroups: [
    {
      id: 'sg-a', type: 'basic', innerAccessPolicy: 'accept', rules: [
        { id: 'ssh-vpc', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22', remote: '10.0.0.0/24' },
        { id: 'self', direction: 'ingress', action: 'allow', priority: 1, protocol: 'all', remote: { group: 'sg-a' } },
        { id: 'web-lo', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '80-90' },
        { id: 'web-hi', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '91-100' },
        { id: 'web', direction: 'ingress', action: 'allow', priority: 2, protocol: 'tcp', ports: '80-100' },
        { id: 'c-deny', direction: 'ingress', action: 'deny', priority: 3, protocol: 'tcp', ports: '22-25', remote: '198.51.100.0/24' },
        { id: 'c-allow', direction: 'ingress', action: 'allow', priority: 4, protocol: 'tcp', ports: '20-23', remote: '198.51.100.0/25' },
        { id: 'to-nobody', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '443', remote: { group: 'sg-spare' } },
        { id: 'deny-all', direction: 'ingress', action: 'deny', priority: 100, protocol: 'all' },
        { id: 'egress-all', direction: 'egress', action: 'allow', priority: 1, protocol: 'all' },
      ],
    },
    { id: 'sg-spare', type: 'basic', rules: [] },
  ],
  interfaces: [
    { id: 'eni-1', ips: ['10.0.0.1'], groups: ['sg-a'] },
    { id: 'eni-2', ips: ['10.0.0.2'], groups: ['sg-a'] },
  ],
};

aliyunBasic('each rule at eni-1 ingress, worked by hand', () => {
  const t = topology(BASIC);
  const hops = analyzeTopology(t);
  const at = (rule: string) => statusOf(hops, 'eni-1', 'ingress', rule);
  // Effective order (§4 aliyun): the intra-group allow (peer eni-2, 10.0.0.2), then
  // priority 1: ssh-vpc, self, web-lo, web-hi, to-nobody (all allow, rule order); 2: web; 3: c-deny; 4: c-allow; 100: deny-all.

  // ssh-vpc: tcp/22 from 10.0.0.3 is first matched by it; without it deny-all decides (deny): not redundant.
  assert.is(at('ssh-vpc').status, 'reachable');
  assert.is(at('ssh-vpc').redundant, false);
  // self: its remote is sg-a's members other than eni-1 = {10.0.0.2}, all of which the intra-group rule allows first.
  assert.is(at('self').status, 'shadowed');
  assert.equal(names(at('self'), 'coveredBy'), ['the invisible intra-group allow (basic group sg-a)']);
  assert.is(at('self').differentAction, false);
  // web-lo, web-hi: reachable; without either, web (allow, 80-100) takes its packets over: redundant.
  assert.is(at('web-lo').status, 'reachable');
  assert.is(at('web-lo').redundant, true);
  assert.equal(names(at('web-lo'), 'takenOverBy'), ['sg-a/web (allow, priority 2)']);
  assert.is(at('web-hi').redundant, true);
  // web: 80-90 and 91-100 are covered by web-lo and web-hi together (neither alone), and 10.0.0.2 by the intra-group rule.
  assert.is(at('web').status, 'shadowed');
  assert.equal(names(at('web'), 'coveredBy').sort(), [
    'sg-a/web-hi (allow, priority 1)', 'sg-a/web-lo (allow, priority 1)', 'the invisible intra-group allow (basic group sg-a)',
  ]);
  // c-deny: reachable, not redundant (without it c-allow allows tcp/22 from 198.51.100.1). No earlier rule of another action overlaps it.
  assert.is(at('c-deny').status, 'reachable');
  assert.is(at('c-deny').redundant, false);
  assert.is(at('c-deny').correlates, undefined);
  // c-allow: ports 20-21 are its own (reachable); 22-23 from the /25 overlap c-deny, which is not inside it (/24, 24-25): correlation.
  assert.is(at('c-allow').status, 'reachable');
  assert.equal(names(at('c-allow'), 'correlates'), ['sg-a/c-deny (deny, priority 3)']);
  assert.is(at('c-allow').generalizes, undefined);
  // to-nobody: sg-spare has no member: empty in both families.
  assert.is(at('to-nobody').status, 'empty');
  assert.match(at('to-nobody').emptyReason!, 'the group "sg-spare" it references has no member with an IPv4 address');
  // deny-all: reachable (e.g. udp from anywhere); the ingress default is deny: redundant.
  // It contains every earlier allow rule that can match at all: a generalization of each.
  assert.is(at('deny-all').status, 'reachable');
  assert.is(at('deny-all').redundant, true);
  assert.equal(names(at('deny-all'), 'takenOverBy'), ['the default deny']);
  assert.equal(names(at('deny-all'), 'generalizes'), [
    'sg-a/ssh-vpc (allow, priority 1)', 'sg-a/self (allow, priority 1)', 'sg-a/web-lo (allow, priority 1)',
    'sg-a/web-hi (allow, priority 1)', 'sg-a/web (allow, priority 2)', 'sg-a/c-allow (allow, priority 4)',
  ]);
  // egress-all: a basic group's egress default is allow: redundant (the example).
  const eg = statusOf(hops, 'eni-1', 'egress', 'egress-all');
  assert.is(eg.redundant, true);
  assert.equal(names(eg, 'takenOverBy'), ['the default allow']);
  assert.is(checkWitnesses(t, hops), 2 * 7);
});

aliyunBasic('findings: one per rule and class, naming both interfaces', () => {
  const t = topology(BASIC);
  const f = anomalyFindings(t, analyzeTopology(t));
  const got = f.map((x) => `${x.level}:${x.code}:${x.path}:${x.interfaces!.join('+')}:${x.direction}`).sort();
  assert.equal(got, [
    'note:rule-correlation:securityGroups[0].rules[6]:eni-1+eni-2:ingress',
    'note:rule-generalization:securityGroups[0].rules[8]:eni-1+eni-2:ingress',
    'warning:rule-empty:securityGroups[0].rules[7]:eni-1+eni-2:ingress',
    'warning:rule-redundant:securityGroups[0].rules[2]:eni-1+eni-2:ingress',
    'warning:rule-redundant:securityGroups[0].rules[3]:eni-1+eni-2:ingress',
    'warning:rule-redundant:securityGroups[0].rules[8]:eni-1+eni-2:ingress',
    'warning:rule-redundant:securityGroups[0].rules[9]:eni-1+eni-2:egress',
    'warning:rule-shadowed:securityGroups[0].rules[1]:eni-1+eni-2:ingress',
    'warning:rule-shadowed:securityGroups[0].rules[4]:eni-1+eni-2:ingress',
  ]);
});

aliyunBasic('shadowed at one interface, reachable at another: reported per interface', () => {
  // eni-3 (10.0.0.5) shares the accepting basic group sg-c with eni-1 only. sg-a's
  // rule "from-5" admits tcp/22 from 10.0.0.5: at eni-1 the intra-group rule
  // allows everything from 10.0.0.5 first (shadowed); at eni-2 it decides.
  const t = topology({
    cloud: 'aliyun',
    securityGroups: [
      { id: 'sg-a', rules: [{ id: 'from-5', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22', remote: '10.0.0.5' }] },
      { id: 'sg-c', rules: [] },
    ],
    interfaces: [
      { id: 'eni-1', ips: ['10.0.0.1'], groups: ['sg-a', 'sg-c'] },
      { id: 'eni-2', ips: ['10.0.0.2'], groups: ['sg-a'] },
      { id: 'eni-3', ips: ['10.0.0.5'], groups: ['sg-c'] },
    ],
  });
  const hops = analyzeTopology(t);
  assert.is(statusOf(hops, 'eni-1', 'ingress', 'from-5').status, 'shadowed');
  const r2 = statusOf(hops, 'eni-2', 'ingress', 'from-5');
  assert.is(r2.status, 'reachable');
  assert.is(r2.witness!.packet, 'tcp 10.0.0.5:49152 -> 10.0.0.2:22');
  checkWitnesses(t, hops);
  const f = anomalyFindings(t, hops).filter((x) => x.code === 'rule-shadowed');
  assert.equal(f.map((x) => x.interfaces), [['eni-1']]);
});

aliyunBasic('innerAccessPolicy drop: no intra-group rule, a self reference decides', () => {
  const t = topology({
    cloud: 'aliyun',
    securityGroups: [{ id: 'sg-db', innerAccessPolicy: 'drop', rules: [
      { id: 'repl', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '3306', remote: { group: 'sg-db' } },
    ] }],
    interfaces: [{ id: 'db1', ips: ['10.0.3.1'], groups: ['sg-db'] }, { id: 'db2', ips: ['10.0.3.2'], groups: ['sg-db'] }],
  });
  const hops = analyzeTopology(t);
  const r = statusOf(hops, 'db1', 'ingress', 'repl');
  assert.is(r.status, 'reachable');
  assert.is(r.witness!.packet, 'tcp 10.0.3.2:49152 -> 10.0.3.1:3306');
  checkWitnesses(t, hops);
});

aliyunBasic('a budget too small: the rules left are reported not analysed, never guessed', () => {
  const t = topology(BASIC);
  const hops = analyzeTopology(t, { budget: 3 });
  const unknown = hops.flatMap((h) => h.rules).filter((r) => r.status === 'unknown');
  assert.ok(unknown.length > 0);
  const f = anomalyFindings(t, hops).filter((x) => x.code === 'analysis-incomplete');
  assert.ok(f.length > 0);
  assert.match(f[0]!.message, 'exceeded its budget of 3 region pieces');
});

aliyunBasic.run();

// ---------------------------------------------------------------------------
const aliyunAdvanced = suite('§7 anomalies: aliyun advanced vs basic egress default');

const egressDoc = (type: 'basic' | 'advanced'): NativeTopology => ({
  cloud: 'aliyun',
  securityGroups: [{ id: 'sg-x', type, rules: [
    { id: 'ssh', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22', remote: '10.1.0.0/16' },
    { id: 'peers', direction: 'ingress', action: 'allow', priority: 50, protocol: 'all', remote: '10.1.0.0/16' },
    { id: 'https-out', direction: 'egress', action: 'allow', priority: 1, protocol: 'tcp', ports: '443' },
    { id: 'deny-out', direction: 'egress', action: 'deny', priority: 100, protocol: 'all' },
  ] }],
  interfaces: [{ id: 'x1', ips: ['10.1.0.1'], groups: ['sg-x'] }, { id: 'x2', ips: ['10.1.0.2'], groups: ['sg-x'] }],
});

aliyunAdvanced('advanced: deny-out is redundant (egress default deny); ssh is taken over by peers', () => {
  const t = topology(egressDoc('advanced'));
  const hops = analyzeTopology(t);
  // Advanced groups have no intra-group rule: ssh decides tcp/22 from 10.1.0.2 and 10.1.0.3;
  // without it, peers (allow all from 10.1.0.0/16) allows them too: redundant.
  const ssh = statusOf(hops, 'x1', 'ingress', 'ssh');
  assert.is(ssh.redundant, true);
  assert.equal(names(ssh, 'takenOverBy'), ['sg-x/peers (allow, priority 50)']);
  // peers: without it the ingress default (deny) decides: needed.
  assert.is(statusOf(hops, 'x1', 'ingress', 'peers').redundant, false);
  const d = statusOf(hops, 'x1', 'egress', 'deny-out');
  assert.is(d.redundant, true);
  assert.equal(names(d, 'takenOverBy'), ['the default deny']);
  assert.equal(names(d, 'generalizes'), ['sg-x/https-out (allow, priority 1)']);
  checkWitnesses(t, hops);
});

aliyunAdvanced('basic: the same deny-out is needed (egress default allow); ssh is shadowed by the intra-group rule only for the peer', () => {
  const t = topology(egressDoc('basic'));
  const hops = analyzeTopology(t);
  const d = statusOf(hops, 'x1', 'egress', 'deny-out');
  assert.is(d.status, 'reachable');
  assert.is(d.redundant, false);
  // https-out: without it deny-out would deny tcp/443, so it is needed even though the default allows.
  assert.is(statusOf(hops, 'x1', 'egress', 'https-out').redundant, false, 'deny-out would deny tcp/443 without it');
  // ssh: 10.1.0.2 is the intra-group peer, but 10.1.0.3 is not: reachable.
  assert.is(statusOf(hops, 'x1', 'ingress', 'ssh').status, 'reachable');
  checkWitnesses(t, hops);
});

aliyunAdvanced.run();

// ---------------------------------------------------------------------------
const huawei = suite('§7 anomalies: huawei binding order, address groups, self references');

const HUAWEI: NativeTopology = {
  cloud: 'huawei',
  addressGroups: [{ id: 'ag-bad', cidrs: ['203.0.113.0/24', '198.51.100.0/24'] }],
  securityGroups: [
    { id: 'sg-first', rules: [
      { id: 'deny-bad', direction: 'ingress', action: 'deny', priority: 1, protocol: 'all', remote: { addressGroup: 'ag-bad' } },
      { id: 'first-deny-ssh', direction: 'ingress', action: 'deny', priority: 100, protocol: 'tcp', ports: '22' },
    ] },
    { id: 'sg-second', rules: [
      { id: 'second-allow-ssh', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22' },
      { id: 'self', direction: 'ingress', action: 'allow', priority: 1, protocol: 'all', remote: { group: 'sg-second' } },
      { id: 'allow-web', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '80', remote: '203.0.113.0/25' },
      { id: 'v6-web', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '443', ethertype: 'ipv6' },
    ] },
  ],
  interfaces: [
    { id: 'p1', ips: ['10.2.0.1'], groups: ['sg-first', 'sg-second'] },
    { id: 'p2', ips: ['10.2.0.2'], groups: ['sg-first', 'sg-second'] },
  ],
};

huawei('each rule at p1 ingress, worked by hand', () => {
  const t = topology(HUAWEI);
  const hops = analyzeTopology(t);
  const at = (rule: string) => statusOf(hops, 'p1', 'ingress', rule);
  // Order (§4 huawei: binding order first): deny-bad, first-deny-ssh (sg-first by priority),
  // then sg-second: second-allow-ssh, self, allow-web, v6-web (all priority 1 allows, rule order).
  // Rules without ethertype are IPv4 (Huawei's API default).
  assert.is(at('deny-bad').status, 'reachable');
  assert.is(at('deny-bad').redundant, false, 'without it allow-web would admit tcp/80 from 203.0.113.1');
  assert.is(at('first-deny-ssh').status, 'reachable');
  assert.is(at('first-deny-ssh').redundant, false, 'without it second-allow-ssh would admit tcp/22');
  // second-allow-ssh has priority 1 but sg-second is bound after sg-first, whose deny rules take every tcp/22 packet.
  assert.is(at('second-allow-ssh').status, 'shadowed');
  assert.equal(names(at('second-allow-ssh'), 'coveredBy').sort(), ['sg-first/deny-bad (deny, priority 1)', 'sg-first/first-deny-ssh (deny, priority 100)']);
  assert.is(at('second-allow-ssh').differentAction, true);
  // self: remote = sg-second's other member, 10.2.0.2; Huawei has no intra-group rule, so it decides
  // (e.g. udp from 10.2.0.2); it overlaps first-deny-ssh (tcp/22 from 10.2.0.2) without containing it: correlation.
  assert.is(at('self').status, 'reachable');
  assert.match(at('self').witness!.packet, '10.2.0.2');
  assert.equal(names(at('self'), 'correlates'), ['sg-first/first-deny-ssh (deny, priority 100)']);
  // allow-web: 203.0.113.0/25 is inside ag-bad: shadowed by deny-bad, another action.
  assert.is(at('allow-web').status, 'shadowed');
  assert.equal(names(at('allow-web'), 'coveredBy'), ['sg-first/deny-bad (deny, priority 1)']);
  // v6-web: the ports have no IPv6 address.
  assert.is(at('v6-web').status, 'empty');
  assert.match(at('v6-web').emptyReason!, 'IPv6: the interface has no IPv6 address');
  checkWitnesses(t, hops);
});

huawei.run();

// ---------------------------------------------------------------------------
const generic = suite('§7 anomalies: generic defaults');

generic('an allow is redundant under an allow default, a deny is not', () => {
  const t = topology({
    cloud: 'generic', defaults: { ingress: 'allow', egress: 'deny' },
    securityGroups: [{ id: 'g', rules: [
      { id: 'web', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '80' },
      { id: 'no-ssh', direction: 'ingress', action: 'deny', priority: 2, protocol: 'tcp', ports: '22' },
      { id: 'dns-out', direction: 'egress', action: 'allow', priority: 1, protocol: 'udp', ports: '53' },
    ] }],
    interfaces: [{ id: 'h', ips: ['192.0.2.10', '2001:db8::10'], groups: ['g'] }],
  });
  const hops = analyzeTopology(t);
  assert.is(statusOf(hops, 'h', 'ingress', 'web').redundant, true);
  assert.is(statusOf(hops, 'h', 'ingress', 'no-ssh').redundant, false);
  assert.is(statusOf(hops, 'h', 'egress', 'dns-out').redundant, false);
  checkWitnesses(t, hops);
});

generic.run();
