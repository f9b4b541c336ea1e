// SEMANTICS.md §5: timeouts at their boundaries (exactly at the timeout: live;
// one microsecond later: expired), state changes, overrides, the bounded table.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { engine, expectDecision } from '../helpers/scenario.js';
import type { NativeTopology } from '../../src/parse/native.js';

/** One interface whose only rules let it open flows outward; nothing is allowed in. */
function outbound(cloud: 'aliyun' | 'huawei' | 'generic', extra: Partial<NativeTopology> = {}, ifaceConntrack?: Record<string, number>): NativeTopology {
  return {
    cloud,
    securityGroups: [{ id: 'sg', rules: [
      { id: 'out', direction: 'egress', action: 'allow', priority: 1, protocol: 'all' },
      // aliyun basic egress is allow by default anyway; this rule makes every cloud alike
    ] }],
    interfaces: [{ id: 'eni', ips: ['10.0.0.1'], groups: ['sg'], ...(ifaceConntrack ? { conntrack: ifaceConntrack } : {}) }],
    ...extra,
  };
}

const OPEN = ['eni/ingress:allow:established'];
const CLOSED = ['eni/ingress:deny:default'];

/** Open a flow at t=0 (and answer it at t=1 when `reply`), then test an inbound packet at the boundary. */
function boundary(doc: NativeTopology, proto: 'tcp' | 'udp', reply: boolean, timeout: number, closeWith?: 'rst' | 'fin') {
  const live = engine(doc);
  const dead = engine(doc);
  let last = 0;
  for (const { judge } of [live, dead]) {
    judge(`${proto} 10.0.0.1:4000 -> 192.0.2.9:80 ${proto === 'tcp' ? 'flags S ' : ''}ts 0`);
    if (reply) {
      judge(`${proto} 192.0.2.9:80 -> 10.0.0.1:4000 ${proto === 'tcp' ? 'flags SA ' : ''}ts 1`);
      last = 1;
    }
    if (closeWith === 'rst') {
      judge('tcp 10.0.0.1:4000 -> 192.0.2.9:80 flags R ts 2');
      last = 2;
    } else if (closeWith === 'fin') {
      judge('tcp 10.0.0.1:4000 -> 192.0.2.9:80 flags FA ts 2');
      judge('tcp 192.0.2.9:80 -> 10.0.0.1:4000 flags FA ts 2');
      last = 2;
    }
  }
  const at = (t: string) => `${proto} 192.0.2.9:80 -> 10.0.0.1:4000 ${proto === 'tcp' ? 'flags A ' : ''}ts ${t}`;
  const exact = `${last + timeout}`;
  const later = `${last + timeout}.000001`;
  expectDecision(live.judge(at(exact)), 'allow', OPEN);
  expectDecision(dead.judge(at(later)), 'deny', CLOSED);
}

const timeouts = suite('§5 timeouts, exactly at the boundary and one microsecond later');

timeouts('aliyun TCP established: 910 s (seed 002)', () => boundary(outbound('aliyun'), 'tcp', true, 910));
timeouts('aliyun TCP opening (no reply yet): 120 s', () => boundary(outbound('aliyun'), 'tcp', false, 120));
timeouts('aliyun TCP closing after RST: 3 s', () => boundary(outbound('aliyun'), 'tcp', true, 3, 'rst'));
timeouts('aliyun TCP closing after FIN both ways: 3 s', () => boundary(outbound('aliyun'), 'tcp', true, 3, 'fin'));
timeouts('aliyun UDP unreplied 30 s, replied 30 s', () => {
  boundary(outbound('aliyun'), 'udp', false, 30);
  boundary(outbound('aliyun'), 'udp', true, 30);
});
timeouts('huawei TCP established: 432000 s; closing 10 s', () => {
  boundary(outbound('huawei'), 'tcp', true, 432000);
  boundary(outbound('huawei'), 'tcp', true, 10, 'rst');
});
timeouts('huawei UDP unreplied 30 s, replied 120 s', () => {
  boundary(outbound('huawei'), 'udp', false, 30);
  boundary(outbound('huawei'), 'udp', true, 120);
});
timeouts('generic TCP opening 120 s and closing 10 s', () => {
  boundary(outbound('generic'), 'tcp', false, 120);
  boundary(outbound('generic'), 'tcp', true, 10, 'fin');
});

timeouts('ICMP: 30 s; other protocols (GRE): 600 s', () => {
  for (const [spec, back, t] of [
    ['icmp 10.0.0.1 -> 192.0.2.9 type 8 code 0 id 5', 'icmp 192.0.2.9 -> 10.0.0.1 type 0 code 0 id 5', 30],
    ['gre 10.0.0.1 -> 192.0.2.9', 'gre 192.0.2.9 -> 10.0.0.1', 600],
  ] as const) {
    const a = engine(outbound('aliyun'));
    a.judge(`${spec} ts 0`);
    expectDecision(a.judge(`${back} ts ${t}`), 'allow', OPEN);
    const b = engine(outbound('aliyun'));
    b.judge(`${spec} ts 0`);
    expectDecision(b.judge(`${back} ts ${t}.000001`), 'deny', CLOSED);
  }
});

timeouts('topology and interface overrides; the interface wins', () => {
  boundary(outbound('aliyun', { conntrack: { tcpEstablished: 60 } }), 'tcp', true, 60);
  boundary(outbound('aliyun', { conntrack: { tcpEstablished: 60 } }, { tcpEstablished: 15 }), 'tcp', true, 15);
  boundary(outbound('huawei', {}, { udp: 12, udpReplied: 7 }), 'udp', true, 7);
});

timeouts.run();

const states = suite('§5 state changes');

states('every packet refreshes: a flow kept busy outlives its timeout', () => {
  const { judge } = engine(outbound('aliyun'));
  judge('udp 10.0.0.1:4000 -> 192.0.2.9:53 ts 0');
  for (let t = 25; t <= 100; t += 25) expectDecision(judge(`udp 192.0.2.9:53 -> 10.0.0.1:4000 ts ${t}`), 'allow', OPEN);
});

states('timestamps that go backwards count as equal to the last one', () => {
  const { judge } = engine(outbound('aliyun'));
  judge('udp 10.0.0.1:4000 -> 192.0.2.9:53 ts 100');
  expectDecision(judge('udp 192.0.2.9:53 -> 10.0.0.1:4000 ts 50'), 'allow', OPEN);
  // lastSeen stayed 100: live until 130 exactly
  expectDecision(judge('udp 192.0.2.9:53 -> 10.0.0.1:4000 ts 130'), 'allow', OPEN);
});

states('closing is final: after a RST, later packets do not reopen it, and it expires on the closing timeout', () => {
  const { judge } = engine(outbound('aliyun'));
  judge('tcp 10.0.0.1:4000 -> 192.0.2.9:80 flags S ts 0');
  judge('tcp 192.0.2.9:80 -> 10.0.0.1:4000 flags SA ts 1');
  judge('tcp 192.0.2.9:80 -> 10.0.0.1:4000 flags R ts 2');
  expectDecision(judge('tcp 192.0.2.9:80 -> 10.0.0.1:4000 flags A ts 4'), 'allow', OPEN); // 2 s after: live (3 s)
  expectDecision(judge('tcp 192.0.2.9:80 -> 10.0.0.1:4000 flags SA ts 7.000001'), 'deny', CLOSED); // 3.000001 s after the last hit
});

states('a FIN in one direction only does not close', () => {
  const { judge } = engine(outbound('aliyun'));
  judge('tcp 10.0.0.1:4000 -> 192.0.2.9:80 flags S ts 0');
  judge('tcp 192.0.2.9:80 -> 10.0.0.1:4000 flags SA ts 1');
  judge('tcp 10.0.0.1:4000 -> 192.0.2.9:80 flags FA ts 2');
  expectDecision(judge('tcp 192.0.2.9:80 -> 10.0.0.1:4000 flags A ts 100'), 'allow', OPEN);
});

states('opening becomes established only by a packet in the reply direction', () => {
  const { judge } = engine(outbound('aliyun'));
  judge('tcp 10.0.0.1:4000 -> 192.0.2.9:80 flags S ts 0');
  judge('tcp 10.0.0.1:4000 -> 192.0.2.9:80 flags S ts 100'); // retransmission, same direction: still opening
  expectDecision(judge('tcp 192.0.2.9:80 -> 10.0.0.1:4000 flags SA ts 220.000001'), 'deny', CLOSED); // 120 s opening timeout passed
});

states('an expired entry is absent: the next packet is judged in its own direction and starts a fresh entry', () => {
  const { judge } = engine(outbound('aliyun'));
  judge('udp 10.0.0.1:4000 -> 192.0.2.9:53 ts 0');
  expectDecision(judge('udp 192.0.2.9:53 -> 10.0.0.1:4000 ts 31'), 'deny', CLOSED);
  // The host speaks again: egress allowed by rule, a fresh entry, and the answer is established.
  expectDecision(judge('udp 10.0.0.1:4000 -> 192.0.2.9:53 ts 40'), 'allow', ['eni/egress:allow:rule:out']);
  expectDecision(judge('udp 192.0.2.9:53 -> 10.0.0.1:4000 ts 41'), 'allow', OPEN);
});

states('a related ICMP error neither refreshes nor changes the entry', () => {
  const { judge } = engine(outbound('aliyun'));
  judge('udp 10.0.0.1:4000 -> 192.0.2.9:53 ts 0');
  const err = (t: number) => `icmp 192.0.2.1 -> 10.0.0.1 type 11 code 0 ts ${t} quoting udp 10.0.0.1:4000 -> 192.0.2.9:53`;
  expectDecision(judge(err(20)), 'allow', ['eni/ingress:allow:related']);
  // Had the error refreshed the entry, it would live until 50; it lives until 30.
  expectDecision(judge('udp 192.0.2.9:53 -> 10.0.0.1:4000 ts 30.000001'), 'deny', CLOSED);
});

states.run();

const bounded = suite('§5 the table is bounded');

bounded('a full table drops the packet that would create an entry, with reason conntrack-full, and counts it', () => {
  const { judge, engine: e } = engine(outbound('aliyun'), { conntrackCapacity: 2, shards: 1 });
  judge('udp 10.0.0.1:4000 -> 192.0.2.9:53 ts 0');
  judge('udp 10.0.0.1:4001 -> 192.0.2.9:53 ts 0');
  expectDecision(judge('udp 10.0.0.1:4002 -> 192.0.2.9:53 ts 1'), 'deny', ['eni/egress:deny:conntrack-full']);
  // Existing flows still work.
  expectDecision(judge('udp 192.0.2.9:53 -> 10.0.0.1:4000 ts 2'), 'allow', OPEN);
  // Once the unreplied flow (4001, last seen at 0) expires, there is room again.
  expectDecision(judge('udp 10.0.0.1:4002 -> 192.0.2.9:53 ts 30.000001'), 'allow', ['eni/egress:allow:rule:out']);
  assert.is(e.stats().conntrackFull, 1);
});

bounded('the capacity is split over the shards; flows of one address pair share a shard', () => {
  // 16 shards x 2 entries. 10.0.0.1 <-> 192.0.2.9 is shard 15 and 192.0.2.10 shard 13 (see shard.test).
  const { judge } = engine(outbound('aliyun'), { conntrackCapacity: 32, shards: 16 });
  judge('udp 10.0.0.1:4000 -> 192.0.2.9:53 ts 0');
  judge('udp 10.0.0.1:4001 -> 192.0.2.9:53 ts 0');
  expectDecision(judge('udp 10.0.0.1:4002 -> 192.0.2.9:53 ts 0'), 'deny', ['eni/egress:deny:conntrack-full']);
  expectDecision(judge('udp 10.0.0.1:4002 -> 192.0.2.10:53 ts 0'), 'allow', ['eni/egress:allow:rule:out']);
});

bounded.run();
