// `sgfilter diff`: fixture pairs whose differences are known by construction.
//  - every fixture against itself: no change;
//  - fixtures/aliyun-basic-3tier.json with web-http narrowed from tcp 80,443 to 443, and a
//    rule app-partner (allow tcp/8443 from 192.0.2.0/24) added to sg-app.
// Expected regions worked out from the fixture's rules and SEMANTICS §4 (reasoning below);
// each witness is judged by the reference evaluator in both topologies. With a capture, the
// WASM-engine diff is compared with the reference engine's verdicts packet by packet.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureDiff, parseScope, structuralDiff } from '../../src/analysis/diff.js';
import { parsePacketSpec } from '../../src/model/packet-spec.js';
import type { Topology } from '../../src/model/topology.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import type { NativeTopology } from '../../src/parse/native.js';
import { decodeFrame } from '../../src/pcap/decode.js';
import { CaptureReader, frameTime } from '../../src/pcap/reader.js';
import { ReferenceEngine } from '../../src/reference/engine.js';
import { fixturesDir } from '../helpers/corpus.js';
import { topology } from '../helpers/scenario.js';

const diff = suite('diff');

function changed(): { oldT: Topology; newT: Topology } {
  const doc = JSON.parse(readFileSync(join(fixturesDir(), 'aliyun-basic-3tier.json'), 'utf8')) as NativeTopology;
  const oldT = topology(doc);
  const next = structuredClone(doc);
  for (const g of next.securityGroups) {
    for (const r of g.rules) if (r.id === 'web-http') r.ports = '443';
    if (g.id === 'sg-app') g.rules.push({ id: 'app-partner', direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '8443', remote: '192.0.2.0/24' });
  }
  return { oldT, newT: topology(next) };
}

diff('every fixture against itself: nothing changes', () => {
  const files = readdirSync(fixturesDir()).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 5);
  for (const f of files) {
    const t = loadTopologyFile(join(fixturesDir(), f)).topology;
    const d = structuralDiff(t, t);
    assert.equal(d.changes, [], f);
  }
});

diff('narrowed web-http and a new partner rule: exactly the constructed changes', () => {
  const { oldT, newT } = changed();
  const d = structuralDiff(oldT, newT);
  const got = d.changes.map((c) => `${c.iface} ${c.direction} v${c.family} ${c.change} ${c.traffic} | ${c.remotes.join(' ')} | ${'rule' in c.old ? c.old.rule : c.old.invisible} -> ${'rule' in c.new ? c.new.rule : c.new.invisible}`);
  assert.equal(got, [
    // web tier, tcp/80: before, web-http allowed it from everywhere but 203.0.113.0/24 (web-block-abuse,
    // priority 5, denies first) and the intra-group peer (allowed first in both); now the default denies it.
    'eni-web1 ingress v4 newly-denied tcp 80 | anywhere except 203.0.113.0/24 | web-http -> default',
    'eni-web2 ingress v4 newly-denied tcp 80 | anywhere except 203.0.113.0/24 | web-http -> default',
    // app tier, tcp/8443 from 192.0.2.0/24: no old rule matches (8080, 22, 9100 only) and the peer
    // 10.0.2.x is outside the range, so the default denied it; now app-partner allows it.
    'eni-app1 ingress v4 newly-allowed tcp 8443 | 192.0.2.0/24 | default -> app-partner',
    'eni-app2 ingress v4 newly-allowed tcp 8443 | 192.0.2.0/24 | default -> app-partner',
  ]);
  const eo = new ReferenceEngine(oldT);
  const en = new ReferenceEngine(newT);
  for (const c of d.changes) {
    const p = parsePacketSpec(c.witness);
    assert.is(eo.ruleHop(c.iface, c.direction, p).verdict, c.change === 'newly-allowed' ? 'deny' : 'allow', c.witness);
    assert.is(en.ruleHop(c.iface, c.direction, p).verdict, c.change === 'newly-allowed' ? 'allow' : 'deny', c.witness);
  }
});

diff('--scope: the web1 change and the partner rule were intended, web2 was not', () => {
  const { oldT, newT } = changed();
  const d = structuralDiff(oldT, newT, [parseScope('iface=eni-web1,dir=ingress,proto=tcp,ports=80'), parseScope('proto=tcp,ports=8443,remote=192.0.2.0/24')]);
  assert.equal(d.changes.map((c) => `${c.iface}:${c.inScope}`), ['eni-web1:true', 'eni-web2:false', 'eni-app1:true', 'eni-app2:true']);
  // A scope narrower than the change splits it: ports 80 only from 198.51.100.0/24 is in, the rest is out.
  const part = structuralDiff(oldT, newT, [parseScope('iface=eni-web1,proto=tcp,ports=80,remote=198.51.100.0/24')]);
  const web1 = part.changes.filter((c) => c.iface === 'eni-web1');
  assert.equal(web1.map((c) => `${c.inScope}:${c.remotes.join(' ')}`).sort(), ['false:anywhere except 198.51.100.0/24, 203.0.113.0/24', 'true:198.51.100.0/24']);
  assert.throws(() => parseScope('ports=80'), /ports need proto=tcp/);
  assert.throws(() => parseScope('dir=sideways'), /dir must be ingress or egress/);
});

diff('--pcap: the flows whose verdict changes, as the reference engine judges them', () => {
  const { oldT, newT } = changed();
  const file = join(fixturesDir(), 'captures', 'aliyun-basic-3tier.pcap');
  const cap = captureDiff(oldT, newT, file);
  // Oracle: the reference engine over the same capture, both topologies.
  const bytes = readFileSync(file);
  const reader = new CaptureReader(bytes);
  const ro = new ReferenceEngine(oldT);
  const rn = new ReferenceEngine(newT);
  const firstChanged = new Map<string, number>();
  let packets = 0;
  let changedPackets = 0;
  for (const f of reader) {
    packets++;
    const t = frameTime(reader.interfaces, f.ifaceIndex, f.tsA, f.tsB);
    const p = decodeFrame(f.linktype, f.data, t.ts, t.tsText);
    const a = ro.judge(p).verdict;
    const b = rn.judge(p).verdict;
    if (a === b) continue;
    changedPackets++;
    const key = `${p.proto}|${[`${p.src}|${p.sport}`, `${p.dst}|${p.dport}`].sort().join('|')}`;
    if (!firstChanged.has(key)) firstChanged.set(key, f.n);
  }
  assert.is(cap.packets, packets);
  assert.is(cap.changedPackets, changedPackets);
  assert.equal(cap.flows.map((f) => f.firstPacket), [...firstChanged.values()].sort((x, y) => x - y));
  assert.ok(cap.flows.length > 0, 'the capture has tcp/80 flows to the web tier (fixtures/README.md)');
  for (const f of cap.flows) assert.match(f.flow, /:80$|:8443$|^tcp .*:80 ->|^tcp .*:8443 ->/);
});

diff.run();
