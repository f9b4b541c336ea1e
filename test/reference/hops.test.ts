// SEMANTICS.md §2 (where a packet is judged) and §3 (stateful first).
import { suite } from 'uvu';
import { engine, expectDecision } from '../helpers/scenario.js';
import type { NativeTopology } from '../../src/parse/native.js';

/** Two interfaces on a generic cloud; A may talk to B on tcp/80, B accepts tcp/80 from A's subnet. */
const twoHosts: NativeTopology = {
  cloud: 'generic',
  securityGroups: [
    {
      id: 'sg-a',
      rules: [
        { id: 'a-out-80', direction: 'egress', action: 'allow', priority: 1, protocol: 'tcp', ports: '80' },
        { id: 'a-out-53', direction: 'egress', action: 'allow', priority: 1, protocol: 'udp', ports: '53' },
        { id: 'a-out-ssh', direction: 'egress', action: 'allow', priority: 1, protocol: 'tcp', ports: '22' },
      ],
    },
    {
      id: 'sg-b',
      rules: [{ id: 'b-in-80', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '80', remote: '10.0.1.0/24' }],
    },
  ],
  interfaces: [
    { id: 'eni-a', ips: ['10.0.1.10'], groups: ['sg-a'] },
    { id: 'eni-b', ips: ['10.0.2.20', '10.0.2.21'], groups: ['sg-b'] },
  ],
};

const hopsSuite = suite('§2 where a packet is judged');

hopsSuite('src at A, dst at B: egress at A then ingress at B; passes iff both allow', () => {
  const { judge } = engine(twoHosts);
  expectDecision(judge('tcp 10.0.1.10:40000 -> 10.0.2.20:80'), 'allow', [
    'eni-a/egress:allow:rule:a-out-80',
    'eni-b/ingress:allow:rule:b-in-80',
  ]);
});

hopsSuite('A denies: B is not consulted (one hop)', () => {
  const { judge } = engine(twoHosts);
  expectDecision(judge('tcp 10.0.1.10:40000 -> 10.0.2.20:443'), 'deny', ['eni-a/egress:deny:default']);
});

hopsSuite('A allows, B denies: the packet is denied after two hops', () => {
  const { judge } = engine(twoHosts);
  expectDecision(judge('tcp 10.0.1.10:40000 -> 10.0.2.20:22'), 'deny', [
    'eni-a/egress:allow:rule:a-out-ssh',
    'eni-b/ingress:deny:default',
  ]);
});

hopsSuite('only src owned: egress only; only dst owned: ingress only', () => {
  const { judge } = engine(twoHosts);
  expectDecision(judge('udp 10.0.1.10:5000 -> 8.8.8.8:53'), 'allow', ['eni-a/egress:allow:rule:a-out-53']);
  expectDecision(judge('tcp 203.0.113.9:5000 -> 10.0.2.21:80'), 'deny', ['eni-b/ingress:deny:default']);
});

hopsSuite('neither owned: allow, unmanaged, no hops', () => {
  const { judge } = engine(twoHosts);
  expectDecision(judge('tcp 198.51.100.1:1 -> 198.51.100.2:2'), 'allow', [], 'unmanaged');
});

hopsSuite('src and dst owned by the same interface: allow, local', () => {
  const { judge } = engine(twoHosts);
  expectDecision(judge('tcp 10.0.2.20:1000 -> 10.0.2.21:2000'), 'allow', [], 'local');
});

hopsSuite('non-ip frames are allowed; undecodable IP packets are denied', () => {
  const { engine: e } = engine(twoHosts);
  expectDecision(e.judge({ ts: 0n, reason: 'non-ip' }), 'allow', [], 'non-ip');
  expectDecision(e.judge({ ts: 0n, reason: 'malformed' }), 'deny', [], 'malformed');
});

hopsSuite('GRE and IP-in-IP are judged on the outer header (protocol 47 / 4)', () => {
  const { judge } = engine({
    cloud: 'generic',
    securityGroups: [{ id: 'sg', rules: [{ id: 'gre-in', direction: 'ingress', action: 'allow', priority: 1, protocol: 'gre' }] }],
    interfaces: [{ id: 'eni', ips: ['10.0.0.1'], groups: ['sg'] }],
  });
  expectDecision(judge('gre 192.0.2.1 -> 10.0.0.1'), 'allow', ['eni/ingress:allow:rule:gre-in']);
  expectDecision(judge('4 192.0.2.1 -> 10.0.0.1'), 'deny', ['eni/ingress:deny:default']);
});

hopsSuite.run();

const stateful = suite('§3 one hop: stateful first');

stateful('a reply to an allowed flow is established at both hops, whatever the rules say', () => {
  const { judge } = engine(twoHosts);
  judge('tcp 10.0.1.10:40000 -> 10.0.2.20:80 ts 1');
  // B's egress and A's ingress have no allow rules (generic default deny): conntrack decides first.
  expectDecision(judge('tcp 10.0.2.20:80 -> 10.0.1.10:40000 flags SA ts 2'), 'allow', [
    'eni-b/egress:allow:established',
    'eni-a/ingress:allow:established',
  ]);
});

stateful('a denied packet creates nothing', () => {
  const { judge } = engine(twoHosts);
  expectDecision(judge('tcp 203.0.113.9:5000 -> 10.0.2.20:22 ts 1'), 'deny', ['eni-b/ingress:deny:default']);
  // The server's answer is judged by the rules: egress default deny at B.
  expectDecision(judge('tcp 10.0.2.20:22 -> 203.0.113.9:5000 flags SA ts 2'), 'deny', ['eni-b/egress:deny:default']);
});

stateful('the entry belongs to the interface: an entry at A does not open B', () => {
  const { judge } = engine(twoHosts);
  // A sends to B on port 22: A allows, B denies. A created an entry; B did not.
  judge('tcp 10.0.1.10:40000 -> 10.0.2.20:22 ts 1');
  expectDecision(judge('tcp 10.0.2.20:22 -> 10.0.1.10:40000 flags SA ts 2'), 'deny', ['eni-b/egress:deny:default']);
});

stateful('loose tracking: an allowed first packet that is not a SYN creates the entry', () => {
  const { judge } = engine(twoHosts);
  judge('tcp 10.0.1.10:40000 -> 198.51.100.7:80 flags A ts 1');
  expectDecision(judge('tcp 198.51.100.7:80 -> 10.0.1.10:40000 flags A ts 2'), 'allow', ['eni-a/ingress:allow:established']);
});

stateful('related: an ICMP error quoting a live flow is allowed; without the flow it is not', () => {
  const { judge } = engine(twoHosts);
  const error = 'icmp 8.8.8.8 -> 10.0.1.10 type 3 code 3 quoting udp 10.0.1.10:5000 -> 8.8.8.8:53';
  expectDecision(judge(error + ' ts 1'), 'deny', ['eni-a/ingress:deny:default']);
  judge('udp 10.0.1.10:5000 -> 8.8.8.8:53 ts 2');
  expectDecision(judge('icmp 8.8.8.8 -> 10.0.1.10 type 3 code 3 ts 3 quoting udp 10.0.1.10:5000 -> 8.8.8.8:53'), 'allow', [
    'eni-a/ingress:allow:related',
  ]);
  // An echo reply is not an error: not related, and no echo flow exists.
  expectDecision(judge('icmp 8.8.8.8 -> 10.0.1.10 type 0 code 0 id 9 ts 4'), 'deny', ['eni-a/ingress:deny:default']);
});

stateful('related ICMPv6 errors (types 1-4) quote IPv6 flows', () => {
  const { judge } = engine({
    cloud: 'generic',
    securityGroups: [{ id: 'sg', rules: [{ id: 'out', direction: 'egress', action: 'allow', priority: 1, protocol: 'udp' }] }],
    interfaces: [{ id: 'eni', ips: ['2001:db8::10'], groups: ['sg'] }],
  });
  judge('udp [2001:db8::10]:5000 -> [2001:db8:1::53]:53 ts 1');
  expectDecision(
    judge('icmpv6 2001:db8:ff::1 -> 2001:db8::10 type 1 code 4 ts 2 quoting udp [2001:db8::10]:5000 -> [2001:db8:1::53]:53'),
    'allow',
    ['eni/ingress:allow:related'],
  );
  // Type 3 (time exceeded) quoting a flow that does not exist.
  expectDecision(
    judge('icmpv6 2001:db8:ff::1 -> 2001:db8::10 type 3 code 0 ts 3 quoting udp [2001:db8::10]:5001 -> [2001:db8:1::53]:53'),
    'deny',
    ['eni/ingress:deny:default'],
  );
});

stateful('ICMP echo: the identifier is the port on both sides', () => {
  const { judge } = engine({
    cloud: 'generic',
    securityGroups: [{ id: 'sg', rules: [{ id: 'ping-out', direction: 'egress', action: 'allow', priority: 1, protocol: 'icmp' }] }],
    interfaces: [{ id: 'eni', ips: ['10.0.0.1'], groups: ['sg'] }],
  });
  judge('icmp 10.0.0.1 -> 1.1.1.1 type 8 code 0 id 77 ts 1');
  expectDecision(judge('icmp 1.1.1.1 -> 10.0.0.1 type 0 code 0 id 77 ts 2'), 'allow', ['eni/ingress:allow:established']);
  expectDecision(judge('icmp 1.1.1.1 -> 10.0.0.1 type 0 code 0 id 78 ts 3'), 'deny', ['eni/ingress:deny:default']);
});

stateful.run();
