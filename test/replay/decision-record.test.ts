/**
 * decision-record.ts: decision records written by hand (DECISION / HOP layout)
 * decode to the §9 words of their codes, a rule hop names the rule at its
 * position in the list the interface's groups bind in that direction, and a
 * record of another shard owner decodes to null. The index of lists is the
 * binding by (direction, group sequence), looked up here independently.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileTopology } from '../../src/compile/compile.js';
import { loadTopologyFile } from '../../src/parse/load.js';
import { DECISION, HOP, VERDICT, decisionIndex, decodeDecision } from '../../src/replay/decision-record.js';
import { DIR, HOP_REASON, PACKET_REASON } from '../../src/wasm/layout.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const { topology } = loadTopologyFile(join(root, 'fixtures', 'aliyun-advanced-3tier.json'));
const compiled = compileTopology(topology);

function record(verdict: number, reason: number, hops: { iface: number; dir: number; verdict: number; reason: number; rule: number }[] = []): DataView {
  const dv = new DataView(new ArrayBuffer(DECISION.SIZE * 2));
  const at = DECISION.SIZE; // the second record, so offsets are exercised
  dv.setUint8(at + DECISION.VERDICT, verdict);
  dv.setUint8(at + DECISION.REASON, reason);
  dv.setUint8(at + DECISION.NHOPS, hops.length);
  hops.forEach((h, k) => {
    const o = at + DECISION.HOP0 + k * HOP.SIZE;
    dv.setUint32(o + HOP.IFACE, h.iface, true);
    dv.setUint8(o + HOP.DIR, h.dir);
    dv.setUint8(o + HOP.VERDICT, h.verdict);
    dv.setUint8(o + HOP.REASON, h.reason);
    dv.setInt32(o + HOP.RULE, h.rule, true);
  });
  return dv;
}

test('packet-level reasons decode to their §9 words', () => {
  const words: [number, string, 'allow' | 'deny'][] = [
    [PACKET_REASON.UNMANAGED, 'unmanaged', 'allow'],
    [PACKET_REASON.LOCAL, 'local', 'allow'],
    [PACKET_REASON.NON_IP, 'non-ip', 'allow'],
    [PACKET_REASON.MALFORMED, 'malformed', 'deny'],
  ];
  for (const [code, word, verdict] of words) {
    const d = decodeDecision(record(verdict === 'allow' ? VERDICT.ALLOW : VERDICT.DENY, code), 1, compiled, topology);
    assert.equal(d, { verdict, reason: word, hops: [] });
  }
  assert.is(decodeDecision(record(VERDICT.NOT_MINE, 0), 1, compiled, topology), null);
});

test('hops decode with their reasons; a rule hop names the rule of the bound list', () => {
  const iface = topology.interfaces.findIndex((i) => i.groups.length > 0);
  const ingress = compiled.meta.lists.findIndex((l) => l.direction === 'ingress' && l.groups.join('|') === topology.interfaces[iface]!.groups.join('|'));
  assert.ok(ingress >= 0);
  const pos = compiled.meta.lists[ingress]!.rules.length - 1;
  const [group, rule] = compiled.meta.lists[ingress]!.rules[pos]!;
  const d = decodeDecision(record(VERDICT.DENY, PACKET_REASON.HOPS, [
    { iface, dir: DIR.EGRESS, verdict: VERDICT.ALLOW, reason: HOP_REASON.ESTABLISHED, rule: -1 },
    { iface, dir: DIR.INGRESS, verdict: VERDICT.DENY, reason: HOP_REASON.RULE, rule: pos },
  ]), 1, compiled, topology);
  const id = topology.interfaces[iface]!.id;
  assert.equal(d, {
    verdict: 'deny',
    hops: [
      { iface: id, dir: 'egress', verdict: 'allow', reason: 'established' },
      { iface: id, dir: 'ingress', verdict: 'deny', reason: 'rule', group, rule },
    ],
  });
  const words = ['established', 'related', 'intra-group', 'rule', 'default', 'fragment', 'conntrack-full'];
  for (const [name, code] of Object.entries(HOP_REASON)) {
    const h = decodeDecision(record(VERDICT.ALLOW, PACKET_REASON.HOPS, [{ iface, dir: DIR.EGRESS, verdict: VERDICT.ALLOW, reason: code, rule: -1 }]), 1, compiled, topology)!.hops[0]!;
    assert.is(h.reason, words[code], name);
  }
  const index = decisionIndex(topology, compiled);
  assert.is(index.listOf(iface, DIR.INGRESS), ingress);
  assert.is(index.rulePosition(ingress, group, rule), pos);
});

test.run();
