// Properties of the anomaly analysis on random topologies (test/helpers/arbitraries.ts),
// checked against the reference evaluator point by point:
//  - every reachable rule's witness is decided by that rule;
//  - no packet sampled inside a shadowed (or empty) rule's match space is decided by it;
//  - removing a rule reported redundant changes the verdict of no sampled packet.
// Packets are sampled from a grid built from the topology's own addresses and
// CIDR boundaries, ports and protocols, so that they fall inside rules often.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { analyzeTopology } from '../../src/analysis/anomalies.js';
import { structuralDiff } from '../../src/analysis/diff.js';
import { exposure } from '../../src/analysis/exposure.js';
import { parsePacketSpec } from '../../src/model/packet-spec.js';
import { prefixMask } from '../../src/model/address.js';
import type { PacketRecord } from '../../src/model/packet.js';
import type { Topology } from '../../src/model/topology.js';
import { parseNativeTopology } from '../../src/parse/native.js';
import { ReferenceEngine } from '../../src/reference/engine.js';
import { topologyArb } from '../helpers/arbitraries.js';
import { fuzzSeconds } from '../helpers/fuzz.js';

function addressesOf(t: Topology, family: 4 | 6): bigint[] {
  const out = new Set<bigint>();
  const bits = family === 4 ? 32 : 128;
  const add = (v: bigint) => { if (v >= 0n && v < 1n << BigInt(bits)) out.add(v); };
  for (const i of t.interfaces) for (const ip of i.ips) if (ip.family === family) { add(ip.value); add(ip.value + 1n); }
  const cidrs = [...t.addressGroups.flatMap((a) => a.cidrs), ...t.securityGroups.flatMap((g) => g.rules.flatMap((r) => [
    ...(r.remote.kind === 'cidr' ? [r.remote.cidr] : []), ...(r.local ? [r.local] : []),
  ]))];
  for (const c of cidrs) {
    if (c.family !== family) continue;
    const last = c.network | (((1n << BigInt(bits)) - 1n) & ~prefixMask(family, c.prefix));
    add(c.network); add(c.network - 1n); add(last); add(last + 1n); add(c.network + 3n);
  }
  add(family === 4 ? 0xcb007107n : 0x20010db8f00d00000000000000000007n);
  return [...out];
}

const PORTS = [1, 22, 25, 80, 85, 90, 91, 443, 1024, 5000, 6000, 6001, 40000, 65535];
const PROTOS = [6, 17, 1, 58, 47, 132];

/** `n` packets drawn from the grid with a seeded generator (own address on one side, any grid address on the other). */
function grid(t: Topology, seed: number, n: number): PacketRecord[] {
  const out: PacketRecord[] = [];
  let s = seed >>> 0 || 1;
  const rnd = (k: number) => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return (s >>> 8) % k; };
  const fams = ([4, 6] as const).map((family) => ({
    family,
    addrs: addressesOf(t, family),
    own: t.interfaces.flatMap((i) => i.ips.filter((ip) => ip.family === family).map((ip) => ip.value)),
  })).filter((f) => f.own.length > 0);
  if (fams.length === 0) return out;
  for (let i = 0; i < n; i++) {
    const f = fams[rnd(fams.length)]!;
    const local = f.own[rnd(f.own.length)]!;
    const remote = rnd(4) === 0 ? f.own[rnd(f.own.length)]! : f.addrs[rnd(f.addrs.length)]!;
    let proto = PROTOS[rnd(PROTOS.length)]!;
    if (f.family === 4 && proto === 58) proto = 1;
    if (f.family === 6 && proto === 1) proto = 58;
    const dir = rnd(2);
    const p: PacketRecord = { ts: 0n, family: f.family, proto, src: dir ? remote : local, dst: dir ? local : remote };
    if (proto === 6 || proto === 17) { p.sport = PORTS[rnd(PORTS.length)]!; p.dport = PORTS[rnd(PORTS.length)]!; }
    out.push(p);
  }
  return out;
}

function check(t: Topology, seed: number): void {
  const hops = analyzeTopology(t);
  const engine = new ReferenceEngine(t);
  const packets = grid(t, seed, 600);
  for (const hop of hops) {
    const iface = engine.index.interfaces.get(hop.iface)!;
    const status = new Map(hop.rules.map((r) => [`${r.group}/${r.rule}`, r] as const));
    for (const r of hop.rules) {
      if (r.status === 'reachable') {
        const h = engine.ruleHop(hop.iface, hop.direction, parsePacketSpec(r.witness!.packet));
        assert.is(`${h.group}/${h.rule}`, `${r.group}/${r.rule}`, `witness ${r.witness!.packet}`);
      }
    }
    const removedEngines = new Map<string, ReferenceEngine>();
    for (const p of packets) {
      const ingress = p.dst !== undefined && iface.ips.some((ip) => ip.family === p.family && ip.value === p.dst);
      const egress = iface.ips.some((ip) => ip.family === p.family && ip.value === p.src);
      if ((hop.direction === 'ingress' && !ingress) || (hop.direction === 'egress' && !egress)) continue;
      const remote = hop.direction === 'ingress' ? p.src! : p.dst!;
      if (iface.ips.some((ip) => ip.family === p.family && ip.value === remote)) continue; // local traffic, judged by nothing
      const h = engine.ruleHop(hop.iface, hop.direction, p);
      if (h.reason !== 'rule') continue;
      const decider = status.get(`${h.group}/${h.rule}`)!;
      // A rule that decides a packet is neither shadowed nor empty.
      assert.is(decider.status, 'reachable', `${h.group}/${h.rule} decides a packet at ${hop.iface} ${hop.direction} but is reported ${decider.status}`);
      // Removing a redundant rule changes the verdict of none of the packets it decides.
      if (decider.redundant) {
        const key = `${h.group}/${h.rule}`;
        let without = removedEngines.get(key);
        if (!without) {
          const t2: Topology = { ...t, securityGroups: t.securityGroups.map((g) => (g.id !== h.group ? g : { ...g, rules: g.rules.filter((x) => x.id !== h.rule) })) };
          removedEngines.set(key, (without = new ReferenceEngine(t2)));
        }
        assert.is(without.ruleHop(hop.iface, hop.direction, p).verdict, h.verdict, `removing redundant ${key} changes a verdict at ${hop.iface} ${hop.direction}`);
      }
    }
    // A shadowed rule names the earlier entries that decide its packets.
    for (const r of hop.rules) if (r.status === 'shadowed') assert.ok(r.coveredBy && r.coveredBy.length > 0);
  }
}

const props = suite('§7 anomalies: properties against the reference evaluator');

props('random topologies (all clouds)', () => {
  const budgetMs = fuzzSeconds(2) * 1000;
  const start = performance.now();
  let runs = 0;
  fc.assert(fc.property(topologyArb({ maxRules: 6, maxInterfaces: 3 }), fc.nat(), (doc, seed) => {
    runs++;
    const r = parseNativeTopology(doc);
    if (!r.topology) return;
    check(r.topology, seed);
  }), { numRuns: 2000, seed: 12, interruptAfterTimeLimit: budgetMs, markInterruptAsFailure: false });
  console.log(`  (${runs} random topologies)`);
  assert.ok(runs >= 20 || performance.now() - start >= budgetMs, `only ${runs} runs`);
});

/**
 * exposure: every item's witness comes from an unowned address and is allowed
 * by the item's rule; every sampled packet from an unowned address that the
 * reference allows at an interface falls in an item of that rule and protocol.
 * diff against the topology with one rule's action flipped: every witness has
 * the old verdict in OLD and the new one in NEW; a sampled packet whose hop
 * verdict differs means some change is reported for that hop.
 */
function checkExposureAndDiff(t: Topology, seed: number): void {
  const engine = new ReferenceEngine(t);
  const ex = exposure(t);
  const owned = new Set(t.interfaces.flatMap((i) => i.ips.map((ip) => `${ip.family}:${ip.value}`)));
  for (const i of ex.interfaces) {
    for (const item of i.exposed) {
      const d = new ReferenceEngine(t).judge(parsePacketSpec(item.witness)); // fresh conntrack each time
      assert.is(d.verdict, 'allow', item.witness);
      assert.is(d.hops.length, 1, item.witness);
      assert.is(d.hops[0]!.rule, 'rule' in item.allowedBy ? item.allowedBy.rule : undefined, item.witness);
    }
  }
  for (const p of grid(t, seed, 300)) {
    if (owned.has(`${p.family}:${p.src}`)) continue;
    const dst = t.interfaces.find((i) => i.ips.some((ip) => ip.family === p.family && ip.value === p.dst));
    if (!dst) continue;
    const h = engine.ruleHop(dst.id, 'ingress', p);
    if (h.verdict !== 'allow') continue;
    const items = ex.interfaces.find((x) => x.iface === h.iface)!.exposed.filter((x) => x.family === p.family && ('rule' in x.allowedBy ? x.allowedBy.rule === h.rule && x.allowedBy.group === h.group : h.reason === 'default'));
    const proto = p.proto === 6 ? 'tcp' : p.proto === 17 ? 'udp' : 'other';
    const hit = items.some((x) => x.protocol === proto && (proto === 'other'
      ? x.protocols!.some(([l, hh]) => p.proto! >= l && p.proto! <= hh)
      : x.ports!.some(([l, hh]) => p.dport! >= l && p.dport! <= hh)));
    assert.ok(hit, `packet ${p.proto} ${p.src}:${p.sport} -> ${p.dst}:${p.dport} allowed by ${h.group}/${h.rule} at ${h.iface} is in no exposure item`);
  }
  // Flip one rule's action.
  const all = t.securityGroups.flatMap((g) => g.rules.map((r) => [g.id, r.id] as const));
  if (all.length === 0) return;
  const [gid, rid] = all[seed % all.length]!;
  const t2: Topology = { ...t, securityGroups: t.securityGroups.map((g) => (g.id !== gid ? g : { ...g, rules: g.rules.map((r) => (r.id !== rid ? r : { ...r, action: r.action === 'allow' ? 'deny' as const : 'allow' as const })) })) };
  const e2 = new ReferenceEngine(t2);
  const d = structuralDiff(t, t2);
  for (const c of d.changes) {
    const p = parsePacketSpec(c.witness);
    assert.is(engine.ruleHop(c.iface, c.direction, p).verdict, c.change === 'newly-allowed' ? 'deny' : 'allow', c.witness);
    assert.is(e2.ruleHop(c.iface, c.direction, p).verdict, c.change === 'newly-allowed' ? 'allow' : 'deny', c.witness);
  }
  for (const iface of t.interfaces) {
    for (const p of grid(t, seed + 1, 200)) {
      for (const dir of ['ingress', 'egress'] as const) {
        const mine = dir === 'ingress' ? p.dst : p.src;
        const remote = dir === 'ingress' ? p.src : p.dst;
        if (!iface.ips.some((ip) => ip.family === p.family && ip.value === mine)) continue;
        if (iface.ips.some((ip) => ip.family === p.family && ip.value === remote)) continue;
        if (engine.ruleHop(iface.id, dir, p).verdict === e2.ruleHop(iface.id, dir, p).verdict) continue;
        assert.ok(d.changes.some((c) => c.iface === iface.id && c.direction === dir && c.family === p.family), `a changed verdict at ${iface.id} ${dir} is in no reported change`);
      }
    }
  }
}

props('exposure and diff on random topologies', () => {
  const budgetMs = fuzzSeconds(1.5) * 1000;
  let runs = 0;
  fc.assert(fc.property(topologyArb({ maxRules: 6, maxInterfaces: 3 }), fc.nat(), (doc, seed) => {
    runs++;
    const r = parseNativeTopology(doc);
    if (!r.topology) return;
    checkExposureAndDiff(r.topology, seed);
  }), { numRuns: 2000, seed: 13, interruptAfterTimeLimit: budgetMs, markInterruptAsFailure: false });
  console.log(`  (${runs} random topologies)`);
  assert.ok(runs >= 10, `only ${runs} runs`);
});

props.run();
