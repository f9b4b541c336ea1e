/**
 * Every matcher over every batch size 0, 1, …, 17 and one large batch
 * (the four-lane path, its tail, and mixed-list groups), against the
 * reference evaluator; results beyond the batch are never written.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { TupleBatch, WasmTable } from '../../src/compile/matcher.js';
import { CLASSIFIER, HEADER, LIST_ENTRY, SECTION, fnv1a, validateTable } from '../../src/compile/format.js';
import { Table } from '../../src/compile/table.js';
import { WasmInstance } from '../../src/wasm/loader.js';
import { compileTopology } from '../../src/compile/compile.js';
import { parseNativeTopology } from '../../src/parse/native.js';
import { Harness, probeArb, referencePositions, treeTopology, type Probe } from './helpers.js';
import type { Topology } from '../../src/model/topology.js';
import type { MatchInput } from '../../src/reference/match.js';

const doc = {
  cloud: 'aliyun',
  addressGroups: [{ id: 'pl-office', cidrs: ['203.0.113.0/25', '2001:db8:aa::/48'] }],
  securityGroups: [
    {
      id: 'sg-web',
      rules: [
        { direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '80,443', remote: '0.0.0.0/0' },
        { direction: 'ingress', action: 'deny', priority: 1, protocol: 'tcp', ports: '443', remote: '198.51.100.0/24' },
        { direction: 'ingress', action: 'allow', priority: 2, protocol: 'tcp', ports: '22', remote: { addressGroup: 'pl-office' } },
        { direction: 'ingress', action: 'allow', priority: 3, protocol: 'all', remote: { group: 'sg-db' } },
        { direction: 'ingress', action: 'allow', priority: 4, protocol: 'icmpv6', remote: '2001:db8::/32' },
        { direction: 'ingress', action: 'allow', priority: 5, protocol: 'udp', ports: '5000-6000', sourcePorts: '53', remote: '2001:db8:1:2::/63' },
        { direction: 'egress', action: 'deny', priority: 1, protocol: 'tcp', ports: '25' },
        { direction: 'egress', action: 'allow', priority: 2, protocol: 'all', local: '10.0.0.0/24' },
      ],
    },
    {
      id: 'sg-db',
      rules: [
        { direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '3306', remote: { group: 'sg-web' } },
        { direction: 'ingress', action: 'deny', priority: 2, protocol: 'all', remote: '::/0' },
        { direction: 'egress', action: 'allow', priority: 1, protocol: 'all' },
      ],
    },
  ],
  interfaces: [
    { id: 'eni-web', ips: ['10.0.0.1', '2001:db8::1'], groups: ['sg-web'] },
    { id: 'eni-db', ips: ['10.0.1.1', '2001:db8::2'], groups: ['sg-db', 'sg-web'] },
  ],
};

function topology(): Topology {
  const r = parseNativeTopology(doc);
  assert.ok(r.topology, JSON.stringify(r.issues));
  return r.topology!;
}

const SENTINEL = 0x7eadbeef;

for (const kind of ['optimized', 'linear'] as const) {
  test(`${kind}: batch sizes 0..17 and 4099, against the reference`, () => {
    const t = topology();
    const probes: Probe[] = fc.sample(probeArb(t), { numRuns: 4099, seed: 11 });
    const expected = referencePositions(t, probes);
    assert.ok(expected.filter((p) => p >= 0).length > 100, 'the probes match rules');
    const h = new Harness(t, { tree: { binth: 2 } });
    const batch = new TupleBatch(h.wasm, 4100);
    probes.forEach((p, i) => batch.set(i, h.table.listFor(p.iface, p.direction)!, p.input));
    for (const n of [...Array.from({ length: 18 }, (_, i) => i), 4099]) {
      for (const from of [0, 5]) {
        if (from + n > 4100 || (n === 4099 && from > 0)) continue;
        const i32 = h.wasm.i32();
        i32.fill(SENTINEL, batch.out >>> 2, (batch.out >>> 2) + 4100);
        batch.run(h.wt, kind, n, from);
        const got = Array.from(batch.results(n, from));
        assert.equal(got, expected.slice(from, from + n), `n = ${n}, from tuple ${from}`);
        const all = h.wasm.i32().subarray(batch.out >>> 2, (batch.out >>> 2) + 4100);
        for (let i = 0; i < 4100; i++) {
          if (i < from || i >= from + n) assert.is(all[i], SENTINEL, `n = ${n}, from ${from}: result ${i} outside the batch was written`);
        }
      }
    }
  });
}

test('long runs of one classifier (8- and 4-lane paths) for every list and family, both matchers', () => {
  const t = topology();
  const probes: Probe[] = fc.sample(probeArb(t), { numRuns: 4000, seed: 12 });
  const key = (p: Probe) => `${p.iface} ${p.direction} ${p.input.family}`;
  probes.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  assert.is(new Set(probes.map(key)).size, 8, 'every interface, direction and family');
  const expected = referencePositions(t, probes);
  // binth 1: real trees even for these short lists, so each lane walks its own path.
  for (const options of [{}, { tree: { binth: 1 } }, { tree: { binth: 1 }, partition: { mode: 'split' as const, prefixBits: 8 } }]) {
    const h = new Harness(t, options);
    assert.equal(h.run('optimized', probes), expected, JSON.stringify(options));
    assert.equal(h.run('linear', probes), expected, JSON.stringify(options));
  }
  for (const k of new Set(probes.map(key))) {
    assert.ok(expected.some((p, i) => key(probes[i]!) === k && p >= 0), `${k}: some probe matches a rule`);
  }
});

test('runs of one list of every length 0..41 after and before other tuples: one-tree classifiers with a fixed walk (a run in one call) and, WALK_STEPS set to 0, the loop on the same tree', () => {
  const t = treeTopology();
  // IPv4 ingress probes aimed at the rules (rule i: 10.i.0.0/16, port 100 + 7i, tcp for odd i, udp for even), some off by a field.
  const aimed = fc.record({ i: fc.integer({ min: 0, max: 44 }), low: fc.nat(0xffff), hit: fc.nat(9), j: fc.integer({ min: 0, max: 44 }) });
  const probes: Probe[] = fc.sample(aimed, { numRuns: 1000, seed: 21 }).map(({ i, low, hit, j }) => ({
    iface: 'a',
    direction: 'ingress' as const,
    input: { family: 4 as const, remote: BigInt((10 << 24) + i * 65536 + low), local: 0x0ac80001n, sport: 40000, dport: 100 + 7 * (hit < 6 ? i : j), proto: (hit === 9 ? i + 1 : i) % 2 ? 6 : 17 },
  }));
  const expected = referencePositions(t, probes);
  assert.ok(expected.filter((p) => p >= 0).length > 300, 'the probes match rules');
  for (const options of [{}, { tree: { binth: 1 } }, { tree: { binth: 2, fill: false } }]) {
    const compiled = compileTopology(t, options);
    const s = compiled.stats.find((x) => x.family === 4)!;
    assert.is(s.trees, 1, 'one tree');
    assert.ok(s.walkSteps > 0, 'a fixed walk');
    const fixed = Table.fromCompiled(compiled);
    // The same table with WALK_STEPS 0 (valid: the walk until no lane moves), checksum recomputed.
    const bytes = fixed.bytes.slice();
    const dv = new DataView(bytes.buffer);
    const cls = dv.getUint32(validateTable(bytes).get(SECTION.LISTS)!.offset + fixed.listFor('a', 'ingress')! * LIST_ENTRY.SIZE + LIST_ENTRY.V4, true);
    assert.is(dv.getUint32(cls + CLASSIFIER.WALK_STEPS, true), s.walkSteps);
    dv.setUint32(cls + CLASSIFIER.WALK_STEPS, 0, true);
    dv.setUint32(HEADER.CHECKSUM, fnv1a(bytes, 16, bytes.length), true);
    for (const [walk, table] of [['fixed', fixed], ['loop', new Table(bytes, 'loop.sgft')]] as const) {
      const wasm = new WasmInstance();
      const wt = new WasmTable(wasm, table);
      const list = table.listFor('a', 'ingress')!;
      // IPv6 tuples of the same list (another classifier: the list has no
      // IPv6 rule, so no match) before and after a run end it.
      const v6: MatchInput = { family: 6, proto: 6, remote: 1n, local: 2n, sport: 1, dport: 100 };
      const batch = new TupleBatch(wasm, 50);
      for (let len = 0; len <= 41; len++) {
        for (const [at, after] of [[0, 0], [3, 1], [0, 1], [3, 0]]) {
          // The tuples past the batch are of the run's list too (a run must stop at the batch's end).
          for (let i = 0; i < 50; i++) batch.set(i, list, probes[i]!.input);
          const run = probes.slice(len * 7, len * 7 + len);
          const seq: MatchInput[] = [...Array.from({ length: at! }, () => v6), ...run.map((p) => p.input), ...Array.from({ length: after! }, () => v6)];
          seq.forEach((m, i) => batch.set(i, list, m));
          wasm.i32().fill(SENTINEL, batch.out >>> 2, (batch.out >>> 2) + 50);
          batch.run(wt, 'optimized', seq.length);
          const want = [...Array.from({ length: at! }, () => -1), ...expected.slice(len * 7, len * 7 + len), ...Array.from({ length: after! }, () => -1)];
          assert.equal(Array.from(batch.results(seq.length)), want, `${JSON.stringify(options)}, ${walk} walk: a run of ${len} between ${at} and ${after} IPv6 tuples`);
          for (let i = seq.length; i < 50; i++) assert.is(wasm.i32()[(batch.out >>> 2) + i], SENTINEL, `result ${i} past the batch was written`);
        }
      }
    }
  }
});

test('a tuple whose list index is outside the table gets -2; its neighbours are unaffected', () => {
  const t = topology();
  const h = new Harness(t);
  const probes: Probe[] = fc.sample(probeArb(t), { numRuns: 8, seed: 3 });
  const expected = referencePositions(t, probes);
  const batch = new TupleBatch(h.wasm, 8);
  probes.forEach((p, i) => batch.set(i, i === 2 ? 999 : h.table.listFor(p.iface, p.direction)!, p.input));
  for (const kind of ['optimized', 'linear'] as const) {
    batch.run(h.wt, kind, 8);
    const got = Array.from(batch.results(8));
    assert.is(got[2], -2);
    assert.equal(got.filter((_, i) => i !== 2), expected.filter((_, i) => i !== 2));
  }
});

// The classifier's guard (format.ts "Classifier"): rules that all sit inside
// 10.0.0.0/8 / 2001:db8::/32, on ports 1000-2000 over TCP and UDP, so every
// list's bounding box is narrower than the key space in the addresses, ports
// and protocol, and the trees' leaves do not test those bounds. Probes inside
// and outside it, every batch path (1, 4, 8 lanes, tree-major runs), against
// the reference evaluator.
const guarded = {
  cloud: 'aliyun',
  securityGroups: [
    {
      id: 'sg-a',
      rules: [
        { direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '1000-1100', remote: '10.1.0.0/16' },
        { direction: 'ingress', action: 'deny', priority: 1, protocol: 'udp', ports: '1500-2000', remote: '10.2.3.0/24' },
        { direction: 'ingress', action: 'allow', priority: 2, protocol: 'tcp', ports: '1050', remote: '10.0.0.0/8' },
        { direction: 'ingress', action: 'allow', priority: 1, protocol: 'tcp', ports: '1000-1100', remote: '2001:db8:1::/48' },
        { direction: 'ingress', action: 'deny', priority: 1, protocol: 'udp', ports: '1500-2000', remote: '2001:db8:2:3::/64' },
        { direction: 'ingress', action: 'allow', priority: 2, protocol: 'tcp', ports: '1050', remote: '2001:db8::/32' },
        { direction: 'egress', action: 'allow', priority: 1, protocol: 'udp', ports: '1999-2000', remote: '10.9.0.0/16' },
        { direction: 'egress', action: 'allow', priority: 1, protocol: 'udp', ports: '1999-2000', remote: '2001:db8:9::/48' },
      ],
    },
  ],
  interfaces: [{ id: 'eni-a', ips: ['10.0.0.1', '2001:db8::1'], groups: ['sg-a'] }],
};

test('the guard: tuples outside the boxes\' bounding box get no match, inside the trees\' answer, on every batch path', () => {
  const r = parseNativeTopology(guarded);
  assert.ok(r.topology, JSON.stringify(r.issues));
  const t = r.topology!;
  assert.ok(compileTopology(t).stats.every((s) => s.guards >= 2), 'every classifier has a guard in the address and more');
  const arb = probeArb(t);
  // Addresses inside the rules' prefixes (the probes' own are mostly prefix edges, inside and out).
  const inside = {
    4: ['10.1.2.3', '10.2.3.4', '10.200.0.1', '10.9.1.1'].map((a) => BigInt(a.split('.').reduce((x, o) => x * 256 + Number(o), 0))),
    6: [0x20010db8_0001_0000_0000_0000_0000_0005n, 0x20010db8_0002_0003_0000_0000_0000_0009n, 0x20010db8_ffff_0000_0000_0000_0000_0001n, 0x20010db8_0009_0000_0000_0000_0000_0001n],
  };
  const ports = [999, 1000, 1050, 1100, 1101, 1499, 1500, 1999, 2000, 2001];
  const probes: Probe[] = fc.sample(arb, { numRuns: 3000, seed: 21 }).map((p, i) => {
    // Half of the probes on the rules' protocols and ports (and their edges), a
    // third of those at addresses inside the prefixes: so that each bound decides.
    if (i % 2 !== 0) return p;
    const input = { ...p.input, proto: i % 4 ? 6 : 17, sport: 40000, dport: ports[(i >> 2) % ports.length]! };
    if (i % 3 === 0) input.remote = inside[p.input.family][(i >> 1) % 4]!;
    return { ...p, input };
  });
  const key = (p: Probe) => `${p.direction} ${p.input.family}`;
  probes.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const expected = referencePositions(t, probes);
  assert.ok(expected.filter((p) => p >= 0).length > 30, 'the probes match rules');
  assert.ok(expected.filter((p) => p < 0).length > 100, 'and miss them');
  for (const options of [{}, { tree: { binth: 1 } }, { tree: { binth: 1 }, partition: { mode: 'split' as const, prefixBits: 8 } }]) {
    const h = new Harness(t, options);
    assert.equal(h.run('optimized', probes), expected, JSON.stringify(options));
    assert.equal(h.run('linear', probes), expected, JSON.stringify(options));
    // Short batches: the 4-lane and one-tuple paths.
    for (let from = 0; from + 7 <= probes.length; from += 97) {
      const part = probes.slice(from, from + 7);
      assert.equal(h.run('optimized', part), expected.slice(from, from + 7), `${JSON.stringify(options)} from ${from}`);
    }
  }
});

test.run();
