/**
 * The leaf-group match (assembly/classify.ts groupMask) is written out for
 * every count of stored dimensions, 0 to LEAF_GROUP.MAX_DIMS, instead of a
 * loop. These tables have groups of every count an IPv4 or IPv6 rule can
 * give (IPv6: four words of each address, two ports, the protocol — 11),
 * read from the compiled leaf area, and every probe gets the reference
 * evaluator's answer from both matchers, on the 8-lane fixed walk, the 8-lane
 * loop, the 4-lane and the one-tuple paths.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { CLASSIFIER, GROUP_FORM_ALL5, LEAF_DIM, LEAF_GROUP, LEAF_SETS, LIST_ENTRY, SECTION, validateTable } from '../../src/compile/format.js';
import { parseNativeTopology } from '../../src/parse/native.js';
import type { Topology } from '../../src/model/topology.js';
import { Harness, probeArb, referencePositions, type Probe } from './helpers.js';

/** Rules restricting every subset size of the dimensions: remote and local prefixes of every word count, port ranges, protocols. */
function topology(seed: number): Topology {
  const rnd = fc.sample(fc.array(fc.nat(0xffff), { minLength: 4000, maxLength: 4000 }), { numRuns: 1, seed })[0]!;
  let k = 0;
  const next = (n: number) => rnd[k++ % rnd.length]! % n;
  // A network address: random bits, those past the prefix cleared.
  const net = (units: number, width: number, prefix: number) =>
    Array.from({ length: units }, (_, u) => {
      const keep = Math.max(0, Math.min(width, prefix - u * width));
      return keep === 0 ? 0 : next(1 << width) & ~((1 << (width - keep)) - 1) & ((1 << width) - 1);
    });
  const v6 = (prefix: number) => `${net(8, 16, prefix).map((w) => w.toString(16)).join(':')}/${prefix}`;
  const v4 = (prefix: number) => `${net(4, 8, prefix).join('.')}/${prefix}`;
  const rules: object[] = [];
  for (let i = 0; i < 160; i++) {
    const fam = i % 2 ? 6 : 4;
    // Prefix lengths that end inside each 32-bit word (IPv6), or none.
    const pick = [0, 8, 24, 40, 56, 72, 88, 104, 120, 128];
    const rp = pick[next(pick.length)]!;
    const lp = pick[next(pick.length)]!;
    const r: Record<string, unknown> = {
      direction: 'ingress',
      action: next(3) === 0 ? 'deny' : 'allow',
      priority: 1 + next(50),
      protocol: ['tcp', 'udp', 'all'][next(3)],
      remote: fam === 6 ? v6(rp) : v4(Math.min(32, rp)),
    };
    if (next(2)) r.local = fam === 6 ? v6(lp) : v4(Math.min(32, lp));
    if (r.protocol !== 'all') {
      if (next(3)) r.ports = `${1000 + next(2000)}-${3000 + next(20000)}`;
      if (next(3) === 0) r.sourcePorts = `${1 + next(1000)}-${1000 + next(60000)}`;
    }
    // Some rules restrict one dimension only.
    if (i % 8 >= 6) {
      delete r.local;
      delete r.ports;
      delete r.sourcePorts;
      if (i % 8 === 6) {
        r.remote = fam === 6 ? '::/0' : '0.0.0.0/0';
        r.protocol = 'udp';
      } else {
        r.protocol = 'all';
        r.remote = fam === 6 ? v6(8 + 16 * next(2)) : v4(8 + 16 * next(2));
      }
    }
    rules.push(r);
  }
  const doc = {
    cloud: 'aliyun',
    securityGroups: [{ id: 'sg-a', rules }],
    interfaces: [{ id: 'eni-a', ips: ['10.0.0.1', '2001:db8::1'], groups: ['sg-a'] }],
  };
  const r = parseNativeTopology(doc);
  assert.ok(r.topology, JSON.stringify(r.issues));
  return r.topology!;
}

/** CLASSIFIER.GROUP_FORM of the table's first list's classifier of family `fam`. */
function groupForm(bytes: Uint8Array, fam: 4 | 6): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cls = dv.getUint32(validateTable(bytes).get(SECTION.LISTS)!.offset + (fam === 4 ? LIST_ENTRY.V4 : LIST_ENTRY.V6), true);
  return dv.getUint32(cls + CLASSIFIER.GROUP_FORM, true);
}

/** The stored-dimension counts of every leaf group of the table's first list's classifiers. */
function dimCounts(bytes: Uint8Array): Map<number, Set<number>> {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lists = validateTable(bytes).get(SECTION.LISTS)!;
  const out = new Map<number, Set<number>>();
  for (const [fam, at] of [[4, LIST_ENTRY.V4], [6, LIST_ENTRY.V6]] as const) {
    const cls = dv.getUint32(lists.offset + at, true);
    if (cls === 0) continue;
    const leaves = cls + dv.getUint32(cls + CLASSIFIER.LEAVES_OFF, true);
    const end = leaves + dv.getUint32(cls + CLASSIFIER.LEAF_BYTES, true);
    const seen = new Set<number>();
    for (let g = leaves; g < end; ) {
      const nd = bytes[g + LEAF_GROUP.N_DIMS]!;
      seen.add(nd);
      g += LEAF_GROUP.HEAD + nd * LEAF_DIM.SIZE + (bytes[g + LEAF_GROUP.HAS_SET] ? LEAF_SETS.SIZE : 0);
    }
    out.set(fam, seen);
  }
  return out;
}

test('leaf groups of every stored-dimension count (0..11) match as the reference says, every batch path', () => {
  const counts = { 4: new Set<number>(), 6: new Set<number>() };
  for (const seed of [1, 2, 3]) {
    const t = topology(seed);
    const probes: Probe[] = fc.sample(probeArb(t), { numRuns: 3000, seed });
    const expected = referencePositions(t, probes);
    assert.ok(expected.filter((p) => p >= 0).length > 300, 'the probes match rules');
    // Leaves of up to 16 boxes (four groups of mixed boxes) and of 1; the
    // default builder (filled fixed walks); fixed walks and loops.
    // Each with the IPv4 groups of all five dimensions (GROUP_FORM 1, the
    // default for IPv4 without sets) and with the variable groups.
    for (const options of [{ tree: { binth: 16, fill: false } }, { tree: { binth: 1 } }, {}].flatMap((o) => [o, { ...o, groupForm: 'variable' as const }])) {
      const h = new Harness(t, options);
      for (const [fam, s] of dimCounts(h.table.bytes)) {
        if (fam === 4 && !('groupForm' in options)) {
          assert.equal(groupForm(h.table.bytes, 4), GROUP_FORM_ALL5, 'IPv4 without sets: GROUP_FORM 1');
          assert.equal([...s], [5], 'GROUP_FORM 1: every IPv4 group stores 5 dimensions');
          continue;
        }
        for (const n of s) counts[fam as 4 | 6].add(n);
      }
      for (const kind of ['optimized', 'linear'] as const) {
        // Runs of one list (the 8-lane walks), then every size below 8 (the 4-lane and one-tuple paths).
        assert.equal(h.run(kind, probes), expected, `${kind}, seed ${seed}, ${JSON.stringify(options)}`);
        for (let n = 1; n < 8; n++) assert.equal(h.run(kind, probes.slice(0, n)), expected.slice(0, n), `${kind}, ${n} tuples`);
      }
    }
  }
  for (let n = 0; n <= 11; n++) assert.ok(counts[6].has(n), `some IPv6 leaf group stores ${n} dimensions (seen: ${[...counts[6]].sort((a, b) => a - b).join(', ')})`);
  for (let n = 0; n <= 5; n++) assert.ok(counts[4].has(n), `some IPv4 leaf group stores ${n} dimensions (seen: ${[...counts[4]].sort((a, b) => a - b).join(', ')})`);
  assert.ok(Math.max(...counts[6]) <= LEAF_GROUP.MAX_DIMS);
});

test.run();
