// SEMANTICS.md §6: fragments with and without their first fragment.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { engine, expectDecision } from '../helpers/scenario.js';
import type { NativeTopology } from '../../src/parse/native.js';

const web: NativeTopology = {
  cloud: 'aliyun',
  securityGroups: [{ id: 'sg', rules: [
    { id: 'https', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '443' },
    { id: 'dns-from-resolver', direction: 'ingress', action: 'allow', priority: 1, protocol: 'udp', remote: '192.0.2.53' },
  ] }],
  interfaces: [{ id: 'eni', ips: ['10.0.0.1'], groups: ['sg'] }],
};

const frags = suite('§6 fragments');

frags('the first fragment is judged normally; later fragments get its verdict with reason fragment', () => {
  const { judge } = engine(web);
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443 mf fragid 7 ts 0'), 'allow', ['eni/ingress:allow:rule:https']);
  // A later fragment has no ports: by the rules alone it would be denied (https needs ports).
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443 fragoffset 1480 mf fragid 7 ts 1'), 'allow', ['eni/ingress:allow:fragment']);
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443 fragoffset 2960 fragid 7 ts 2'), 'allow', ['eni/ingress:allow:fragment']);
});

frags('a denied first fragment: later fragments are denied too', () => {
  const { judge } = engine(web);
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:22 mf fragid 8 ts 0'), 'deny', ['eni/ingress:deny:default']);
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:22 fragoffset 1480 fragid 8 ts 1'), 'deny', ['eni/ingress:deny:fragment']);
});

frags('the memory is per datagram: another fragment id is judged without it', () => {
  const { judge } = engine(web);
  judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443 mf fragid 7 ts 0');
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443 fragoffset 1480 fragid 9 ts 1'), 'deny', ['eni/ingress:deny:default']);
});

frags('without its first fragment: judged by the rules with no ports; only rules without ports can match', () => {
  const { judge } = engine(web);
  expectDecision(judge('udp 192.0.2.53:53 -> 10.0.0.1:5000 fragoffset 1480 fragid 3 ts 0'), 'allow', ['eni/ingress:allow:rule:dns-from-resolver']);
  expectDecision(judge('udp 192.0.2.54:53 -> 10.0.0.1:5000 fragoffset 1480 fragid 3 ts 0'), 'deny', ['eni/ingress:deny:default']);
});

frags('such an allow creates no conntrack entry and does not consult it', () => {
  const { judge } = engine({
    cloud: 'generic',
    securityGroups: [{ id: 'sg', rules: [{ id: 'in-any', direction: 'ingress', action: 'allow', priority: 1, protocol: 'udp', remote: '192.0.2.0/24' }] }],
    interfaces: [{ id: 'eni', ips: ['10.0.0.1'], groups: ['sg'] }],
  });
  expectDecision(judge('udp 192.0.2.1:53 -> 10.0.0.1:5000 fragoffset 8 fragid 1 ts 0'), 'allow', ['eni/ingress:allow:rule:in-any']);
  // No entry: the answer is judged by egress rules (generic default deny).
  expectDecision(judge('udp 10.0.0.1:5000 -> 192.0.2.1:53 ts 1'), 'deny', ['eni/egress:deny:default']);
  // And a live flow does not make a non-first fragment "established".
  judge('udp 192.0.2.1:53 -> 10.0.0.1:5001 ts 2');
  expectDecision(judge('udp 192.0.2.1:53 -> 10.0.0.1:5001 fragoffset 8 fragid 2 ts 3'), 'allow', ['eni/ingress:allow:rule:in-any']);
});

frags('the verdict is remembered for 30 s of packet time: at 30 s yes, later no', () => {
  const a = engine(web);
  a.judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443 mf fragid 7 ts 0');
  expectDecision(a.judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443 fragoffset 1480 fragid 7 ts 30'), 'allow', ['eni/ingress:allow:fragment']);
  const b = engine(web);
  b.judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443 mf fragid 7 ts 0');
  expectDecision(b.judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443 fragoffset 1480 fragid 7 ts 30.000001'), 'deny', ['eni/ingress:deny:default']);
});

frags('two hops: each interface remembers its own verdict', () => {
  const { judge } = engine({
    cloud: 'aliyun',
    securityGroups: [
      { id: 'sg-a', rules: [] },
      { id: 'sg-b', rules: [{ id: 'https', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '443' }] },
    ],
    interfaces: [
      { id: 'eni-a', ips: ['10.0.0.1'], groups: ['sg-a'] },
      { id: 'eni-b', ips: ['10.0.0.2'], groups: ['sg-b'] },
    ],
  });
  judge('tcp 10.0.0.1:4000 -> 10.0.0.2:443 mf fragid 1 ts 0');
  expectDecision(judge('tcp 10.0.0.1:4000 -> 10.0.0.2:443 fragoffset 1480 fragid 1 ts 1'), 'allow', [
    'eni-a/egress:allow:fragment',
    'eni-b/ingress:allow:fragment',
  ]);
});

frags('IPv6 fragments: the 32-bit identification tells datagrams apart', () => {
  const { judge } = engine({ ...web, interfaces: [{ id: 'eni', ips: ['10.0.0.1', '2001:db8::1'], groups: ['sg'] }] });
  expectDecision(judge('tcp [2001:db8::9]:4000 -> [2001:db8::1]:443 mf fragid 4000000000 ts 0'), 'allow', ['eni/ingress:allow:rule:https']);
  expectDecision(judge('tcp [2001:db8::9]:4000 -> [2001:db8::1]:443 fragoffset 1232 fragid 4000000000 ts 1'), 'allow', ['eni/ingress:allow:fragment']);
  // Same low 16 bits (4000000000 & 0xffff = 10240), another datagram.
  expectDecision(judge('tcp [2001:db8::9]:4000 -> [2001:db8::1]:443 fragoffset 1232 fragid 10240 ts 1'), 'deny', ['eni/ingress:deny:default']);
});

frags('the memory is bounded: 4,096 datagrams per interface shard; then forgotten ones are purged, else not remembered', () => {
  const { judge, engine: e } = engine(web, { shards: 1 });
  for (let id = 0; id < 4096; id++) judge(`tcp 198.51.100.1:4000 -> 10.0.0.1:443 mf fragid ${id} ts 0`);
  judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443 mf fragid 5000 ts 1'); // full of live datagrams: not remembered
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443 fragoffset 8 fragid 5000 ts 2'), 'deny', ['eni/ingress:deny:default']);
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443 fragoffset 8 fragid 4095 ts 2'), 'allow', ['eni/ingress:allow:fragment']);
  judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443 mf fragid 6000 ts 31'); // the first 4,096 are forgotten: purged, room again
  expectDecision(judge('tcp 198.51.100.1:4000 -> 10.0.0.1:443 fragoffset 8 fragid 6000 ts 32'), 'allow', ['eni/ingress:allow:fragment']);
  assert.is(e.stats().fragmentsNotRemembered, 1);
});

frags.run();
